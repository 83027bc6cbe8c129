import type { Database, Queryable } from '../lambdas/shared/db/port';
import { arrayLiteral } from '../lambdas/shared/db/array-literal';
import { horizonFrom, materialiseAll } from '../lambdas/shared/standing-orders/materialise';
import { type Occurrence, occurrences } from '../lambdas/shared/standing-orders/occurrences';
import type { BenchSettings } from './support/context';
import { status } from './support/output';
import type { BenchServer } from './support/postgres';
import { type BenchmarkOutcome, check } from './support/results';
import { ratio, round } from './support/stats';

/**
 * P10: the nightly materialisation of standing orders. `materialiseAll` (as the materialiser's own
 * login, each series its own tenant transaction: lock, trips, legs, an audit event per trip, per leg
 * and per series, progress recorded) over 14 days of N active Mon/Wed/Fri series, against the floor
 * of inserting the same trips and legs directly, one tenant transaction per series as the same
 * login (the same set-based INSERTs and the move to `scheduled`, no lock, no audit). Each side runs
 * on its own freshly seeded database of the same shape, so neither finds the other's rows. Then the
 * same run again: it must write nothing and take at most a tenth of the first.
 */
const ZONE = 'America/New_York';
/** A Monday; the fortnight crosses the switch to daylight time (Sunday 9 March 2031). */
const TODAY = '2031-03-03';
const NOW = new Date('2031-03-03T05:00:00Z');
const HORIZON_DAYS = 14;
const TENANTS = 20;
const DAYS = [1, 3, 5];

interface SeededSeries {
  id: string;
  facility_id: string;
  rider_id: string;
  submitted_by: string;
}

/** N active series over TENANTS tenants, one rider each, sealed fields stand-ins (never opened here). */
async function seed(owner: Database, series: number): Promise<void> {
  await owner.query(
    `INSERT INTO facilities (kind, name) SELECT 'facility', 'P10 tenant ' || g FROM generate_series(1, $1) AS g`, [TENANTS]);
  await owner.query(
    `INSERT INTO users (id, role, facility_id, email, display_name)
     SELECT gen_random_uuid(), 'FacilityUser', f.id, 'p10-' || f.id || '@example.test', 'P10 coordinator' FROM facilities f`);
  await owner.query(
    `INSERT INTO riders (facility_id, data_key, full_name_enc)
     SELECT (SELECT id FROM facilities ORDER BY id OFFSET (g % $2) LIMIT 1),
            decode(md5(g::text) || md5(g::text || 'k'), 'hex'), decode(md5(g::text || 'n'), 'hex')
       FROM generate_series(1, $1) AS g`,
    [series, TENANTS],
  );
  await owner.query(
    `INSERT INTO standing_orders (facility_id, rider_id, submitted_by, source, days_of_week, pickup_time, appointment_time,
       pickup_address, dropoff_address, mobility, return_mode, start_date)
     SELECT r.facility_id, r.id, u.id, 'facility', $1::smallint[], '07:00', '08:00', '12 Bench Street', '3 Dialysis Centre',
            'ambulatory', 'none', $2::date
       FROM riders r JOIN users u ON u.facility_id = r.facility_id`,
    [`{${DAYS.join(',')}}`, TODAY],
  );
  await owner.query(`UPDATE standing_orders SET status = 'active'`);
  await owner.query('ANALYZE');
}

function tenantSettings(facilityId: string): Record<string, string> {
  return { 'app.role': 'System', 'app.sub': '', 'app.facility_id': facilityId, 'app.contact_id': '', 'app.request_id': 'bench-p10' };
}

/** The floor for one series: its trips and legs inserted and scheduled, nothing else. */
async function insertDirectly(tx: Queryable, series: SeededSeries, due: readonly Occurrence[]): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, pickup_address, dropoff_address, appointment_at,
       requested_pickup_at, standing_order_id, occurrence_date)
     SELECT $1, $2, 'facility', $3, '12 Bench Street', '3 Dialysis Centre', o.appointment_at, o.pickup_at, $4, o.day
       FROM unnest($5::date[], $6::timestamptz[], $7::timestamptz[]) WITH ORDINALITY AS o(day, appointment_at, pickup_at, n)
      ORDER BY o.n
     RETURNING id`,
    [series.facility_id, series.rider_id, series.submitted_by, series.id, arrayLiteral(due.map((o) => o.date)),
      arrayLiteral(due.map((o) => o.appointmentAt)), arrayLiteral(due.map((o) => o.pickupAt))],
  );
  const ids = rows.map((row) => row.id);
  await tx.query(
    `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, pickup_address, dropoff_address, scheduled_pickup_at,
       scheduled_dropoff_at)
     SELECT $1, l.trip_request_id, $2, 'outbound', '12 Bench Street', '3 Dialysis Centre', l.pickup_at, l.dropoff_at
       FROM unnest($3::uuid[], $4::timestamptz[], $5::timestamptz[]) AS l(trip_request_id, pickup_at, dropoff_at)`,
    [series.facility_id, series.rider_id, arrayLiteral(ids), arrayLiteral(due.map((o) => o.pickupAt)),
      arrayLiteral(due.map((o) => o.appointmentAt))],
  );
  await tx.query(`UPDATE trip_requests SET status = 'scheduled' WHERE facility_id = $1 AND id IN (SELECT unnest($2::uuid[]))`,
    [series.facility_id, arrayLiteral(ids)]);
  return ids.length;
}

async function counts(owner: Database): Promise<{ trips: number; legs: number; auditEvents: number; outboxRows: number }> {
  const { rows } = await owner.query<{ trips: number; legs: number; audit_events: number; outbox_rows: number }>(
    `SELECT (SELECT count(*)::int FROM trip_requests) AS trips, (SELECT count(*)::int FROM trip_legs) AS legs,
            (SELECT count(*)::int FROM audit_events) AS audit_events, (SELECT count(*)::int FROM notification_outbox) AS outbox_rows`);
  const row = rows[0] as { trips: number; legs: number; audit_events: number; outbox_rows: number };
  return { trips: row.trips, legs: row.legs, auditEvents: row.audit_events, outboxRows: row.outbox_rows };
}

export async function runP10(settings: BenchSettings, server: BenchServer): Promise<BenchmarkOutcome> {
  const seriesCount = settings.standingOrderSeries;
  status(`P10 seeding ${seriesCount} series twice`);
  const floorDb = await server.createDatabase('nemt_bench_p10_floor');
  const runDb = await server.createDatabase('nemt_bench_p10_run');
  try {
    await seed(floorDb.owner, seriesCount);
    await seed(runDb.owner, seriesCount);
    const horizon = horizonFrom(TODAY, HORIZON_DAYS);

    status('P10 floor: the same trips and legs inserted directly, a tenant transaction per series');
    const floorLogin = floorDb.pool('materialiser', 1);
    const { rows: seeded } = await floorDb.owner.query<SeededSeries>(
      'SELECT id, facility_id, rider_id, submitted_by FROM standing_orders ORDER BY id');
    const pattern = { daysOfWeek: DAYS, startDate: TODAY, endDate: null, excludedDates: [], pickupTime: '07:00',
      appointmentTime: '08:00', returnMode: 'none' as const, returnPickupTime: null };
    const floorStarted = performance.now();
    let floorTrips = 0;
    for (const series of seeded) {
      // The occurrences are computed per series, as the materialiser computes them.
      const due = occurrences(pattern, horizon.from, horizon.through, ZONE).filter((o) => Date.parse(o.pickupAt) > NOW.getTime());
      floorTrips += await floorLogin.transaction((tx) => insertDirectly(tx, series, due), { settings: tenantSettings(series.facility_id) });
    }
    const floorMs = performance.now() - floorStarted;

    status('P10 materialiseAll over the same series');
    const materialiser = runDb.pool('materialiser', 1);
    const before = await counts(runDb.owner);
    const firstStarted = performance.now();
    const first = await materialiseAll(materialiser, { timeZone: ZONE, now: NOW }, { horizonDays: HORIZON_DAYS, today: TODAY });
    const firstMs = performance.now() - firstStarted;
    const afterFirst = await counts(runDb.owner);

    status('P10 the same run again');
    const secondStarted = performance.now();
    const second = await materialiseAll(materialiser, { timeZone: ZONE, now: NOW }, { horizonDays: HORIZON_DAYS, today: TODAY });
    const secondMs = performance.now() - secondStarted;
    const afterSecond = await counts(runDb.owner);

    const written = {
      trips: afterSecond.trips - afterFirst.trips,
      legs: afterSecond.legs - afterFirst.legs,
      auditEvents: afterSecond.auditEvents - afterFirst.auditEvents,
      outboxRows: afterSecond.outboxRows - afterFirst.outboxRows,
    };
    const secondShare = round(secondMs / firstMs, 4);
    const value = round(firstMs / 1000, 2);
    const floor = round(floorMs / 1000, 2);
    return {
      value,
      floor,
      ratio: ratio(firstMs, floorMs),
      unit: 's',
      checks: [
        check('ratio', ratio(firstMs, floorMs), 'max', 2.0),
        check('second run / first', secondShare, 'max', 0.1),
        check('rows written by the second run', written.trips + written.legs + written.auditEvents + written.outboxRows, 'max', 0),
        check('trips made = the floor\'s', first.tripsCreated === floorTrips ? 0 : 1, 'max', 0),
        check('series failed', first.failed.length + second.failed.length, 'max', 0),
      ],
      absolute: {
        series: seriesCount,
        tenants: TENANTS,
        horizon,
        tripsCreated: first.tripsCreated,
        floorTrips,
        firstRun: { seconds: value, seriesPerSecond: round(seriesCount / (firstMs / 1000), 1),
          tripsPerSecond: round(first.tripsCreated / (firstMs / 1000), 1) },
        floorRun: { seconds: floor, tripsPerSecond: round(floorTrips / (floorMs / 1000), 1) },
        secondRun: { seconds: round(secondMs / 1000, 3), seriesDue: second.series, tripsCreated: second.tripsCreated },
        writtenByFirstRun: {
          trips: afterFirst.trips - before.trips,
          legs: afterFirst.legs - before.legs,
          auditEvents: afterFirst.auditEvents - before.auditEvents,
          // The materialiser tells no rider per trip (the series confirmation is the API's, once).
          outboxRows: afterFirst.outboxRows - before.outboxRows,
        },
        writtenBySecondRun: written,
      },
    };
  } finally {
    await floorDb.drop();
    await runDb.drop();
  }
}
