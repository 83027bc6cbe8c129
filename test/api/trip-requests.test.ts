import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacilityUser, createStaffUser, seedTwoTenants, type UserRow } from '../support/fixtures';

const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let dispatcher: UserRow;
let adminA: UserRow;
let userA: UserRow;
let riderA: string;
let riderB: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  ({ facilityA, facilityB, dispatcher, adminA, userA, riderA, riderB } = await seedTwoTenants(db().owner));
});

const trip = (riderId: string, extra: Record<string, unknown> = {}) => ({
  riderId,
  pickupAddress: '1 Main St',
  dropoffAddress: '2 Clinic Rd',
  appointmentAt: '2030-01-02T15:00:00Z',
  ...extra,
});

test('a facility user creates a trip request for its own facility, recorded as submitter', async () => {
  const answer = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body: trip(riderA) });
  expect(answer.status).toBe(201);
  expect(answer.body).toMatchObject({ facilityId: facilityA, submittedBy: userA.id, status: 'requested', source: 'facility' });
  expect(answer.headers.etag).toBe('"1"');
  expect(answer.headers['strict-transport-security']).toContain('max-age=');
  expect(api.published.at(-1)).toHaveLength(1);
});

test('facility roles cannot name the tenant, and riders of other tenants are not found', async () => {
  const named = await api.call('POST', '/v1/trip-requests', { as: actorOf(adminA), body: trip(riderA, { facilityId: facilityA }) });
  expect(named.status).toBe(422);
  expect(named.headers['content-type']).toBe('application/problem+json');
  const foreign = await api.call('POST', '/v1/trip-requests', { as: actorOf(adminA), body: trip(riderB) });
  expect(foreign.status).toBe(404);
  const unknownKey = await api.call('POST', '/v1/trip-requests', { as: actorOf(adminA), body: trip(riderA, { status: 'completed' }) });
  expect(unknownKey.status).toBe(422);
});

test('a dispatcher schedules with a will-call return; stale If-Match is refused', async () => {
  const created = await api.call('POST', '/v1/trip-requests', {
    as: actorOf(dispatcher),
    body: trip(riderA, { facilityId: facilityA, returnTrip: 'will_call' }),
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const stale = await api.call('POST', `/v1/trip-requests/${id}/schedule`, {
    as: actorOf(dispatcher),
    headers: { 'If-Match': '"9"' },
    body: { outbound: { pickupAt: '2030-01-02T14:00:00Z', dropoffAt: '2030-01-02T14:45:00Z' }, return: { willCall: true } },
  });
  expect(stale.status).toBe(412);
  const scheduled = await api.call('POST', `/v1/trip-requests/${id}/schedule`, {
    as: actorOf(dispatcher),
    headers: { 'If-Match': created.headers.etag as string },
    body: { outbound: { pickupAt: '2030-01-02T14:00:00Z', dropoffAt: '2030-01-02T14:45:00Z' }, return: { willCall: true } },
  });
  expect(scheduled.status).toBe(200);
  expect(scheduled.body.status).toBe('scheduled');
  const history = await api.call('GET', `/v1/trip-requests/${id}/history`, { as: actorOf(adminA) });
  expect(history.body.events.map((e: { action: string }) => e.action)).toEqual([
    'trip_request.created', 'trip_leg.created', 'trip_leg.created', 'trip_request.scheduled',
  ]);
});

test('idempotent create replays the first answer and refuses a different body', async () => {
  const headers = { 'Idempotency-Key': 'create-1' };
  const first = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), headers, body: trip(riderA) });
  const again = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), headers, body: trip(riderA) });
  expect(again.status).toBe(201);
  expect(again.body.id).toBe(first.body.id);
  expect(again.headers['idempotent-replayed']).toBe('true');
  const different = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), headers, body: trip(riderA, { dropoffAddress: 'x' }) });
  expect(different.status).toBe(422);
});

test('anonymous is 401, a driver is 403, another tenant reads 404', async () => {
  const created = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body: trip(riderA) });
  expect((await api.call('GET', `/v1/trip-requests/${created.body.id}`)).status).toBe(401);
  const driver = await createStaffUser(db().owner, 'Driver');
  expect((await api.call('GET', '/v1/trip-requests', { as: actorOf(driver) })).status).toBe(403);
  const adminB = await createFacilityUser(db().owner, 'FacilityAdmin', facilityB);
  expect((await api.call('GET', `/v1/trip-requests/${created.body.id}`, { as: actorOf(adminB) })).status).toBe(404);
});
