import type { Database } from '../../lambdas/shared/db/port';
import { type RideReminderSettings, sendRideReminders } from '../../lambdas/standing-orders/reminders';
import { useTestDatabase } from '../support/database';
import {
  cancelLeg, createFacility, createLeg, createRider, createStaffUser, createTripRequest, legWindow, moveTripRequest, type TripRequestRow,
} from '../support/fixtures';

/**
 * Evening-before ride reminders, as the scheduled function runs them: the materialiser's own
 * database login (RLS applies), tomorrow in the provider's zone, at most once per trip.
 */
const db = useTestDatabase();
const SETTINGS: RideReminderSettings = { timeZone: 'America/New_York', localHour: 18, pickupWindowMinutes: 30 };

let dispatcherId: string;
beforeAll(async () => {
  dispatcherId = (await createStaffUser(db().owner, 'Dispatcher')).id;
});

function materialiser(): Database {
  return db().as('materialiser');
}

async function tenant(notifyRideReminder = true) {
  return (await createFacility(db().owner, { notifyRideReminder })).id;
}

/** A scheduled trip whose outbound pickup is at `pickupAt`. */
async function rideAt(facilityId: string, pickupAt: string,
  rider?: { notifyChannel?: 'sms' | 'email' | 'none'; notifyConsent?: boolean }): Promise<TripRequestRow> {
  const { id: riderId } = await createRider(db().owner, { facilityId, ...rider, email: 'rider@example.test' });
  const trip = await createTripRequest(db().owner, { facilityId, riderId, source: 'dispatcher', submittedBy: dispatcherId,
    status: 'scheduled' });
  await createLeg(db().owner, trip, { window: legWindow(pickupAt, 45) });
  return trip;
}

async function reminders(facilityId: string) {
  const { rows } = await db().owner.query<{ trip_request_id: string; event_type: string; payload: Record<string, unknown>;
    rider_id: string; status: string }>(
    `SELECT o.trip_request_id, o.event_type, o.payload, o.rider_id, o.status
       FROM notification_outbox o WHERE o.facility_id = $1 AND o.event_type = 'ride_reminder' ORDER BY o.payload->>'pickupWindowStart'`,
    [facilityId],
  );
  return rows;
}

test('before the local reminder hour nothing is looked at; from it on, tomorrow\'s rides get one receipt-level row each', async () => {
  const facilityId = await tenant();
  // 2030-03-05 is a Tuesday; 18:00 EST is 23:00Z.
  const trip = await rideAt(facilityId, '2030-03-06T14:00:00Z');
  const early = await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-03-05T22:59:00Z') });
  expect(early).toEqual({ due: false, rideDate: '2030-03-06', queued: 0, outboxIds: [] });
  expect(await reminders(facilityId)).toEqual([]);

  const report = await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-03-05T23:00:00Z') });
  expect(report).toMatchObject({ due: true, rideDate: '2030-03-06', queued: 1 });
  expect(await reminders(facilityId)).toEqual([{
    trip_request_id: trip.id, event_type: 'ride_reminder', rider_id: trip.riderId, status: 'pending',
    // The allow-list only: the code and the window, nothing about the rider or the care.
    payload: { referenceCode: trip.referenceCode, pickupWindowStart: '2030-03-06T14:00:00.000Z', pickupWindowEnd: '2030-03-06T14:30:00.000Z' },
  }]);
  const { rows } = await db().owner.query('SELECT facility_id, outbox_id FROM ride_reminders WHERE trip_request_id = $1', [trip.id]);
  expect(rows).toEqual([{ facility_id: facilityId, outbox_id: report.outboxIds[0] }]);
});

test('only tenants that opted in, only scheduled or under-way trips with a live outbound leg, only riders who may be told', async () => {
  const [optedIn, quiet] = [await tenant(true), await tenant(false)];
  const at = '2030-04-10T13:00:00Z';
  const remindable = await rideAt(optedIn, at);
  const underWay = await rideAt(optedIn, at);
  await moveTripRequest(db().owner, underWay.id, 'in_progress');
  await rideAt(quiet, at);
  const cancelled = await rideAt(optedIn, at);
  await db().owner.query(`UPDATE trip_requests SET status = 'cancelled' WHERE id = $1`, [cancelled.id]);
  const legCancelled = await rideAt(optedIn, at);
  const { rows: [leg] } = await db().owner.query<{ id: string }>('SELECT id FROM trip_legs WHERE trip_request_id = $1', [legCancelled.id]);
  await cancelLeg(db().owner, (leg as { id: string }).id);
  const { id: requestedRider } = await createRider(db().owner, { facilityId: optedIn });
  await createTripRequest(db().owner, { facilityId: optedIn, riderId: requestedRider, source: 'dispatcher', submittedBy: dispatcherId });
  await rideAt(optedIn, at, { notifyConsent: false });
  await rideAt(optedIn, at, { notifyChannel: 'none' });
  const optedOut = await rideAt(optedIn, at);
  await db().owner.query('UPDATE riders SET sms_opted_out = true WHERE id = $1', [optedOut.riderId]);
  const byEmail = await rideAt(optedIn, at, { notifyChannel: 'email' });

  const report = await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-04-09T22:30:00Z') });
  expect(report.queued).toBe(3);
  expect((await reminders(optedIn)).map((row) => row.trip_request_id).sort())
    .toEqual([remindable.id, underWay.id, byEmail.id].sort());
  expect(await reminders(quiet)).toEqual([]);
});

test('run twice, and twice at the same time: each trip is reminded exactly once', async () => {
  const facilityId = await tenant();
  const trips = await Promise.all(Array.from({ length: 12 }, (_, index) =>
    rideAt(facilityId, new Date(Date.UTC(2030, 4, 15, 12, index * 5)).toISOString())));
  const now = new Date('2030-05-14T23:15:00Z');
  // Small batches, so the two runs interleave over several transactions.
  const [first, second] = await Promise.all([
    sendRideReminders(materialiser(), SETTINGS, { now, batchSize: 3 }),
    sendRideReminders(materialiser(), SETTINGS, { now, batchSize: 3 }),
  ]);
  expect(first.queued + second.queued).toBe(trips.length);
  const again = await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-05-15T02:00:00Z') });
  expect(again).toMatchObject({ due: true, queued: 0 });
  const rows = await reminders(facilityId);
  expect(rows).toHaveLength(trips.length);
  expect(new Set(rows.map((row) => row.trip_request_id)).size).toBe(trips.length);
  const { rows: claims } = await db().owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM ride_reminders WHERE facility_id = $1', [facilityId]);
  expect(claims).toEqual([{ n: trips.length }]);
});

describe('tomorrow is the provider\'s local day, across daylight saving changes', () => {
  test('spring forward: the 23-hour day of 2030-03-10, from the evening before', async () => {
    const facilityId = await tenant();
    const inside = [
      await rideAt(facilityId, '2030-03-10T05:00:00Z'), // 00:00 EST, the first minute of the day
      await rideAt(facilityId, '2030-03-10T07:30:00Z'), // 03:30 EDT, just after the gap
      await rideAt(facilityId, '2030-03-11T03:59:00Z'), // 23:59 EDT, the last minute of the day
    ];
    await rideAt(facilityId, '2030-03-10T04:59:00Z'); // 23:59 EST on the 9th: today, not tomorrow
    await rideAt(facilityId, '2030-03-11T04:00:00Z'); // 00:00 EDT on the 11th: the day after
    // 18:30 EST on Saturday the 9th.
    const report = await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-03-09T23:30:00Z') });
    expect(report).toMatchObject({ due: true, rideDate: '2030-03-10', queued: 3 });
    expect((await reminders(facilityId)).map((row) => row.trip_request_id)).toEqual(inside.map((trip) => trip.id));
  });

  test('fall back: the 25-hour day of 2030-11-03, and the reminder hour read on the evening\'s own clock', async () => {
    const facilityId = await tenant();
    const inside = [
      await rideAt(facilityId, '2030-11-03T04:00:00Z'), // 00:00 EDT
      await rideAt(facilityId, '2030-11-03T06:30:00Z'), // 01:30 EST, the second 1:30
      await rideAt(facilityId, '2030-11-04T04:59:00Z'), // 23:59 EST
    ];
    await rideAt(facilityId, '2030-11-04T05:00:00Z'); // 00:00 EST on the 4th
    await rideAt(facilityId, '2030-11-03T03:59:00Z'); // 23:59 EDT on the 2nd
    // 17:30 EDT on the 2nd is before the hour; 18:00 EDT is 22:00Z (a fixed UTC offset of -5 would say 17:00).
    expect(await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-11-02T21:30:00Z') }))
      .toMatchObject({ due: false, queued: 0 });
    const report = await sendRideReminders(materialiser(), SETTINGS, { now: new Date('2030-11-02T22:00:00Z') });
    expect(report).toMatchObject({ due: true, rideDate: '2030-11-03', queued: 3 });
    expect((await reminders(facilityId)).map((row) => row.trip_request_id)).toEqual(inside.map((trip) => trip.id));
  });
});

test('the materialiser\'s login may not remind for a tenant that has not opted in, nor write other events', async () => {
  const quiet = await tenant(false);
  const trip = await rideAt(quiet, '2030-06-02T14:00:00Z');
  await expect(materialiser().query(
    `INSERT INTO ride_reminders (facility_id, trip_request_id, outbox_id) VALUES ($1, $2, gen_random_uuid())`,
    [quiet, trip.id],
  )).rejects.toMatchObject({ code: '42501' });
  await expect(materialiser().query(
    `INSERT INTO notification_outbox (facility_id, rider_id, trip_request_id, event_type, payload)
     VALUES ($1, $2, $3, 'trip_scheduled', '{}')`,
    [quiet, trip.riderId, trip.id],
  )).rejects.toMatchObject({ code: '42501' });
  await expect(materialiser().query('SELECT phone_enc FROM riders LIMIT 1')).rejects.toMatchObject({ code: '42501' });
});

test('in one tenant\'s transaction the login sees and reminds only that tenant\'s trips', async () => {
  const [mine, theirs] = [await tenant(), await tenant()];
  const own = await rideAt(mine, '2030-06-02T14:00:00Z');
  const other = await rideAt(theirs, '2030-06-02T14:00:00Z');
  const asTenant = { settings: { 'app.facility_id': mine } };
  const visible = await materialiser().transaction(async (tx) =>
    (await tx.query<{ id: string }>('SELECT id FROM trip_requests WHERE id IN ($1, $2)', [own.id, other.id])).rows, asTenant);
  expect(visible).toEqual([{ id: own.id }]);
  await expect(materialiser().transaction((tx) => tx.query(
    'INSERT INTO ride_reminders (facility_id, trip_request_id, outbox_id) VALUES ($1, $2, gen_random_uuid())', [theirs, other.id]),
  asTenant)).rejects.toMatchObject({ code: '42501' });
  expect(await materialiser().query('SELECT id FROM trip_requests')).toMatchObject({ rows: [] });
});
