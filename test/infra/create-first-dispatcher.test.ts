import {
  AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminDeleteUserCommand, CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { createDataApiDatabase } from '../../lambdas/shared/db/data-api-adapter';
import type { Database } from '../../lambdas/shared/db/port';
import { createCognitoIdentityAdmin } from '../../lambdas/shared/identity/cognito';
import { createFirstDispatcher, parseArguments, RefusedError } from '../../scripts/create-first-dispatcher';
import { type DataApiFake, installDataApiFake } from '../support/data-api-fake';
import { useTestDatabase } from '../support/database';

/**
 * The bootstrap of README.md (Deploy) against a migrated database through the Data API (faked at
 * the SDK client) and Cognito (mocked at the SDK client).
 */
let fake: DataApiFake | undefined;
let db: Database | undefined;
afterAll(async () => {
  await db?.close();
  await fake?.close();
});

const target = useTestDatabase();
const cognito = mockClient(CognitoIdentityProviderClient);
const SUB = '7d9f3c2a-1b4e-4f6a-8c0d-2e3f4a5b6c7d';

beforeAll(() => {
  fake = installDataApiFake({ connectionString: target().url() });
  db = createDataApiDatabase(fake.config);
});

beforeEach(() => {
  cognito.reset();
  cognito.on(AdminCreateUserCommand).resolves({ User: { Attributes: [{ Name: 'sub', Value: SUB }] } });
  cognito.on(AdminAddUserToGroupCommand).resolves({});
  cognito.on(AdminDeleteUserCommand).resolves({});
});

function deps() {
  if (!db) throw new Error('no database');
  return { db, identity: createCognitoIdentityAdmin(new CognitoIdentityProviderClient({ region: 'us-east-1' }), 'us-east-1_Pool') };
}

test('refuses bad input before touching anything', async () => {
  await expect(createFirstDispatcher(deps(), { email: 'not-an-address', displayName: 'Dana' })).rejects.toThrow(RefusedError);
  expect(cognito.calls()).toHaveLength(0);
  expect(() => parseArguments(['--region', 'us-east-1', '--email'])).toThrow(RefusedError);
  expect(() => parseArguments(['--region', 'us-east-1'])).toThrow('--user-pool-id is required');
});

test('a database failure removes the Cognito user again', async () => {
  await target().owner.query("INSERT INTO users (id, role, email, display_name) VALUES ($1, 'Billing', 'taken@example.org', 'Taken')",
    ['0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e']);
  await expect(createFirstDispatcher(deps(), { email: 'taken@example.org', displayName: 'Dup' })).rejects.toThrow();
  expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(1);
  const rows = await target().owner.query('SELECT 1 FROM users WHERE id = $1', [SUB]);
  expect(rows.rowCount).toBe(0);
});

test('creates the Cognito user in the Dispatcher group and the users row with its audit event', async () => {
  const { sub } = await createFirstDispatcher(deps(), { email: 'dana@example.org', displayName: 'Dana Dispatcher' });
  expect(sub).toBe(SUB);
  expect(cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input).toMatchObject({
    UserPoolId: 'us-east-1_Pool', Username: 'dana@example.org', DesiredDeliveryMediums: ['EMAIL'],
  });
  expect(cognito.commandCalls(AdminAddUserToGroupCommand)[0]?.args[0].input).toMatchObject({ GroupName: 'Dispatcher', Username: SUB });
  const user = await target().owner.query<{ role: string; email: string; active: boolean; facility_id: string | null }>(
    'SELECT role, email, active, facility_id FROM users WHERE id = $1', [SUB]);
  expect(user.rows).toEqual([{ role: 'Dispatcher', email: 'dana@example.org', active: true, facility_id: null }]);
  const audit = await target().owner.query<{ action: string; actor_sub: string; request_id: string }>(
    "SELECT action, actor_sub, request_id FROM audit_events WHERE entity_id = $1 AND entity_type = 'user'", [SUB]);
  expect(audit.rows).toEqual([{ action: 'user.created', actor_sub: SUB, request_id: 'bootstrap-first-dispatcher' }]);
});

test('refuses once a Dispatcher exists', async () => {
  await expect(createFirstDispatcher(deps(), { email: 'second@example.org', displayName: 'Second' }))
    .rejects.toThrow('a Dispatcher already exists');
  expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(0);
});
