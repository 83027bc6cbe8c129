import {
  createScheduledHandler, MaterialisationIncompleteError, type ScheduledDependencies, scheduledSettingsFromEnvironment,
} from '../../lambdas/standing-orders/scheduled';
import { startStandingOrdersTimer } from '../../local/standing-orders-timer';
import { useTestDatabase } from '../support/database';
import { createFacility, createFacilityUser, createRider, createStandingOrder } from '../support/fixtures';

/**
 * The scheduled function as EventBridge invokes it, on the real database as the materialiser's
 * login. It calls no AWS API (the outbox relay delivers what it writes), so nothing is faked.
 */
const db = useTestDatabase();
const ZONE = 'America/New_York';

let facilityId: string;
let riderId: string;
let submitter: string;
beforeAll(async () => {
  facilityId = (await createFacility(db().owner, { notifyRideReminder: true })).id;
  riderId = (await createRider(db().owner, { facilityId })).id;
  submitter = (await createFacilityUser(db().owner, 'FacilityUser', facilityId)).id;
});

function deps(): ScheduledDependencies {
  return {
    db: db().as('materialiser'),
    settings: scheduledSettingsFromEnvironment({ PROVIDER_TIME_ZONE: ZONE, STANDING_ORDER_HORIZON_DAYS: '14' }),
  };
}

async function seriesTrips(seriesId: string) {
  const { rows } = await db().owner.query<{ occurrence_date: string; status: string; legs: number }>(
    `SELECT t.occurrence_date::text AS occurrence_date, t.status,
            (SELECT count(*)::int FROM trip_legs l WHERE l.trip_request_id = t.id) AS legs
       FROM trip_requests t WHERE t.standing_order_id = $1 ORDER BY t.occurrence_date`,
    [seriesId],
  );
  return rows;
}

async function reminderRows() {
  const { rows } = await db().owner.query<{ trip_request_id: string }>(
    `SELECT trip_request_id FROM notification_outbox WHERE facility_id = $1 AND event_type = 'ride_reminder'`, [facilityId]);
  return rows;
}

describe('the EventBridge handler', () => {
  test('materialise: the horizon\'s occurrences become scheduled trips with legs; a retry makes nothing twice', async () => {
    // Monday 2030-03-04, 03:00 local (08:00Z): the nightly run. Mon/Wed/Fri for 14 days from today.
    const now = new Date('2030-03-04T08:00:00Z');
    const handler = createScheduledHandler(deps(), () => now);
    const order = await createStandingOrder(db().owner, { facilityId, riderId, submittedBy: submitter, daysOfWeek: [1, 3, 5],
      startDate: '2030-03-04', status: 'active' });
    const first = await handler({ task: 'materialise' });
    expect(first).toEqual({ task: 'materialise', through: '2030-03-17', materialised: { series: 1, tripsCreated: 6, failed: [] } });
    expect(await seriesTrips(order.id)).toEqual(['2030-03-04', '2030-03-06', '2030-03-08', '2030-03-11', '2030-03-13', '2030-03-15']
      .map((date) => ({ occurrence_date: date, status: 'scheduled', legs: 1 })));
    const again = await handler({ task: 'materialise' });
    expect(again).toMatchObject({ materialised: { tripsCreated: 0 } });
    expect(await seriesTrips(order.id)).toHaveLength(6);
  });

  test('remind: before the local hour nothing; from it on, tomorrow\'s rides once each', async () => {
    const handlerAt = (iso: string) => createScheduledHandler(deps(), () => new Date(iso));
    // Tuesday 2030-03-05: 17:00 EST is 22:00Z; the Wednesday trip of the series above is tomorrow.
    expect(await handlerAt('2030-03-05T22:00:00Z')({ task: 'remind' }))
      .toEqual({ task: 'remind', reminders: { due: false, rideDate: '2030-03-06', queued: 0 } });
    expect(await handlerAt('2030-03-05T23:00:00Z')({ task: 'remind' }))
      .toEqual({ task: 'remind', reminders: { due: true, rideDate: '2030-03-06', queued: 1 } });
    expect(await handlerAt('2030-03-06T00:00:00Z')({ task: 'remind' })).toMatchObject({ reminders: { queued: 0 } });
    expect(await reminderRows()).toHaveLength(1);
  });

  test('an event naming no known task is refused, not guessed at', async () => {
    const handler = createScheduledHandler(deps());
    for (const event of [{}, { task: 'everything' }, { task: 'remind', extra: true }, 'remind', null]) {
      await expect(handler(event)).rejects.toThrow('unknown scheduled event');
    }
  });

  test('a series that cannot be materialised fails the run (Lambda retries, the alarm fires), by id only', async () => {
    const otherRider = (await createRider(db().owner, { facilityId })).id;
    const order = await createStandingOrder(db().owner, { facilityId, riderId: otherRider, submittedBy: submitter,
      startDate: '2030-03-04', status: 'active' });
    // A series row the materialiser may not update: its run fails inside its own transaction.
    await db().owner.query('CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION \'refused\'; END $$');
    await db().owner.query(`CREATE TRIGGER test_refuse BEFORE UPDATE ON standing_orders FOR EACH ROW
      WHEN (NEW.id = '${order.id}'::uuid) EXECUTE FUNCTION test_refuse()`);
    try {
      const handler = createScheduledHandler(deps(), () => new Date('2030-03-04T09:00:00Z'));
      const failure = await handler({ task: 'materialise' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MaterialisationIncompleteError);
      expect((failure as MaterialisationIncompleteError).failed).toEqual([order.id]);
      expect((failure as Error).message).toBe('1 standing orders not materialised');
    } finally {
      await db().owner.query('DROP TRIGGER test_refuse ON standing_orders');
      await db().owner.query('DROP FUNCTION test_refuse()');
    }
  });
});

describe('settings from the function environment', () => {
  test('the provider zone is required; numbers are checked; defaults otherwise', () => {
    expect(() => scheduledSettingsFromEnvironment({})).toThrow('missing configuration: PROVIDER_TIME_ZONE');
    expect(() => scheduledSettingsFromEnvironment({ PROVIDER_TIME_ZONE: 'Mars/Olympus' })).toThrow(RangeError);
    expect(() => scheduledSettingsFromEnvironment({ PROVIDER_TIME_ZONE: ZONE, RIDE_REMINDER_LOCAL_HOUR: '24' })).toThrow(/0\.\.23/);
    expect(() => scheduledSettingsFromEnvironment({ PROVIDER_TIME_ZONE: ZONE, STANDING_ORDER_HORIZON_DAYS: '1.5' })).toThrow('invalid configuration: STANDING_ORDER_HORIZON_DAYS must be 1..120');
    expect(scheduledSettingsFromEnvironment({ PROVIDER_TIME_ZONE: ZONE }))
      .toEqual({ timeZone: ZONE, localHour: 18, pickupWindowMinutes: 30, horizonDays: 14 });
  });
});

describe('the local stack\'s timer', () => {
  test('materialises once per provider-local day and reminds at every check', async () => {
    const localFacility = (await createFacility(db().owner, { notifyRideReminder: true })).id;
    const localRider = (await createRider(db().owner, { facilityId: localFacility })).id;
    const localSubmitter = (await createFacilityUser(db().owner, 'FacilityUser', localFacility)).id;
    const order = await createStandingOrder(db().owner, { facilityId: localFacility, riderId: localRider, submittedBy: localSubmitter,
      daysOfWeek: [2, 4], startDate: '2031-06-02', status: 'active' });
    const clock = { now: new Date('2031-06-02T22:30:00Z') }; // Monday 18:30 EDT
    const reports: string[] = [];
    const timer = startStandingOrdersTimer(deps(), {
      intervalMs: 3_600_000,
      clock: () => clock.now,
      onReport: (task) => reports.push(task),
    });
    try {
      await timer.idle();
      expect(reports).toEqual(['materialise', 'remind']);
      expect(await seriesTrips(order.id)).toHaveLength(4);
      const { rows } = await db().owner.query(
        `SELECT 1 FROM notification_outbox WHERE facility_id = $1 AND event_type = 'ride_reminder'`, [localFacility]);
      expect(rows).toHaveLength(1);
      // An hour later, the same local day: reminders only. Just after local midnight: a new day.
      clock.now = new Date('2031-06-02T23:30:00Z');
      await timer.checkNow();
      expect(reports).toEqual(['materialise', 'remind', 'remind']);
      clock.now = new Date('2031-06-03T04:30:00Z');
      await timer.checkNow();
      expect(reports).toEqual(['materialise', 'remind', 'remind', 'materialise', 'remind']);
      expect(await seriesTrips(order.id)).toHaveLength(4);
    } finally {
      await timer.stop();
    }
  });
});
