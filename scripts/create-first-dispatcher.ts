import { randomUUID } from 'node:crypto';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { createDataApiDatabase } from '../lambdas/shared/db/data-api-adapter';
import type { Database, Queryable } from '../lambdas/shared/db/port';
import { createCognitoIdentityAdmin } from '../lambdas/shared/identity/cognito';
import type { IdentityAdmin } from '../lambdas/shared/identity/port';
import { actorSettings } from '../lambdas/shared/tenancy/with-actor';

/**
 * Creates the first Dispatcher of a freshly deployed environment (README.md (Deploy)): the Cognito
 * user (admin API, e-mailed a temporary password, TOTP enrolment at first sign-in) in the
 * Dispatcher group, and the matching `users` row with its audit event, written through the RDS
 * Data API. Every later user is created by a Dispatcher through the API. It refuses to run once
 * any Dispatcher exists.
 *
 *   npx tsx scripts/create-first-dispatcher.ts --region us-east-1 --user-pool-id <id> \
 *     --cluster-arn <arn> --secret-arn <arn> --email ops@example.org --name "Dana Dispatcher"
 */
export interface FirstDispatcher {
  readonly email: string;
  readonly displayName: string;
}

export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,}$/;
const REQUEST_ID = 'bootstrap-first-dispatcher';

/**
 * Row-level security is forced on `users` even for the table owner, so the master user writes
 * through the API role under a Dispatcher context: the same policies the API runs under.
 */
async function asDispatcher<T>(db: Database, sub: string, work: (tx: Queryable) => Promise<T>): Promise<T> {
  await db.query('GRANT nemt_api TO CURRENT_USER WITH INHERIT FALSE, SET TRUE');
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL ROLE nemt_api');
    return work(tx);
  }, { settings: actorSettings({ sub, role: 'Dispatcher' }, { requestId: REQUEST_ID }) });
}

export async function createFirstDispatcher(
  deps: { readonly db: Database; readonly identity: IdentityAdmin },
  input: FirstDispatcher,
): Promise<{ sub: string }> {
  const email = input.email.trim();
  const displayName = input.displayName.trim();
  if (!EMAIL.test(email)) throw new RefusedError('--email must be an e-mail address');
  if (displayName.length < 1 || displayName.length > 200) throw new RefusedError('--name must be 1 to 200 characters');

  const existing = await asDispatcher(deps.db, randomUUID(), (tx) =>
    tx.query("SELECT 1 FROM users WHERE role = 'Dispatcher' LIMIT 1"));
  if (existing.rows.length > 0) {
    throw new RefusedError('a Dispatcher already exists; create further users through the API');
  }

  const { sub } = await deps.identity.createUser({ email, role: 'Dispatcher' });
  try {
    // Explicit casts: the Data API sends every string parameter as varchar.
    await asDispatcher(deps.db, sub, async (tx) => {
      await tx.query(`INSERT INTO users (id, role, email, display_name) VALUES ($1::uuid, 'Dispatcher', $2, $3)`,
        [sub, email, displayName]);
      await tx.query(
        `INSERT INTO audit_events (facility_id, actor_sub, actor_role, entity_type, entity_id, action, to_state, details)
         VALUES (NULL, $1::uuid, 'Dispatcher', 'user', $1::uuid, 'user.created', 'active', $2::jsonb)`,
        [sub, JSON.stringify({ role: 'Dispatcher', via: 'bootstrap' })]);
    });
  } catch (error) {
    // Without its database row the user could sign in but never use the API; remove it.
    await deps.identity.deleteUser(sub).catch(() => undefined);
    throw error;
  }
  return { sub };
}

export function parseArguments(argv: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (let index = 0; index < argv.length; index += 2) {
    const flag = argv[index];
    const value = argv[index + 1];
    if (!flag?.startsWith('--') || value === undefined || value.startsWith('--')) {
      throw new RefusedError(`expected --flag value pairs, got ${flag ?? 'nothing'}`);
    }
    values[flag.slice(2)] = value;
  }
  for (const required of ['region', 'user-pool-id', 'cluster-arn', 'secret-arn', 'email', 'name']) {
    if (!values[required]) throw new RefusedError(`--${required} is required`);
  }
  return values;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const region = args.region as string;
  const db = createDataApiDatabase({
    client: new RDSDataClient({ region }),
    resourceArn: args['cluster-arn'] as string,
    secretArn: args['secret-arn'] as string,
    database: args.database ?? 'nemt',
  });
  const identity = createCognitoIdentityAdmin(new CognitoIdentityProviderClient({ region }), args['user-pool-id'] as string);
  try {
    const { sub } = await createFirstDispatcher({ db, identity }, { email: args.email as string, displayName: args.name as string });
    console.log(`created Dispatcher ${sub}; Cognito e-mailed a temporary password to ${args.email}`);
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof RefusedError ? error.message : `failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
