import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, completeLeg, countRows, createCancellationRequest, createFacilityUser,
  createLeg, createStaffUser, createTripRequest, getLeg, getTripRequest, type TripRequestRow,
  type TripRequestStatus, type UserRow,
  seedTwoTenants,
} from '../support/fixtures';

const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let dispatcher: UserRow;
let driver: UserRow;
let adminA: UserRow;
let userA: UserRow;
let otherUserA: UserRow;
let adminB: UserRow;
let riderA: string;
let riderB: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  ({ facilityA, dispatcher, driver, adminA, userA, adminB, riderA, riderB } = await seedTwoTenants(owner, {
    userAContact: true,
  }));
  otherUserA = await createFacilityUser(owner, 'FacilityUser', facilityA);
});

function tripOf(submitter: UserRow, status: TripRequestStatus = 'requested', extra: { returnTrip?: 'scheduled' } = {}) {
  const facilityId = submitter.facilityId ?? facilityA;
  return createTripRequest(db().owner, {
    facilityId, riderId: facilityId === facilityA ? riderA : riderB, source: 'facility', submittedBy: submitter.id, status, ...extra,
  });
}

const requestsFor = (tripId: string) =>
  countRows(db().owner, 'SELECT 1 FROM cancellation_requests WHERE trip_request_id = $1', [tripId]);

const outboxFor = async (tripId: string) =>
  (await db().owner.query<{ event_type: string; payload: { referenceCode: string } }>(
    'SELECT event_type, payload FROM notification_outbox WHERE trip_request_id = $1 ORDER BY created_at', [tripId],
  )).rows;

const auditActionsFor = async (tripId: string) =>
  (await db().owner.query<{ action: string }>(
    'SELECT action FROM audit_events WHERE trip_request_id = $1 ORDER BY seq', [tripId],
  )).rows.map((row) => row.action);

/** A trip under way: outbound leg completed, return leg assigned (still open). */
async function tripUnderWay(): Promise<{ trip: TripRequestRow; outboundId: string; returnId: string }> {
  const owner = db().owner;
  const trip = await tripOf(userA, 'scheduled', { returnTrip: 'scheduled' });
  const outbound = await createLeg(owner, trip, { kind: 'outbound' });
  const returnLeg = await createLeg(owner, trip, { kind: 'return' });
  await completeLeg(owner, outbound.id, driver.id);
  await assignLeg(owner, returnLeg.id, driver.id);
  return { trip: await getTripRequest(owner, trip.id), outboundId: outbound.id, returnId: returnLeg.id };
}

describe('requesting a cancellation', () => {
  test('a facility user asks for its own trip: pending, recorded as requester, audited, idempotent', async () => {
    const trip = await tripOf(userA);
    const headers = { 'Idempotency-Key': `cancel-${trip.id}` };
    const body = { reasonCode: 'changed_plans' };
    const first = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, { as: actorOf(userA), body, headers });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      tripRequestId: trip.id, facilityId: facilityA, status: 'pending', reasonCode: 'changed_plans', reasonText: null,
      requestedBy: userA.id, decidedBy: null, decidedAt: null,
    });
    expect(first.headers.etag).toBe('"1"');
    const replay = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, { as: actorOf(userA), body, headers });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await requestsFor(trip.id)).toBe(1);
    expect(await auditActionsFor(trip.id)).toEqual(['cancellation_request.requested']);
  });

  test('one pending request per trip: a second one is 409', async () => {
    const trip = await tripOf(userA);
    const first = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
      as: actorOf(adminA), body: { reasonCode: 'booked_by_mistake' },
    });
    expect(first.status).toBe(201);
    const second = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
      as: actorOf(dispatcher), body: { reasonCode: 'unable_to_make_trip' },
    });
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(await requestsFor(trip.id)).toBe(1);
  });

  test("reason 'other' needs text", async () => {
    const trip = await tripOf(userA);
    const bare = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
      as: actorOf(userA), body: { reasonCode: 'other' },
    });
    expect(bare.status).toBe(422);
    expect(bare.body.errors).toEqual([expect.objectContaining({ path: 'reasonText' })]);
    expect(await requestsFor(trip.id)).toBe(0);
    const explained = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
      as: actorOf(userA), body: { reasonCode: 'other', reasonText: 'Family will drive' },
    });
    expect(explained.status).toBe(201);
    expect(explained.body.reasonText).toBe('Family will drive');
  });

  test.each(['completed', 'rejected', 'cancelled'] as const)('a %s trip cannot be asked to cancel (409)', async (status) => {
    const trip = await tripOf(userA, status === 'completed' ? 'scheduled' : status);
    if (status === 'completed') {
      const leg = await createLeg(db().owner, trip, { kind: 'outbound' });
      await completeLeg(db().owner, leg.id, driver.id);
      expect((await getTripRequest(db().owner, trip.id)).status).toBe('completed');
    }
    const answer = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
      as: actorOf(dispatcher), body: { reasonCode: 'changed_plans' },
    });
    expect(answer.status).toBe(409);
    expect(await requestsFor(trip.id)).toBe(0);
  });

  test("a facility user cannot ask for another user's submission, nor anyone for another tenant's trip (404)", async () => {
    const othersTrip = await tripOf(otherUserA);
    const foreignTrip = await tripOf(adminB);
    const body = { reasonCode: 'changed_plans' };
    expect((await api.call('POST', `/v1/trip-requests/${othersTrip.id}/cancellation-requests`, { as: actorOf(userA), body })).status)
      .toBe(404);
    expect((await api.call('POST', `/v1/trip-requests/${foreignTrip.id}/cancellation-requests`, { as: actorOf(userA), body })).status)
      .toBe(404);
    expect((await api.call('POST', `/v1/trip-requests/${foreignTrip.id}/cancellation-requests`, { as: actorOf(adminA), body })).status)
      .toBe(404);
    expect(await requestsFor(othersTrip.id)).toBe(0);
    expect(await requestsFor(foreignTrip.id)).toBe(0);
    // The admin of the same facility may ask for any of its trips.
    expect((await api.call('POST', `/v1/trip-requests/${othersTrip.id}/cancellation-requests`, { as: actorOf(adminA), body })).status)
      .toBe(201);
  });

  test.each([
    ['status', { status: 'approved' }],
    ['requestedBy', { requestedBy: '00000000-0000-4000-8000-000000000001' }],
    ['facilityId', { facilityId: '00000000-0000-4000-8000-000000000002' }],
    ['id', { id: '00000000-0000-4000-8000-000000000003' }],
    ['decidedBy', { decidedBy: '00000000-0000-4000-8000-000000000004' }],
  ])('mass assignment of %s is refused and nothing is written', async (_field, extra) => {
    const trip = await tripOf(userA);
    for (const actor of [actorOf(userA), actorOf(adminA)]) {
      const answer = await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
        as: actor, body: { reasonCode: 'changed_plans', ...extra },
      });
      expect(answer.status).toBe(422);
    }
    expect(await requestsFor(trip.id)).toBe(0);
    expect(await auditActionsFor(trip.id)).toEqual([]);
  });

  test('a driver may not ask, billing may not list (403)', async () => {
    const trip = await tripOf(userA);
    expect((await api.call('POST', `/v1/trip-requests/${trip.id}/cancellation-requests`, {
      as: actorOf(driver), body: { reasonCode: 'changed_plans' },
    })).status).toBe(403);
    const billing = await createStaffUser(db().owner, 'Billing');
    expect((await api.call('GET', '/v1/cancellation-requests', { as: actorOf(billing) })).status).toBe(403);
  });
});

describe('listing cancellation requests', () => {
  let mine: string;
  let othersInA: string;
  let inB: string;

  beforeAll(async () => {
    const owner = db().owner;
    mine = (await createCancellationRequest(owner, { trip: await tripOf(userA), requestedBy: userA.id })).id;
    othersInA = (await createCancellationRequest(owner, { trip: await tripOf(otherUserA), requestedBy: otherUserA.id })).id;
    inB = (await createCancellationRequest(owner, { trip: await tripOf(adminB), requestedBy: adminB.id })).id;
  });

  async function allIds(actor: ReturnType<typeof actorOf>, query = ''): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await api.call(
        'GET', `/v1/cancellation-requests?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`, { as: actor },
      );
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    return ids;
  }

  test('dispatcher sees every tenant; facility roles their own; a facility user only trips it may see', async () => {
    const everyone = await allIds(actorOf(dispatcher));
    expect(everyone).toEqual(expect.arrayContaining([mine, othersInA, inB]));
    expect(new Set(everyone).size).toBe(everyone.length);

    const admin = await allIds(actorOf(adminA));
    expect(admin).toEqual(expect.arrayContaining([mine, othersInA]));
    expect(admin).not.toContain(inB);

    const user = await allIds(actorOf(userA));
    expect(user).toContain(mine);
    expect(user).not.toContain(othersInA);
    expect(user).not.toContain(inB);
  });

  test('newest first, filtered by status and trip', async () => {
    const trip = await tripOf(userA);
    const request = await createCancellationRequest(db().owner, { trip, requestedBy: userA.id });
    const byTrip = await api.call('GET', `/v1/cancellation-requests?tripRequestId=${trip.id}`, { as: actorOf(dispatcher) });
    expect(byTrip.body.items.map((item: { id: string }) => item.id)).toEqual([request.id]);
    const pending = await api.call('GET', '/v1/cancellation-requests?status=pending&limit=100', { as: actorOf(dispatcher) });
    expect(pending.body.items.map((item: { id: string }) => item.id)).toContain(request.id);
    expect(new Set(pending.body.items.map((item: { status: string }) => item.status))).toEqual(new Set(['pending']));
    const approved = await allIds(actorOf(dispatcher), '&status=approved');
    expect(approved).not.toContain(request.id);
    const page = await api.call('GET', '/v1/cancellation-requests', { as: actorOf(dispatcher) });
    const created = page.body.items.map((item: { createdAt: string }) => item.createdAt);
    expect(created).toEqual([...created].sort().reverse());
  });
});

describe('deciding a cancellation request', () => {
  test('approval cancels the trip and its open legs, never a completed one, and tells the rider', async () => {
    const { trip, outboundId, returnId } = await tripUnderWay();
    expect(trip.status).toBe('in_progress');
    const request = await createCancellationRequest(db().owner, { trip, requestedBy: userA.id });
    const stale = await api.call('POST', `/v1/cancellation-requests/${request.id}/approve`, {
      as: actorOf(dispatcher), body: {}, headers: { 'If-Match': '"7"' },
    });
    expect(stale.status).toBe(412);

    const approved = await api.call('POST', `/v1/cancellation-requests/${request.id}/approve`, {
      as: actorOf(dispatcher), body: { reason: 'Confirmed by phone' }, headers: { 'If-Match': '"1"' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: dispatcher.id, decisionReason: 'Confirmed by phone' });
    expect(approved.body.decidedAt).toEqual(expect.any(String));
    expect(approved.headers.etag).toBe('"2"');

    expect((await getTripRequest(db().owner, trip.id)).status).toBe('cancelled');
    expect((await getLeg(db().owner, returnId)).status).toBe('cancelled');
    expect((await getLeg(db().owner, outboundId)).status).toBe('completed');
    expect(await outboxFor(trip.id)).toEqual([
      { event_type: 'cancellation_approved', payload: { referenceCode: trip.referenceCode } },
    ]);
    expect(api.published.at(-1)).toHaveLength(1);
    expect(await auditActionsFor(trip.id)).toEqual(expect.arrayContaining([
      'cancellation_request.approved', 'trip_request.cancelled', 'trip_leg.cancelled',
    ]));

    const again = await api.call('POST', `/v1/cancellation-requests/${request.id}/approve`, { as: actorOf(dispatcher), body: {} });
    expect(again.status).toBe(409);
    const denyDecided = await api.call('POST', `/v1/cancellation-requests/${request.id}/deny`, {
      as: actorOf(dispatcher), body: { reason: 'Too late' },
    });
    expect(denyDecided.status).toBe(409);
  });

  test('denial needs a reason, keeps the trip, and tells the rider', async () => {
    const trip = await tripOf(userA, 'scheduled');
    const request = await createCancellationRequest(db().owner, { trip, requestedBy: userA.id });
    const reasonless = await api.call('POST', `/v1/cancellation-requests/${request.id}/deny`, { as: actorOf(dispatcher), body: {} });
    expect(reasonless.status).toBe(422);
    const blank = await api.call('POST', `/v1/cancellation-requests/${request.id}/deny`, {
      as: actorOf(dispatcher), body: { reason: '   ' },
    });
    expect(blank.status).toBe(422);

    const denied = await api.call('POST', `/v1/cancellation-requests/${request.id}/deny`, {
      as: actorOf(dispatcher), body: { reason: 'Driver already en route' },
    });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ status: 'denied', decidedBy: dispatcher.id, decisionReason: 'Driver already en route' });
    expect((await getTripRequest(db().owner, trip.id)).status).toBe('scheduled');
    expect(await outboxFor(trip.id)).toEqual([
      { event_type: 'cancellation_denied', payload: { referenceCode: trip.referenceCode } },
    ]);
    expect(await auditActionsFor(trip.id)).toEqual(['cancellation_request.denied']);

    const approveDenied = await api.call('POST', `/v1/cancellation-requests/${request.id}/approve`, {
      as: actorOf(dispatcher), body: {},
    });
    expect(approveDenied.status).toBe(409);
    expect((await getTripRequest(db().owner, trip.id)).status).toBe('scheduled');
  });

  test('approval of a request whose trip already finished is refused and leaves the request pending', async () => {
    const trip = await tripOf(userA, 'scheduled');
    const request = await createCancellationRequest(db().owner, { trip, requestedBy: userA.id });
    const leg = await createLeg(db().owner, trip, { kind: 'outbound' });
    await completeLeg(db().owner, leg.id, driver.id);
    const answer = await api.call('POST', `/v1/cancellation-requests/${request.id}/approve`, { as: actorOf(dispatcher), body: {} });
    expect(answer.status).toBe(409);
    const { rows } = await db().owner.query<{ status: string }>('SELECT status FROM cancellation_requests WHERE id = $1', [request.id]);
    expect(rows[0]?.status).toBe('pending');
  });

  test('only dispatchers decide (403); unknown ids are 404', async () => {
    const trip = await tripOf(userA);
    const request = await createCancellationRequest(db().owner, { trip, requestedBy: userA.id });
    for (const actor of [actorOf(adminA), actorOf(userA), actorOf(driver)]) {
      expect((await api.call('POST', `/v1/cancellation-requests/${request.id}/approve`, { as: actor, body: {} })).status).toBe(403);
      expect((await api.call('POST', `/v1/cancellation-requests/${request.id}/deny`, { as: actor, body: { reason: 'x' } })).status)
        .toBe(403);
    }
    expect((await api.call('POST', '/v1/cancellation-requests/00000000-0000-4000-8000-00000000abcd/approve', {
      as: actorOf(dispatcher), body: {},
    })).status).toBe(404);
    const { rows } = await db().owner.query<{ status: string }>('SELECT status FROM cancellation_requests WHERE id = $1', [request.id]);
    expect(rows[0]?.status).toBe('pending');
  });
});
