import { eraseRider } from '../../lambdas/api/data/riders';
import { TripRequest } from '../../lambdas/api/schemas/trips';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, createFacility, createFacilityUser, createRider, createStaffUser, createTripRequest, seedTwoTenants, type UserRow,
} from '../support/fixtures';

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

describe('the board: requests oldest first, with their riders', () => {
  /** Trip requests of a fresh tenant, in creation order. */
  async function freshTenant(count: number) {
    const owner = db().owner;
    const facilityId = (await createFacility(owner)).id;
    const admin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
    const rider = (await createRider(owner, { facilityId, fullName: 'Ria Board', phone: '+15550002222', mobility: 'stretcher' })).id;
    for (let i = 0; i < count; i += 1) {
      await createTripRequest(owner, { facilityId, riderId: rider, source: 'facility', submittedBy: admin.id });
    }
    const { rows } = await owner.query<{ id: string }>(
      'SELECT id FROM trip_requests WHERE facility_id = $1 ORDER BY created_at, id', [facilityId]);
    return { facilityId, admin, rider, oldestFirst: rows.map((row) => row.id) };
  }

  async function walk(url: string, who: UserRow): Promise<{ ids: string[]; cursors: string[] }> {
    const ids: string[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiAnswer = await api.call('GET', `${url}${cursor ? `&cursor=${cursor}` : ''}`, { as: actorOf(who) });
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      if (cursor) cursors.push(cursor);
    } while (cursor && cursors.length < 50);
    return { ids, cursors };
  }

  test('order=oldest and order=newest page every request exactly once, each in its own direction', async () => {
    const { admin, oldestFirst, facilityId } = await freshTenant(5);
    const oldest = await walk('/v1/trip-requests?order=oldest&limit=2', admin);
    expect(oldest.ids).toEqual(oldestFirst);
    const newest = await walk('/v1/trip-requests?order=newest&limit=2', admin);
    expect(newest.ids).toEqual([...oldestFirst].reverse());
    expect((await walk('/v1/trip-requests?limit=2', admin)).ids).toEqual(newest.ids);
    // Across tenants too (the dispatcher's walk), filtered to this tenant.
    expect((await walk(`/v1/trip-requests?order=oldest&limit=3&facilityId=${facilityId}`, dispatcher)).ids).toEqual(oldestFirst);
  });

  test("appointmentDate keeps the trips whose appointment falls on that day in the provider's zone, edges and clock changes included", async () => {
    const owner = db().owner;
    const facilityId = (await createFacility(owner)).id;
    const admin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
    const rider = (await createRider(owner, { facilityId })).id;
    const at = async (appointmentAt: string) =>
      (await createTripRequest(owner, { facilityId, riderId: rider, source: 'facility', submittedBy: admin.id,
        appointmentAt: new Date(appointmentAt) })).id;
    // 2030-03-10 is the day US clocks spring forward: 23 hours, EST (-05) until 2 AM, EDT (-04) after.
    const firstInstant = await at('2030-03-10T05:00:00Z');
    const evening = await at('2030-03-11T03:59:00Z');
    const dayBefore = await at('2030-03-10T04:59:00Z');
    const dayAfter = await at('2030-03-11T04:00:00Z');
    const onDay = await walk('/v1/trip-requests?appointmentDate=2030-03-10&order=oldest&limit=1', admin);
    expect(onDay.ids).toEqual([firstInstant, evening]);
    expect((await walk('/v1/trip-requests?appointmentDate=2030-03-09&limit=10', admin)).ids).toEqual([dayBefore]);
    expect((await walk('/v1/trip-requests?appointmentDate=2030-03-11&limit=10', admin)).ids).toEqual([dayAfter]);
    // Another tenant's trips on that day stay out of a facility's list; a dispatcher sees both tenants'.
    const other = await createFacility(owner);
    const otherRider = (await createRider(owner, { facilityId: other.id })).id;
    const otherAdmin = await createFacilityUser(owner, 'FacilityAdmin', other.id);
    const elsewhere = (await createTripRequest(owner, { facilityId: other.id, riderId: otherRider, source: 'facility',
      submittedBy: otherAdmin.id, appointmentAt: new Date('2030-03-10T15:00:00Z') })).id;
    expect((await walk('/v1/trip-requests?appointmentDate=2030-03-10&limit=10', admin)).ids).not.toContain(elsewhere);
    expect((await walk('/v1/trip-requests?appointmentDate=2030-03-10&limit=100', dispatcher)).ids).toEqual(
      expect.arrayContaining([firstInstant, evening, elsewhere]));
    const invalid = await api.call('GET', '/v1/trip-requests?appointmentDate=2030-02-30', { as: actorOf(admin) });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual([expect.objectContaining({ path: 'appointmentDate' })]);
  });

  test("a cursor continues only the order it came from (400 in the other)", async () => {
    const { admin } = await freshTenant(3);
    const oldest = await api.call('GET', '/v1/trip-requests?order=oldest&limit=1', { as: actorOf(admin) });
    const newest = await api.call('GET', '/v1/trip-requests?limit=1', { as: actorOf(admin) });
    const crossed = await api.call('GET', `/v1/trip-requests?order=newest&limit=1&cursor=${oldest.body.nextCursor}`, { as: actorOf(admin) });
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors).toEqual([{ path: 'cursor', message: 'This cursor continues order=oldest; start again without it' }]);
    const back = await api.call('GET', `/v1/trip-requests?order=oldest&limit=1&cursor=${newest.body.nextCursor}`, { as: actorOf(admin) });
    expect(back.status).toBe(400);
    expect(back.body.errors).toEqual([{ path: 'cursor', message: 'This cursor continues order=newest; start again without it' }]);
    expect((await api.call('GET', '/v1/trip-requests?order=sideways', { as: actorOf(admin) })).status).toBe(400);
  });

  test('include=rider adds the rider to each item for dispatchers and facility roles; an erased rider is null and says why', async () => {
    const { admin, facilityId, rider } = await freshTenant(1);
    const forgotten = (await createRider(db().owner, { facilityId, fullName: 'Gone Rider', mobility: 'wheelchair' })).id;
    await createTripRequest(db().owner, { facilityId, riderId: forgotten, source: 'facility', submittedBy: admin.id, status: 'cancelled' });
    await eraseRider(db().owner, { id: forgotten, facility_id: facilityId });

    const expected = [
      { fullName: 'Ria Board', phone: '+15550002222', mobility: 'stretcher' },
      { fullName: null, phone: null, mobility: 'wheelchair', unavailable: { fullName: 'erased', phone: 'erased' } },
    ];
    for (const [who, url] of [[admin, '/v1/trip-requests?order=oldest&include=rider'],
      [dispatcher, `/v1/trip-requests?order=oldest&include=rider&facilityId=${facilityId}`]] as const) {
      const answer = await api.call('GET', url, { as: actorOf(who) });
      expect(answer.status).toBe(200);
      expect(answer.body.items.map((item: { riderId: string; rider: unknown }) => [item.riderId, item.rider]))
        .toEqual([[rider, expected[0]], [forgotten, expected[1]]]);
      for (const item of answer.body.items) expect(TripRequest.strict().parse(item)).toEqual(item);
    }
    // Without include the answer is what it always was: no rider, nothing opened for it.
    const plain = await api.call('GET', '/v1/trip-requests?order=oldest', { as: actorOf(admin) });
    for (const item of plain.body.items) expect(item).not.toHaveProperty('rider');
  });

  test('Billing never gets riders: include=rider answers 403, as every rider route does', async () => {
    const billing = await createStaffUser(db().owner, 'Billing');
    const refused = await api.call('GET', '/v1/trip-requests?include=rider', { as: actorOf(billing) });
    expect(refused.status).toBe(403);
    expect(refused.text).not.toMatch(/fullName|phone/);
    expect((await api.call('GET', `/v1/riders/${riderA}`, { as: actorOf(billing) })).status).toBe(403);
    const plain = await api.call('GET', '/v1/trip-requests?order=oldest', { as: actorOf(billing) });
    expect(plain.status).toBe(200);
    for (const item of plain.body.items) expect(item).not.toHaveProperty('rider');
  });
});
