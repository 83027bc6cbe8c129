import { templateFieldsFor } from '../../lambdas/notify/templates/fields';
import { renderSms } from '../../lambdas/notify/templates/render';
import { addDays, localDate } from '../../lambdas/shared/standing-orders/occurrences';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacility, createFacilityUser, createRider, createStaffUser, type UserRow } from '../support/fixtures';

/**
 * The rider hears once when dispatch accepts a series: one `series_confirmed` outbox row with the
 * days, the local pickup time and the first day (receipt-level), and no message per generated trip.
 */
const db = useTestDatabase();
const ZONE = 'America/New_York';
let api: TestApi;
let facilityId: string;
let riderId: string;
let dispatcher: UserRow;
let user: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  facilityId = (await createFacility(db().owner)).id;
  riderId = (await createRider(db().owner, { facilityId })).id;
  dispatcher = await createStaffUser(db().owner, 'Dispatcher');
  user = await createFacilityUser(db().owner, 'FacilityUser', facilityId);
});

test('accepting a series writes one confirmation for it, with the accepted time, and none per trip', async () => {
  const startDate = addDays(localDate(new Date(), ZONE), 1);
  const created = await api.call('POST', '/v1/standing-orders', { as: actorOf(user), body: {
    riderId, daysOfWeek: [5, 1, 3], pickupTime: '07:00', appointmentTime: '08:00', pickupAddress: '1 Home Street',
    dropoffAddress: '2 Dialysis Centre', returnMode: 'none', startDate } });
  expect(created.status).toBe(201);
  const accepted = await api.call('POST', `/v1/standing-orders/${created.body.id}/accept`,
    { as: actorOf(dispatcher), body: { pickupTime: '06:45' }, headers: { 'If-Match': `"${created.body.version}"` } });
  expect(accepted.status).toBe(200);

  const { rows } = await db().owner.query<{ event_type: string; trip_request_id: string | null; rider_id: string; payload: unknown }>(
    'SELECT event_type, trip_request_id, rider_id, payload FROM notification_outbox WHERE facility_id = $1', [facilityId]);
  expect(rows).toEqual([{ event_type: 'series_confirmed', trip_request_id: null, rider_id: riderId,
    payload: { daysOfWeek: [1, 3, 5], pickupTime: '06:45', startDate } }]);
  const { rows: trips } = await db().owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM trip_requests WHERE standing_order_id = $1', [created.body.id]);
  expect(trips[0]?.n).toBeGreaterThan(0);

  const fields = templateFieldsFor('series_confirmed', rows[0]?.payload, { providerName: 'Sunrise Transport', timeZone: ZONE });
  expect(fields && renderSms('series_confirmed', fields))
    .toMatch(/^Sunrise Transport: Your standing ride is confirmed: Mon, Wed, Fri, pickup 6:45 AM Eastern Time from \w{3}, \w{3} \d+\./);
});
