import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiHandler } from '../../lambdas/api/app';
import { apiHandlers } from '../../lambdas/api/handlers';
import { routingWith } from '../../lambdas/api/router';
import type { AuthenticatedFunction } from '../../lambdas/api/route-types';
import { routes } from '../../lambdas/api/routes';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacility, createStaffUser, type UserRow } from '../support/fixtures';

/**
 * Each Lambda answers only the routes the table gives it: the API function's role cannot
 * administer the user pool, so a user-management route reaching it must not run there, and the
 * users function serves nothing else.
 */
const db = useTestDatabase();
let api: TestApi;
let dispatcher: UserRow;
let facilityId: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  dispatcher = await createStaffUser(db().owner, 'Dispatcher');
  facilityId = (await createFacility(db().owner)).id;
});

async function callAs(serves: AuthenticatedFunction[], method: string, url: string, body?: unknown): Promise<APIGatewayProxyResult> {
  const handler = createApiHandler(api.deps, routingWith(apiHandlers), serves);
  const translated = toApiGatewayEvent({
    method,
    url,
    headers: { Authorization: `Bearer ${api.issuer.mint(actorOf(dispatcher))}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!('event' in translated)) throw new Error(`no route for ${method} ${url}`);
  return (await handler(translated.event, { awsRequestId: translated.event.requestContext.requestId } as Context)) as APIGatewayProxyResult;
}

test('the route table gives user management, and only it, to the users function', () => {
  expect(routes.filter((route) => route.function === 'users').map((route) => route.id).sort())
    .toEqual(['users.changeRole', 'users.create', 'users.disable', 'users.enable']);
});

test('the API function answers a user-management route 404 and changes nothing; the users function serves it', async () => {
  const invite = { email: 'split@example.test', displayName: 'Split', role: 'FacilityUser', facilityId };
  const refused = await callAs(['api'], 'POST', '/v1/users', invite);
  expect(refused.statusCode).toBe(404);
  expect(JSON.parse(refused.body)).toMatchObject({ type: 'urn:nemt:problem:no-such-route' });
  expect(api.identity.directory.size).toBe(0);

  const served = await callAs(['users'], 'POST', '/v1/users', invite);
  expect(served.statusCode).toBe(201);
  expect(api.identity.directory.size).toBe(1);
});

test('the users function answers every other route 404', async () => {
  expect((await callAs(['users'], 'GET', '/v1/trip-requests?limit=5')).statusCode).toBe(404);
  expect((await callAs(['users'], 'GET', '/v1/users?limit=5')).statusCode).toBe(404);
  expect((await callAs(['api'], 'GET', '/v1/users?limit=5')).statusCode).toBe(200);
});
