import pg from 'pg';
import { DATABASE_NAME, DEV_DB_PASSWORD } from '../../local/layout';
import type { StackIdentity } from '../../test/browser/support/tokens';

/**
 * Dispatch-board days for P9 in a running local stack: drivers and riders through the API (a
 * rider's name and phone are sealed by the API's own encryption, and users get their identity
 * the way the console will list them), then each day's trips and legs inserted in one statement
 * each as the database owner, from a plan table built with generate_series.
 *
 * The trips and legs skip the per-row lifecycle triggers (`session_replication_role = replica`
 * for the load only), which would refuse rows written directly as `scheduled`/`assigned`, and so
 * have no audit events; every CHECK, UNIQUE and the drivers' no-overlap exclusion still apply.
 * Days lie in February 2031 (no daylight-saving change; the provider's zone is
 * America/New_York, UTC−5 then): pickups from 07:00 to 19:00 local time.
 */
export interface BoardDay {
  /** YYYY-MM-DD in the provider's time zone. */
  readonly date: string;
  readonly legs: number;
  readonly assigned: number;
  /** An unassigned leg of this day (for the assign measurement). */
  readonly unassignedLegId: string;
}

export interface BoardData {
  readonly drivers: number;
  /** Display name of a driver who has no leg on any of these days. */
  readonly spareDriverName: string;
  readonly spareDriverId: string;
  readonly days: BoardDay[];
  readonly seconds: number;
}

/** Drivers other than the demo driver; with the demo driver (the spare one) the board lists 40. */
const WORKING_DRIVERS = 39;
const RIDERS = 8;
/** Two in three legs are assigned: driver k takes legs k, k + 39, … one hour apart. */
const ASSIGNED_SHARE = 0.65;
const FIRST_DAY = Date.UTC(2031, 1, 3);
const DAY_MS = 86_400_000;

async function api<T>(base: string, authorization: Record<string, string>, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await fetch(`${base}${path}`, {
    method,
    headers: { ...authorization, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path} answered ${answer.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** `sizes[i]` legs on the i-th day from 2031-02-03 on. */
export async function seedBoardDays(base: string, identity: StackIdentity, sizes: readonly number[]): Promise<BoardData> {
  const started = performance.now();
  const dispatcher = identity.authorization('Dispatcher');
  const spare = identity.user('Driver');
  const admin = identity.user('FacilityAdmin');
  if (!admin.facilityId) throw new Error('the demo facility admin has no facility');
  const adminAuth = identity.authorization('FacilityAdmin');

  const drivers: string[] = [];
  for (let index = 0; index < WORKING_DRIVERS; index += 1) {
    const number = String(index + 1).padStart(2, '0');
    const created = await api<{ id: string }>(base, dispatcher, 'POST', '/v1/users',
      { role: 'Driver', email: `bench-driver-${number}@nemt.example`, displayName: `Bench Driver ${number}` });
    drivers.push(created.id);
  }
  const riders: string[] = [];
  for (let index = 0; index < RIDERS; index += 1) {
    const created = await api<{ id: string }>(base, adminAuth, 'POST', '/v1/riders', {
      fullName: `Bench Rider ${index + 1}`, phone: `+15550104${String(index).padStart(3, '0')}`,
      mobility: index % 3 === 0 ? 'wheelchair' : 'ambulatory', notifyChannel: 'none',
    });
    riders.push(created.id);
  }

  const client = new pg.Client({
    connectionString: `postgres://postgres:${DEV_DB_PASSWORD}@127.0.0.1:${identity.manifest.postgres.port}/${DATABASE_NAME}`,
  });
  await client.connect();
  const days: BoardDay[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(`CREATE TEMP TABLE p9_plan (
      day integer NOT NULL, g integer NOT NULL, trip_id uuid NOT NULL DEFAULT gen_random_uuid(),
      leg_id uuid NOT NULL DEFAULT gen_random_uuid(), rider_id uuid NOT NULL, driver_id uuid,
      pickup_at timestamptz NOT NULL) ON COMMIT DROP`);
    for (const [day, legs] of sizes.entries()) {
      const dayStart = new Date(FIRST_DAY + day * DAY_MS);
      const assigned = Math.min(Math.round(legs * ASSIGNED_SHARE), WORKING_DRIVERS * 10);
      // Assigned leg g: driver g % 39, hour g / 39 from 12:00 UTC, shifted by up to 15 minutes so
      // the board's rows do not all line up; 45-minute windows an hour apart never overlap.
      // Unassigned legs spread over the day in 10-minute steps.
      await client.query(
        `INSERT INTO p9_plan (day, g, rider_id, driver_id, pickup_at)
         SELECT $1, g, ($2::uuid[])[1 + g % cardinality($2::uuid[])],
                CASE WHEN g < $4 THEN ($3::uuid[])[1 + g % cardinality($3::uuid[])] END,
                $5::timestamptz + interval '12 hours' + CASE
                  WHEN g < $4 THEN (g / cardinality($3::uuid[])) * interval '1 hour' + (g % 4) * interval '5 minutes'
                  ELSE ((g - $4) % 72) * interval '10 minutes' END
           FROM generate_series(0, $6::int - 1) AS g`,
        [day, riders, drivers, assigned, dayStart.toISOString(), legs],
      );
      const free = await client.query<{ leg_id: string }>(
        'SELECT leg_id FROM p9_plan WHERE day = $1 AND driver_id IS NULL ORDER BY g LIMIT 1', [day]);
      days.push({
        date: dayStart.toISOString().slice(0, 10), legs, assigned,
        unassignedLegId: free.rows[0]?.leg_id ?? '',
      });
    }
    await client.query(
      `INSERT INTO trip_requests (facility_id, id, rider_id, source, submitted_by, status, pickup_address, dropoff_address,
         appointment_at, mobility)
       SELECT $1, trip_id, rider_id, 'facility', $2, 'scheduled', (100 + g) || ' Bench Street, Springfield',
              (g % 17 + 1) || ' Clinic Road, Springfield', pickup_at + interval '60 minutes', 'ambulatory'
         FROM p9_plan`,
      [admin.facilityId, admin.sub],
    );
    await client.query(
      `INSERT INTO trip_legs (facility_id, id, trip_request_id, rider_id, kind, status, driver_id, pickup_address,
         dropoff_address, scheduled_pickup_at, scheduled_dropoff_at)
       SELECT $1, p.leg_id, p.trip_id, p.rider_id, 'outbound', CASE WHEN p.driver_id IS NULL THEN 'unassigned' ELSE 'assigned' END,
              p.driver_id, t.pickup_address, t.dropoff_address, p.pickup_at, p.pickup_at + interval '45 minutes'
         FROM p9_plan p JOIN trip_requests t ON t.id = p.trip_id`,
      [admin.facilityId],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE trip_requests, trip_legs');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return {
    drivers: WORKING_DRIVERS + 1,
    spareDriverName: spare.displayName,
    spareDriverId: spare.sub,
    days,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}
