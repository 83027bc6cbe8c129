import { SYSTEM_ACTOR } from '../../lambdas/shared/audit/record';
import type { Queryable } from '../../lambdas/shared/db/port';
import {
  applySeriesChange, horizonFrom, materialiseAll, materialiseSeries, withdrawOccurrences,
} from '../../lambdas/shared/standing-orders/materialise';
import { localInstant } from '../../lambdas/shared/standing-orders/occurrences';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, countRows, createContact, createFacility, createFacilityUser, createRider, createStaffUser,
  createLeg, createStandingOrder, createTripRequest, expectSqlError, getLeg, rlsRefusal, type StandingOrderInput, type UserRow,
  withActorRolledBack,
} from '../support/fixtures';

/**
 * Standing orders at the database: materialising is idempotent (twice, and twice at once), an edit
 * racing the nightly run leaves each day exactly one trip, touched occurrences stay as they are, and
 * the series table and the materialiser's role keep to their tenant and their rights.
 */
const db = useTestDatabase();
const ZONE = 'America/New_York';
// A Monday in the future; the horizon crosses the switch to daylight time (Sunday 10 March 2030).
const TODAY = '2030-03-04';
const HORIZON = horizonFrom(TODAY, 14);

let facilityId: string;
let riderId: string;
let dispatcher: UserRow;
let driver: UserRow;
let facilityUser: UserRow;

beforeAll(async () => {
  const owner = db().owner;
  facilityId = (await createFacility(owner)).id;
  riderId = (await createRider(owner, { facilityId })).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  const contact = await createContact(owner, { facilityId });
  facilityUser = await createFacilityUser(owner, 'FacilityUser', facilityId, { contactId: contact.id });
});

function series(input: Partial<StandingOrderInput> = {}) {
  return createStandingOrder(db().owner, {
    facilityId, riderId, submittedBy: facilityUser.id, daysOfWeek: [1, 3, 5], startDate: TODAY, status: 'active',
    returnMode: 'timed', returnPickupTime: '12:00', ...input,
  });
}

const asActor = (actor: Actor) => ({ timeZone: ZONE, actor: { sub: actor.sub, role: actor.role } });

function materialiseAs<T>(actor: Actor, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return withActor(db().as('api'), actor, work);
}

interface LiveTrip { id: string; occurrence_date: string; requested_pickup_at: string; status: string; legs: number }

async function liveTrips(seriesId: string): Promise<LiveTrip[]> {
  const { rows } = await db().owner.query<LiveTrip>(
    `SELECT t.id, t.occurrence_date::text AS occurrence_date, t.requested_pickup_at, t.status,
            (SELECT count(*)::int FROM trip_legs l WHERE l.trip_request_id = t.id) AS legs
       FROM trip_requests t WHERE t.standing_order_id = $1 AND NOT t.occurrence_withdrawn ORDER BY t.occurrence_date`, [seriesId]);
  return rows;
}

const MWF_DATES = ['2030-03-04', '2030-03-06', '2030-03-08', '2030-03-11', '2030-03-13', '2030-03-15'];

describe('materialising a series', () => {
  test('makes each occurrence a scheduled trip with its legs at the local times, audited, and no rider message', async () => {
    const { id } = await series();
    const dispatcherActor = actorOf(dispatcher);
    const run = await materialiseAs(dispatcherActor, (tx) => materialiseSeries(tx, asActor(dispatcherActor), id, HORIZON));
    expect(run.tripsCreated).toBe(6);
    const trips = await liveTrips(id);
    expect(trips.map((trip) => trip.occurrence_date)).toEqual(MWF_DATES);
    expect(trips.every((trip) => trip.status === 'scheduled' && trip.legs === 2)).toBe(true);
    // 07:00 local on both sides of the switch: 12:00 UTC before it, 11:00 UTC after.
    expect(new Date(trips[0]?.requested_pickup_at as string).toISOString()).toBe('2030-03-04T12:00:00.000Z');
    expect(new Date(trips[3]?.requested_pickup_at as string).toISOString()).toBe('2030-03-11T11:00:00.000Z');
    expect(await countRows(db().owner, 'SELECT 1 FROM notification_outbox WHERE trip_request_id = ANY($1::uuid[])',
      [`{${trips.map((trip) => trip.id).join(',')}}`])).toBe(0);
    const { rows: events } = await db().owner.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM audit_events WHERE facility_id = $1 AND (entity_id = $2 OR trip_request_id = ANY($3::uuid[]))
        GROUP BY action ORDER BY action`, [facilityId, id, `{${trips.map((trip) => trip.id).join(',')}}`]);
    expect(events).toEqual([
      { action: 'standing_order.materialised', n: 1 }, { action: 'trip_leg.created', n: 12 },
      { action: 'trip_request.created', n: 6 }, { action: 'trip_request.scheduled', n: 6 },
    ]);
  });

  test('the chain records each trip created, then each leg created (trip by trip, outbound first), then each trip scheduled, then the series', async () => {
    const { id } = await series();
    const actor = actorOf(dispatcher);
    await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    const trips = await liveTrips(id);
    const { rows: legs } = await db().owner.query<{ id: string; trip_request_id: string; kind: string }>(
      `SELECT l.id, l.trip_request_id, l.kind FROM trip_legs l JOIN trip_requests t ON t.id = l.trip_request_id
        WHERE t.standing_order_id = $1`, [id]);
    const legOf = new Map(legs.map((leg) => [`${leg.trip_request_id} ${leg.kind}`, leg.id]));
    const { rows: events } = await db().owner.query<{ action: string; entity_id: string; details: Record<string, unknown> }>(
      `SELECT action, entity_id, details FROM audit_events WHERE facility_id = $1 AND (entity_id = $2 OR trip_request_id = ANY($3::uuid[]))
        ORDER BY seq`, [facilityId, id, `{${trips.map((trip) => trip.id).join(',')}}`]);
    expect(events).toEqual([
      ...trips.map((trip) => ({ action: 'trip_request.created', entity_id: trip.id,
        details: { riderId, standingOrderId: id, occurrenceDate: trip.occurrence_date } })),
      ...trips.flatMap((trip) => ['outbound', 'return'].map((kind) => ({ action: 'trip_leg.created',
        entity_id: legOf.get(`${trip.id} ${kind}`), details: { kind, willCall: false } }))),
      ...trips.map((trip) => ({ action: 'trip_request.scheduled', entity_id: trip.id, details: {} })),
      { action: 'standing_order.materialised', entity_id: id,
        details: { tripsCreated: 6, from: HORIZON.from, through: HORIZON.through } },
    ]);
    expect((await db().owner.query('SELECT materialised_through::text AS through FROM standing_orders WHERE id = $1', [id])).rows)
      .toEqual([{ through: HORIZON.through }]);
  });

  test('a series whose rider is erased makes nothing', async () => {
    const erased = (await createRider(db().owner, { facilityId })).id;
    await db().owner.query(
      `UPDATE riders SET erased_at = now(), data_key = NULL, full_name_enc = NULL, phone_enc = NULL, email_enc = NULL,
         date_of_birth_enc = NULL, home_address_enc = NULL, care_notes_enc = NULL, phone_index = NULL, email_index = NULL,
         intake_phone_index = NULL WHERE id = $1`, [erased]);
    const { id } = await series({ riderId: erased });
    const actor = actorOf(dispatcher);
    const run = await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    expect(run.tripsCreated).toBe(0);
    expect(await liveTrips(id)).toEqual([]);
    // Ended, so the nightly run below does not count it as due.
    await db().owner.query(`UPDATE standing_orders SET status = 'ended' WHERE id = $1`, [id]);
  });

  test('the same horizon twice: the second run makes nothing and writes nothing', async () => {
    const { id } = await series();
    const actor = actorOf(dispatcher);
    await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    const auditBefore = await countRows(db().owner, 'SELECT 1 FROM audit_events WHERE facility_id = $1', [facilityId]);
    const versionBefore = (await db().owner.query('SELECT version FROM standing_orders WHERE id = $1', [id])).rows[0];
    const again = await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    expect(again.tripsCreated).toBe(0);
    expect(await countRows(db().owner, 'SELECT 1 FROM audit_events WHERE facility_id = $1', [facilityId])).toBe(auditBefore);
    expect((await db().owner.query('SELECT version FROM standing_orders WHERE id = $1', [id])).rows[0]).toEqual(versionBefore);
    expect((await liveTrips(id)).length).toBe(6);
  });

  test('the same horizon twice at once: each day once, one run makes them all', async () => {
    const { id } = await series();
    const actor = actorOf(dispatcher);
    const runs = await Promise.all([1, 2].map(() => materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON))));
    expect(runs.map((run) => run.tripsCreated).sort()).toEqual([0, 6]);
    expect((await liveTrips(id)).map((trip) => trip.occurrence_date)).toEqual(MWF_DATES);
  });

  test('the nightly run as the materialiser login: System events, each series once, the second run finds nothing due', async () => {
    const { id } = await series({ daysOfWeek: [2, 4] });
    const first = await materialiseAll(db().as('materialiser'), { timeZone: ZONE }, { horizonDays: 14, today: TODAY });
    expect(first.failed).toEqual([]);
    expect(first.tripsCreated).toBeGreaterThanOrEqual(4);
    expect((await liveTrips(id)).map((trip) => trip.occurrence_date)).toEqual(['2030-03-05', '2030-03-07', '2030-03-12', '2030-03-14']);
    const { rows } = await db().owner.query<{ actor_role: string; actor_sub: string | null; details: unknown }>(
      `SELECT actor_role, actor_sub, details FROM audit_events WHERE entity_id = $1 AND action = 'standing_order.materialised'`, [id]);
    expect(rows).toEqual([{ actor_role: 'System', actor_sub: null,
      details: { tripsCreated: 4, from: HORIZON.from, through: HORIZON.through } }]);
    const second = await materialiseAll(db().as('materialiser'), { timeZone: ZONE }, { horizonDays: 14, today: TODAY });
    expect(second).toEqual({ series: 0, tripsCreated: 0, failed: [] });
  });

  test('pending, paused, ended and rejected series make no trips; excluded dates and the end date are kept', async () => {
    const actor = actorOf(dispatcher);
    for (const status of ['pending', 'paused', 'ended', 'rejected'] as const) {
      const { id } = await series({ status });
      const run = await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
      expect({ status, made: run.tripsCreated }).toEqual({ status, made: 0 });
    }
    const { id } = await series({ excludedDates: ['2030-03-06'], endDate: '2030-03-11' });
    await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    expect((await liveTrips(id)).map((trip) => trip.occurrence_date)).toEqual(['2030-03-04', '2030-03-08', '2030-03-11']);
  });

  test('the database refuses a second live trip for the same series and day', async () => {
    const { id } = await series();
    const actor = actorOf(dispatcher);
    await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    await expectSqlError(db().owner.query(
      `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, pickup_address, dropoff_address, appointment_at,
         standing_order_id, occurrence_date)
       VALUES ($1, $2, 'facility', $3, 'a', 'b', '2030-03-04T13:00:00Z', $4, '2030-03-04')`,
      [facilityId, riderId, facilityUser.id, id]), { code: '23505', constraint: 'trip_requests_occurrence' });
  });
});

describe('changing a series', () => {
  test('an edit racing the nightly run: each day exactly one trip, the touched one untouched and reported', async () => {
    const { id } = await series();
    const actor = actorOf(dispatcher);
    await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    const before = await liveTrips(id);
    const touched = before[2] as LiveTrip;
    const { rows: legs } = await db().owner.query<{ id: string }>(
      `SELECT id FROM trip_legs WHERE trip_request_id = $1 AND kind = 'outbound'`, [touched.id]);
    await assignLeg(db().owner, (legs[0] as { id: string }).id, driver.id);
    // A later start also lets the nightly run find the series due.
    await db().owner.query('UPDATE standing_orders SET materialised_through = NULL WHERE id = $1', [id]);

    const [edit] = await Promise.all([
      materialiseAs(actor, async (tx) => {
        await tx.query(`UPDATE standing_orders SET pickup_time = '06:30' WHERE facility_id = $1 AND id = $2`, [facilityId, id]);
        return applySeriesChange(tx, asActor(actor), { id, facility_id: facilityId }, HORIZON);
      }),
      materialiseAll(db().as('materialiser'), { timeZone: ZONE }, { horizonDays: 14, today: TODAY }),
    ]);
    expect(edit.leftAlone).toEqual([{ occurrenceDate: touched.occurrence_date, tripId: touched.id, reason: 'assigned' }]);
    expect(edit.withdrawn).toHaveLength(5);
    const after = await liveTrips(id);
    expect(after.map((trip) => trip.occurrence_date)).toEqual(MWF_DATES);
    for (const trip of after) {
      const expected = trip.id === touched.id ? new Date(touched.requested_pickup_at) : localInstant(trip.occurrence_date, '06:30', ZONE);
      expect({ date: trip.occurrence_date, at: new Date(trip.requested_pickup_at).toISOString() })
        .toEqual({ date: trip.occurrence_date, at: expected.toISOString() });
    }
    // The withdrawn ones are cancelled with their legs and audited as the series' change.
    expect(await countRows(db().owner,
      `SELECT 1 FROM trip_requests WHERE standing_order_id = $1 AND occurrence_withdrawn AND status = 'cancelled'`, [id])).toBe(5);
    expect(await countRows(db().owner, `SELECT 1 FROM audit_events WHERE action = 'trip_request.cancelled'
        AND details->>'standingOrderId' = $1 AND details->>'reasonCode' = 'series_changed'`, [id])).toBe(5);
  });

  test('a facility user withdraws the untouched occurrences of their own series; the assigned one is left alone', async () => {
    const { id } = await series();
    const admin = actorOf(dispatcher);
    await materialiseAs(admin, (tx) => materialiseSeries(tx, asActor(admin), id, HORIZON));
    const trips = await liveTrips(id);
    const { rows: legs } = await db().owner.query<{ id: string }>(
      `SELECT id FROM trip_legs WHERE trip_request_id = $1 AND kind = 'return'`, [(trips[0] as LiveTrip).id]);
    await assignLeg(db().owner, (legs[0] as { id: string }).id, driver.id);
    const user = actorOf(facilityUser);
    const result = await materialiseAs(user, async (tx) => {
      await tx.query(`UPDATE standing_orders SET status = 'paused' WHERE facility_id = $1 AND id = $2`, [facilityId, id]);
      return withdrawOccurrences(tx, asActor(user), { id, facility_id: facilityId }, 'series_paused');
    });
    expect(result.withdrawn).toHaveLength(5);
    expect(result.leftAlone).toEqual([{ occurrenceDate: trips[0]?.occurrence_date, tripId: trips[0]?.id, reason: 'assigned' }]);
    expect((await liveTrips(id)).map((trip) => trip.occurrence_date)).toEqual([trips[0]?.occurrence_date]);
    // Resuming makes the withdrawn days again.
    await materialiseAs(user, async (tx) => {
      await tx.query(`UPDATE standing_orders SET status = 'active' WHERE facility_id = $1 AND id = $2`, [facilityId, id]);
      return materialiseSeries(tx, asActor(user), id, HORIZON, facilityId);
    });
    expect((await liveTrips(id)).map((trip) => trip.occurrence_date)).toEqual(MWF_DATES);
  });
});

describe('local times against the database\'s own zone rules', () => {
  test('every local time of a year agrees with Postgres AT TIME ZONE, except the fall-back hour, where ours is the earlier', async () => {
    const { rows } = await db().owner.query<{ day: string; at: string }>(
      `SELECT d::date::text AS day, ((d::date + time '01:30') AT TIME ZONE $1)::text AS at
         FROM generate_series(date '2030-01-01', date '2030-12-31', interval '1 day') AS d`, [ZONE]);
    const differing = rows.filter((row) => new Date(row.at.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).getTime()
      !== localInstant(row.day, '01:30', ZONE).getTime());
    // 3 November 2030: 01:30 happens twice; Postgres takes the later (EST), the series the earlier (EDT).
    expect(differing.map((row) => row.day)).toEqual(['2030-11-03']);
    expect(localInstant('2030-11-03', '01:30', ZONE).toISOString()).toBe('2030-11-03T05:30:00.000Z');
    const gap = await db().owner.query<{ same: boolean }>(
      `SELECT (date '2030-03-10' + time '02:30') AT TIME ZONE $1 = $2::timestamptz AS same`,
      [ZONE, localInstant('2030-03-10', '02:30', ZONE).toISOString()]);
    expect(gap.rows).toEqual([{ same: true }]);
  });
});

describe('the series table and the materialiser at the SQL level', () => {
  test('Drivers see no series and Billing only reads; a FacilityUser sees their own and their contact\'s only', async () => {
    const { id } = await series({ status: 'pending' });
    const other = await createFacilityUser(db().owner, 'FacilityUser', facilityId);
    const count = (actor: Actor) => withActorRolledBack(db().as('api'), actor,
      (tx) => countRows(tx, 'SELECT 1 FROM standing_orders WHERE id = $1', [id]));
    expect(await count(actorOf(driver))).toBe(0);
    expect(await count(actorOf(facilityUser))).toBe(1);
    expect(await count(actorOf(other))).toBe(0);
    const billing = await createStaffUser(db().owner, 'Billing');
    expect(await count(actorOf(billing))).toBe(1);
    const updated = await withActorRolledBack(db().as('api'), actorOf(billing), (tx) => tx.query(
      `UPDATE standing_orders SET pickup_address = 'x' WHERE id = $1`, [id]));
    expect(updated.rowCount).toBe(0);
    await expectSqlError(withActorRolledBack(db().as('api'), actorOf(billing), (tx) => tx.query(
      `INSERT INTO standing_orders (facility_id, rider_id, submitted_by, source, days_of_week, pickup_time, appointment_time,
         pickup_address, dropoff_address, mobility, start_date)
       VALUES ($1, $2, $3, 'dispatcher', '{1}', '07:00', '08:00', 'a', 'b', 'ambulatory', '2030-03-04')`,
      [facilityId, riderId, billing.id])), rlsRefusal('standing_orders'));
  });

  test('facility roles cannot accept their own series, nor cancel an assigned occurrence', async () => {
    const pending = await series({ status: 'pending' });
    await expectSqlError(withActorRolledBack(db().as('api'), actorOf(facilityUser), (tx) => tx.query(
      `UPDATE standing_orders SET status = 'active' WHERE id = $1`, [pending.id])), { code: '42501' });
    const { id } = await series();
    const actor = actorOf(dispatcher);
    await materialiseAs(actor, (tx) => materialiseSeries(tx, asActor(actor), id, HORIZON));
    const trip = (await liveTrips(id))[0] as LiveTrip;
    const { rows: legs } = await db().owner.query<{ id: string }>('SELECT id FROM trip_legs WHERE trip_request_id = $1', [trip.id]);
    await assignLeg(db().owner, (legs[0] as { id: string }).id, driver.id);
    await expectSqlError(withActorRolledBack(db().as('api'), actorOf(facilityUser), (tx) => tx.query(
      `UPDATE trip_requests SET status = 'cancelled' WHERE id = $1`, [trip.id])), { code: '42501' });
  });

  test('the materialiser sees one tenant\'s series trips, writes only series trips and their legs, audits only as the System', async () => {
    const { id } = await series();
    await materialiseAll(db().as('materialiser'), { timeZone: ZONE }, { horizonDays: 14, today: TODAY });
    const otherFacility = await createFacility(db().owner);
    const asMaterialiser = <T>(tenant: string, work: (tx: Queryable) => Promise<T>) => db().as('materialiser').transaction(work, {
      settings: { 'app.role': 'System', 'app.sub': '', 'app.facility_id': tenant, 'app.contact_id': '', 'app.request_id': 'test' },
    });
    expect(await asMaterialiser(otherFacility.id, (tx) => countRows(tx, 'SELECT 1 FROM trip_requests WHERE standing_order_id = $1', [id])))
      .toBe(0);
    expect(await asMaterialiser(facilityId, (tx) => countRows(tx, 'SELECT 1 FROM trip_requests WHERE standing_order_id IS NULL')))
      .toBe(0);
    // An ordinary scheduled trip, which the evening reminders may read (schema/0025): its legs are
    // still not the materialiser's to add or to move (schema/0031).
    const ordinary = await createTripRequest(db().owner, { facilityId, riderId, source: 'facility', submittedBy: facilityUser.id,
      status: 'scheduled' });
    const ordinaryLeg = await createLeg(db().owner, ordinary);
    const moved = await asMaterialiser(facilityId, (tx) => tx.query(`UPDATE trip_legs SET status = 'cancelled' WHERE id = $1`,
      [ordinaryLeg.id]));
    expect(moved.rowCount).toBe(0);
    expect((await getLeg(db().owner, ordinaryLeg.id)).status).toBe(ordinaryLeg.status);
    await expectSqlError(asMaterialiser(facilityId, (tx) => tx.query(
      `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, pickup_address, dropoff_address)
       VALUES ($1, $2, $3, 'return', 'a', 'b')`, [facilityId, ordinary.id, riderId])), rlsRefusal('trip_legs'));
    await expectSqlError(asMaterialiser(facilityId, (tx) => tx.query(
      `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, pickup_address, dropoff_address, appointment_at)
       VALUES ($1, $2, 'facility', $3, 'a', 'b', '2030-03-04T13:00:00Z')`, [facilityId, riderId, facilityUser.id])),
    rlsRefusal('trip_requests'));
    await expectSqlError(asMaterialiser(facilityId, (tx) => tx.query(
      `INSERT INTO audit_events (facility_id, actor_sub, actor_role, entity_type, entity_id, action)
       VALUES ($1, $2, 'Dispatcher', 'standing_order', $3, 'standing_order.accepted')`, [facilityId, dispatcher.id, id])),
    rlsRefusal('audit_events'));
    await expectSqlError(asMaterialiser(facilityId, (tx) => tx.query(`UPDATE standing_orders SET pickup_address = 'x' WHERE id = $1`, [id])),
      { code: '42501' });
    await expectSqlError(asMaterialiser(facilityId, (tx) => tx.query('SELECT full_name_enc FROM riders')), { code: '42501' });
    expect(SYSTEM_ACTOR).toEqual({ sub: null, role: 'System' });
  });
});
