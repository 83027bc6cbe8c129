import { templateFieldsFor } from '../../lambdas/notify/templates/fields';
import { renderSms } from '../../lambdas/notify/templates/render';
import { addDays, localDate } from '../../lambdas/shared/standing-orders/occurrences';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, assignLeg, createFacility, createFacilityUser, createRider, createStaffUser, type UserRow } from '../support/fixtures';

/**
 * The rider hears once when their series is paused, resumed or ended: one outbox row per change, in
 * the change's transaction, with the series' days, local pickup time and the date from when the
 * change holds; none per ride, none for a call that changed nothing, none for a series they were
 * never told about.
 */
const db = useTestDatabase();
const ZONE = 'America/New_York';
const SETTINGS = { providerName: 'Sunrise Transport', timeZone: ZONE };
let api: TestApi;
let facilityId: string;
let riderId: string;
let dispatcher: UserRow;
let driver: UserRow;
let user: UserRow;
let otherUser: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  facilityId = (await createFacility(db().owner)).id;
  riderId = (await createRider(db().owner, { facilityId })).id;
  dispatcher = await createStaffUser(db().owner, 'Dispatcher');
  driver = await createStaffUser(db().owner, 'Driver');
  user = await createFacilityUser(db().owner, 'FacilityUser', facilityId);
  otherUser = await createFacilityUser(db().owner, 'FacilityUser', (await createFacility(db().owner)).id);
});

const tomorrow = () => addDays(localDate(new Date(), ZONE), 1);
const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });

interface Series { id: string; version: number; status: string }

async function created(): Promise<Series> {
  const answer = await api.call('POST', '/v1/standing-orders', { as: actorOf(user), body: {
    riderId, daysOfWeek: [1, 2, 3, 4, 5, 6, 7], pickupTime: '07:00', appointmentTime: '08:00', pickupAddress: '1 Home Street',
    dropoffAddress: '2 Dialysis Centre', returnMode: 'none', startDate: tomorrow() } });
  expect(answer.status).toBe(201);
  return answer.body as Series;
}

async function accepted(): Promise<Series> {
  const series = await created();
  const answer = await api.call('POST', `/v1/standing-orders/${series.id}/accept`,
    { as: actorOf(dispatcher), body: {}, headers: ifMatch(series.version) });
  expect(answer.status).toBe(200);
  return answer.body as Series;
}

const change = (series: Series, verb: 'pause' | 'resume' | 'end', as: UserRow = user, headers: Record<string, string> = {}) =>
  api.call('POST', `/v1/standing-orders/${series.id}/${verb}`, { as: actorOf(as), body: {}, headers });

interface Notice { event_type: string; trip_request_id: string | null; rider_id: string; payload: Record<string, unknown> }

/** The rider's outbox rows for the series' rider, oldest first (each test's rider has one series at a time). */
async function notices(): Promise<Notice[]> {
  const { rows } = await db().owner.query<Notice>(
    `SELECT event_type, trip_request_id, rider_id, payload FROM notification_outbox WHERE facility_id = $1 AND rider_id = $2
      ORDER BY created_at, id`, [facilityId, riderId]);
  return rows;
}

const series7am = { daysOfWeek: [1, 2, 3, 4, 5, 6, 7], pickupTime: '07:00' };

beforeEach(async () => {
  await db().owner.query('DELETE FROM notification_outbox WHERE facility_id = $1', [facilityId]);
});

test('pause, resume and end each write exactly one notice for the series, none per ride, with the date from when it holds', async () => {
  const series = await accepted();
  expect((await notices()).map((row) => row.event_type)).toEqual(['series_confirmed']);

  expect((await change(series, 'pause')).status).toBe(200);
  expect((await change(series, 'resume')).status).toBe(200);
  expect((await change(series, 'pause')).status).toBe(200);
  expect((await change(series, 'end', dispatcher)).status).toBe(200);

  const rows = await notices();
  const next = tomorrow();
  const notice = (event_type: string, date: Record<string, string>) =>
    ({ event_type, trip_request_id: null, rider_id: riderId, payload: { ...series7am, ...date } });
  expect(rows.slice(1)).toEqual([
    notice('series_paused', { fromDate: next }),
    notice('series_resumed', { fromDate: next }),
    notice('series_paused', { fromDate: next }),
    // Paused, then ended: nothing left to ride, so no last ride is named.
    notice('series_ended', {}),
  ]);
  const sms = (row: Notice | undefined) => {
    const fields = row && templateFieldsFor(row.event_type as never, row.payload, SETTINGS);
    return fields && renderSms(row.event_type as never, fields);
  };
  expect(sms(rows[1])).toMatch(/^Sunrise Transport: Your standing ride \(every day, pickup 7:00 AM Eastern Time\) is paused from \w{3}, \w{3} \d+\./);
  expect(sms(rows[4])).toContain('has ended; no more rides.');
  for (const row of rows) expect(JSON.stringify(row.payload)).not.toMatch(/Home Street|Dialysis/);
});

test('a ride dispatch already planned still runs: paused from the day after it, and an end names it as the last ride', async () => {
  const series = await accepted();
  const { rows: legs } = await db().owner.query<{ id: string }>(
    `SELECT l.id FROM trip_legs l JOIN trip_requests t ON t.id = l.trip_request_id
      WHERE t.standing_order_id = $1 AND t.occurrence_date = $2 AND l.kind = 'outbound'`, [series.id, tomorrow()]);
  await assignLeg(db().owner, legs[0]?.id as string, driver.id);

  const paused = await change(series, 'pause');
  expect(paused.body.leftAlone).toEqual([expect.objectContaining({ occurrenceDate: tomorrow(), reason: 'assigned' })]);
  const ended = await change(series, 'end');
  expect(ended.status).toBe(200);

  const rows = (await notices()).slice(1);
  expect(rows.map((row) => [row.event_type, row.payload])).toEqual([
    ['series_paused', { ...series7am, fromDate: addDays(tomorrow(), 1) }],
    ['series_ended', { ...series7am, lastRideDate: tomorrow() }],
  ]);
  const fields = templateFieldsFor('series_ended', rows[1]?.payload, SETTINGS);
  expect(fields && renderSms('series_ended', fields)).toMatch(/has ended; last ride \w{3}, \w{3} \d+\. Reply STOP to opt out$/);
});

test('ending an active series names no last ride when none is left', async () => {
  const series = await accepted();
  expect((await change(series, 'end')).status).toBe(200);
  expect((await notices()).slice(1).map((row) => [row.event_type, row.payload])).toEqual([['series_ended', series7am]]);
});

test('refused and repeated calls write nothing: same state again, stale If-Match, another tenant, a driver', async () => {
  const series = await accepted();
  const before = await notices();
  expect((await change(series, 'resume')).status).toBe(409);
  expect((await change(series, 'pause', user, ifMatch(series.version + 5))).status).toBe(412);
  expect((await change(series, 'pause', otherUser)).status).toBe(404);
  expect((await change(series, 'pause', driver)).status).toBe(403);
  expect(await notices()).toEqual(before);

  expect((await change(series, 'pause')).status).toBe(200);
  expect((await change(series, 'pause')).status).toBe(409);
  expect((await notices()).slice(before.length).map((row) => row.event_type)).toEqual(['series_paused']);

  expect((await change(series, 'end')).status).toBe(200);
  expect((await change(series, 'end')).status).toBe(409);
  expect((await change(series, 'resume')).status).toBe(409);
  expect((await notices()).slice(before.length).map((row) => row.event_type)).toEqual(['series_paused', 'series_ended']);
});

test('a pending series the rider was never told about ends, or is refused, without a message', async () => {
  const pending = await created();
  expect((await change(pending, 'pause')).status).toBe(409);
  expect((await change(pending, 'end', dispatcher)).status).toBe(200);
  const rejected = await created();
  expect((await api.call('POST', `/v1/standing-orders/${rejected.id}/reject`,
    { as: actorOf(dispatcher), body: { reason: 'Outside the service area' } })).status).toBe(200);
  expect(await notices()).toEqual([]);
  const { rows } = await db().owner.query<{ status: string }>('SELECT status FROM standing_orders WHERE id = $1', [pending.id]);
  expect(rows).toEqual([{ status: 'ended' }]);
});
