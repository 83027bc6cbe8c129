import { addDays, isoWeekday, localDate } from '../../lambdas/shared/standing-orders/occurrences';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, createContact, createFacility, createFacilityUser, createRider, createStaffUser, type UserRow,
} from '../support/fixtures';

/**
 * Standing orders through the API (issue 15): create as the facility (Idempotency-Key), preview,
 * accept as dispatch (its trips made for the horizon), edit with If-Match (untouched trips follow,
 * touched ones are reported), skip a day (the trip cancelled, audited, the rider told), pause and
 * resume, end, reject.
 */
const db = useTestDatabase();
const ZONE = 'America/New_York';
let api: TestApi;
let facilityId: string;
let riderId: string;
let dispatcher: UserRow;
let driver: UserRow;
let user: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityId = (await createFacility(owner)).id;
  riderId = (await createRider(owner, { facilityId })).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  const contact = await createContact(owner, { facilityId });
  user = await createFacilityUser(owner, 'FacilityUser', facilityId, { contactId: contact.id });
});

const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });
const today = () => localDate(new Date(), ZONE);
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

function seriesBody(overrides: Record<string, unknown> = {}) {
  return { riderId, daysOfWeek: EVERY_DAY, pickupTime: '07:00', appointmentTime: '08:00', pickupAddress: '1 Home Street',
    dropoffAddress: '2 Dialysis Centre', returnMode: 'timed', returnPickupTime: '12:00', startDate: addDays(today(), 1), ...overrides };
}

async function created(overrides: Record<string, unknown> = {}) {
  const answer = await api.call('POST', '/v1/standing-orders', { as: actorOf(user), body: seriesBody(overrides) });
  expect(answer.status).toBe(201);
  return answer.body as { id: string; version: number; status: string };
}

async function accepted(overrides: Record<string, unknown> = {}) {
  const series = await created(overrides);
  const answer = await api.call('POST', `/v1/standing-orders/${series.id}/accept`,
    { as: actorOf(dispatcher), body: {}, headers: ifMatch(series.version) });
  expect(answer.status).toBe(200);
  return answer.body as { id: string; version: number; status: string };
}

interface SeriesTrip { id: string; occurrence_date: string; status: string; requested_pickup_at: string; reference_code: string }

async function tripsOf(seriesId: string, live = true): Promise<SeriesTrip[]> {
  const { rows } = await db().owner.query<SeriesTrip>(
    `SELECT id, occurrence_date::text AS occurrence_date, status, requested_pickup_at::text, reference_code FROM trip_requests
      WHERE standing_order_id = $1 ${live ? 'AND NOT occurrence_withdrawn' : ''} ORDER BY occurrence_date`, [seriesId]);
  return rows;
}

const localTime = (at: string) => new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' })
  .format(new Date(at));

describe('a standing order from request to trips', () => {
  test('created by the facility: pending, one record for a repeated Idempotency-Key, no trips yet', async () => {
    const headers = { 'Idempotency-Key': `so-${Date.now()}` };
    const first = await api.call('POST', '/v1/standing-orders', { as: actorOf(user), body: seriesBody(), headers });
    const again = await api.call('POST', '/v1/standing-orders', { as: actorOf(user), body: seriesBody(), headers });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'pending', facilityId, riderId, source: 'facility', daysOfWeek: EVERY_DAY,
      pickupTime: '07:00', returnMode: 'timed', returnPickupTime: '12:00', excludedDates: [], endDate: null });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await tripsOf(first.body.id)).toEqual([]);
  });

  test('refuses what does not hold together, with paths', async () => {
    const answer = await api.call('POST', '/v1/standing-orders', { as: actorOf(user),
      body: seriesBody({ pickupTime: '09:00', returnMode: 'will_call', daysOfWeek: [1, 1], startDate: addDays(today(), -2) }) });
    expect(answer.status).toBe(422);
    const paths = (answer.body.errors as { path: string }[]).map((error) => error.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['daysOfWeek', 'pickupTime', 'returnPickupTime']));
    const past = await api.call('POST', '/v1/standing-orders', { as: actorOf(user), body: seriesBody({ startDate: addDays(today(), -2) }) });
    expect(past.status).toBe(422);
  });

  test('preview: the next occurrences at the local times, nothing written', async () => {
    const series = await created({ daysOfWeek: [1, 3, 5] });
    const answer = await api.call('GET', `/v1/standing-orders/${series.id}/preview?count=5`, { as: actorOf(user) });
    expect(answer.status).toBe(200);
    const occurrences = answer.body.occurrences as { date: string; pickupAt: string; returnPickupAt: string }[];
    expect(occurrences).toHaveLength(5);
    for (const occurrence of occurrences) {
      expect([1, 3, 5]).toContain(isoWeekday(occurrence.date));
      expect(localTime(occurrence.pickupAt)).toBe('07:00');
      expect(localTime(occurrence.returnPickupAt)).toBe('12:00');
    }
    expect(await tripsOf(series.id)).toEqual([]);
  });

  test('accepted by dispatch: scheduled trips for the horizon, each naming its series and day; stale If-Match refused', async () => {
    const series = await created();
    const stale = await api.call('POST', `/v1/standing-orders/${series.id}/accept`,
      { as: actorOf(dispatcher), body: {}, headers: ifMatch(series.version + 1) });
    expect(stale.status).toBe(412);
    const facility = await api.call('POST', `/v1/standing-orders/${series.id}/accept`, { as: actorOf(user), body: {} });
    expect(facility.status).toBe(403);
    const answer = await api.call('POST', `/v1/standing-orders/${series.id}/accept`,
      { as: actorOf(dispatcher), body: { pickupTime: '06:45' }, headers: ifMatch(series.version) });
    expect(answer.body).toMatchObject({ status: 'active', pickupTime: '06:45' });
    const trips = await tripsOf(series.id);
    expect(trips.map((trip) => trip.occurrence_date)).toEqual(Array.from({ length: 13 }, (_, day) => addDays(today(), day + 1)));
    expect(trips.every((trip) => trip.status === 'scheduled' && localTime(trip.requested_pickup_at) === '06:45')).toBe(true);
    const trip = await api.call('GET', `/v1/trip-requests/${trips[0]?.id}`, { as: actorOf(user) });
    expect(trip.body).toMatchObject({ standingOrderId: series.id, occurrenceDate: trips[0]?.occurrence_date, status: 'scheduled' });
    const ofSeries = await api.call('GET', `/v1/trip-requests?standingOrderId=${series.id}&limit=100`, { as: actorOf(user) });
    expect(ofSeries.body.items.map((item: { id: string }) => item.id).sort()).toEqual(trips.map((one) => one.id).sort());
    const list = await api.call('GET', `/v1/standing-orders?status=active&riderId=${riderId}`, { as: actorOf(dispatcher) });
    expect(list.body.items.map((item: { id: string }) => item.id)).toContain(series.id);
  });

  test('edit: untouched trips follow, the assigned one is left alone and reported', async () => {
    const series = await accepted();
    const [first] = await tripsOf(series.id);
    const { rows } = await db().owner.query<{ id: string }>(`SELECT id FROM trip_legs WHERE trip_request_id = $1 AND kind = 'outbound'`,
      [first?.id as string]);
    await assignLeg(db().owner, rows[0]?.id as string, driver.id);
    const noIfMatch = await api.call('PATCH', `/v1/standing-orders/${series.id}`, { as: actorOf(user), body: { pickupTime: '06:30' } });
    expect(noIfMatch.status).toBe(428);
    const answer = await api.call('PATCH', `/v1/standing-orders/${series.id}`,
      { as: actorOf(user), body: { pickupTime: '06:30' }, headers: ifMatch(series.version) });
    expect(answer.status).toBe(200);
    expect(answer.body.leftAlone).toEqual([{ occurrenceDate: first?.occurrence_date, tripId: first?.id, reason: 'assigned' }]);
    const trips = await tripsOf(series.id);
    expect(trips).toHaveLength(13);
    expect(trips.map((trip) => localTime(trip.requested_pickup_at))).toEqual(['07:00', ...Array(12).fill('06:30')]);
  });

  test('skip a day: its trip is cancelled (audited, the rider told) and the day excluded', async () => {
    const series = await accepted();
    const day = addDays(today(), 3);
    const trip = (await tripsOf(series.id)).find((candidate) => candidate.occurrence_date === day) as SeriesTrip;
    const answer = await api.call('POST', `/v1/standing-orders/${series.id}/skips`, { as: actorOf(user), body: { date: day } });
    expect(answer.status).toBe(200);
    expect(answer.body.excludedDates).toEqual([day]);
    const { rows } = await db().owner.query<{ status: string }>('SELECT status FROM trip_requests WHERE id = $1', [trip.id]);
    expect(rows).toEqual([{ status: 'cancelled' }]);
    const { rows: events } = await db().owner.query<{ action: string }>(
      `SELECT action FROM audit_events WHERE trip_request_id = $1 AND action IN ('trip_request.cancelled', 'standing_order.skipped')
        ORDER BY seq`, [trip.id]);
    expect(events.map((event) => event.action)).toEqual(['trip_request.cancelled', 'standing_order.skipped']);
    const { rows: outbox } = await db().owner.query<{ event_type: string }>(
      'SELECT event_type FROM notification_outbox WHERE trip_request_id = $1', [trip.id]);
    expect(outbox).toEqual([{ event_type: 'cancellation_approved' }]);
    const notADay = await api.call('POST', `/v1/standing-orders/${series.id}/skips`, { as: actorOf(user), body: { date: day } });
    expect(notADay.status).toBe(422);
  });

  test('pause cancels untouched future trips; resume makes them again', async () => {
    const series = await accepted();
    const paused = await api.call('POST', `/v1/standing-orders/${series.id}/pause`, { as: actorOf(user), body: {} });
    expect(paused.body).toMatchObject({ status: 'paused', leftAlone: [] });
    expect(await tripsOf(series.id)).toEqual([]);
    const resumed = await api.call('POST', `/v1/standing-orders/${series.id}/resume`, { as: actorOf(user), body: {} });
    expect(resumed.body.status).toBe('active');
    const { rows: moves } = await db().owner.query<{ action: string; from_state: string; to_state: string }>(
      `SELECT action, from_state, to_state FROM audit_events WHERE entity_id = $1 AND to_state IS NOT NULL ORDER BY seq`, [series.id]);
    expect(moves.slice(-2)).toEqual([{ action: 'standing_order.paused', from_state: 'active', to_state: 'paused' },
      { action: 'standing_order.resumed', from_state: 'paused', to_state: 'active' }]);
    expect(await tripsOf(series.id)).toHaveLength(13);
    expect((await tripsOf(series.id, false)).length).toBe(26);
  });

  test('end: final; future untouched trips cancelled; no more changes', async () => {
    const series = await accepted();
    const ended = await api.call('POST', `/v1/standing-orders/${series.id}/end`, { as: actorOf(dispatcher), body: {} });
    expect(ended.body.status).toBe('ended');
    expect(await tripsOf(series.id)).toEqual([]);
    const edit = await api.call('PATCH', `/v1/standing-orders/${series.id}`,
      { as: actorOf(user), body: { pickupTime: '06:00' }, headers: ifMatch(ended.body.version) });
    expect(edit.status).toBe(409);
    const preview = await api.call('GET', `/v1/standing-orders/${series.id}/preview`, { as: actorOf(user) });
    expect(preview.body).toEqual({ occurrences: [] });
  });

  test('reject: dispatch only, with a reason; no trips', async () => {
    const series = await created();
    const answer = await api.call('POST', `/v1/standing-orders/${series.id}/reject`,
      { as: actorOf(dispatcher), body: { reason: 'Outside the service area' } });
    expect(answer.body).toMatchObject({ status: 'rejected', rejectionReason: 'Outside the service area' });
    const { rows } = await db().owner.query<{ action: string; to_state: string }>(
      `SELECT action, to_state FROM audit_events WHERE entity_id = $1 ORDER BY seq`, [series.id]);
    expect(rows).toEqual([{ action: 'standing_order.created', to_state: 'pending' },
      { action: 'standing_order.rejected', to_state: 'rejected' }]);
    const driverList = await api.call('GET', '/v1/standing-orders', { as: actorOf(driver) });
    expect(driverList.status).toBe(403);
  });
});
