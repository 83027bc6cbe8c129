import { randomUUID } from 'node:crypto';
import type { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Database, Queryable } from '../../lambdas/shared/db/port';
import type { FacilityActor, StaffActor } from '../../lambdas/shared/tenancy/actor';

/**
 * The benchmark data set of PERFORMANCE.md, generated inside Postgres with generate_series (one
 * statement per table, not row by row from Node): tenants with their admins, users and contacts,
 * provider staff and drivers, trip requests skewed so the largest tenant holds 10% of them, and
 * their legs. Riders, a few thousand, are the exception: their PII is sealed in Node by the
 * application's own PiiCrypto, as the API seals it, and inserted in batches. The test of the query
 * plans (test/db/query-plans.test.ts) uses the same generator on a smaller scale.
 *
 * Rows are written as the owner with `session_replication_role = replica` for the load only
 * (SET LOCAL: it ends with the transaction): that skips the per-row lifecycle triggers, which
 * would refuse rows inserted directly in a later state, and the foreign-key triggers. Every row
 * is built to satisfy them anyway (references come from the tables just written; states are
 * ones the lifecycle reaches; legs only for scheduled trips), CHECK, UNIQUE and the drivers'
 * exclusion constraint are still enforced, and `checkDatasetIntegrity` proves the references
 * afterwards. The tables are then vacuumed and analysed, as autovacuum would leave them.
 */
export interface DatasetOptions {
  /** Trip requests in total (PERFORMANCE.md: 1,000,000). */
  trips: number;
  /** Tenants (PERFORMANCE.md: 200); at least 3. */
  tenants?: number;
  /** Share of the trips held by the largest tenant (PERFORMANCE.md: 0.10). */
  largestShare?: number;
  /** Share held by the small tenant used as a floor (P4). */
  smallShare?: number;
  drivers?: number;
  /** Statements loading the big tables side by side (default 2); the pool needs as many connections. */
  parallel?: number;
}

export interface Dataset {
  trips: number;
  legs: number;
  tenants: number;
  riders: number;
  /** The tenant with the most trips. */
  largest: TenantInfo;
  /** A small tenant (the P4 floor). */
  small: TenantInfo;
  /** Every tenant in generation order (largest first, small second). */
  all: TenantInfo[];
  dispatcher: StaffActor;
  billing: StaffActor;
  drivers: StaffActor[];
}

export interface TenantInfo {
  id: string;
  trips: number;
  admin: FacilityActor;
  user: FacilityActor;
  riders: string[];
}

/** Base of the appointment times: trip number g has its appointment at BASE + 3 g minutes. */
const APPOINTMENT_BASE = '2031-01-01 00:00:00+00';
const MINUTES_PER_TRIP = 3;
/** Scheduled trips numbered in tens have their outbound leg assigned, drivers taking turns. */
const ASSIGNED_EVERY = 10;

export function tenantSizes(trips: number, tenants: number, largestShare: number, smallShare: number): number[] {
  if (tenants < 3) throw new RangeError('at least 3 tenants');
  const largest = Math.round(trips * largestShare);
  const small = Math.max(1, Math.round(trips * smallShare));
  const rest = trips - largest - small;
  const others = tenants - 2;
  const each = Math.floor(rest / others);
  const remainder = rest - each * others;
  return [largest, small, ...Array.from({ length: others }, (_, index) => each + (index < remainder ? 1 : 0))];
}

export async function generateDataset(
  db: Database,
  pii: PiiCrypto,
  options: DatasetOptions,
  progress: (step: string) => void = () => undefined,
): Promise<Dataset> {
  const tenants = options.tenants ?? 200;
  const sizes = tenantSizes(options.trips, tenants, options.largestShare ?? 0.1, options.smallShare ?? 0.01);
  const drivers = options.drivers ?? 50;

  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query("SET LOCAL work_mem = '256MB'");
    await tx.query(`CREATE TABLE bench_tenants (
      idx integer PRIMARY KEY, id uuid NOT NULL UNIQUE, trips integer NOT NULL, first_trip bigint NOT NULL,
      admin_id uuid NOT NULL, user_id uuid NOT NULL, contact_id uuid NOT NULL, riders uuid[])`);
    await tx.query(`CREATE TABLE bench_staff (role text NOT NULL, idx integer NOT NULL, id uuid PRIMARY KEY)`);
    await tx.query(
      `INSERT INTO bench_tenants (idx, id, trips, first_trip, admin_id, user_id, contact_id)
       SELECT s.idx - 1, gen_random_uuid(), s.trips, sum(s.trips) OVER (ORDER BY s.idx) - s.trips,
              gen_random_uuid(), gen_random_uuid(), gen_random_uuid()
         FROM unnest($1::int[]) WITH ORDINALITY AS s (trips, idx)`,
      [`{${sizes.join(',')}}`],
    );
    await tx.query(
      `INSERT INTO bench_staff (role, idx, id)
       SELECT 'Dispatcher', 0, gen_random_uuid() UNION ALL SELECT 'Billing', 0, gen_random_uuid()
       UNION ALL SELECT 'Driver', i, gen_random_uuid() FROM generate_series(0, $1::int - 1) AS i`,
      [drivers],
    );

    progress('tenants, users and riders');
    await tx.query(`INSERT INTO facilities (id, kind, name) SELECT id, 'facility', 'Bench facility ' || idx FROM bench_tenants`);
    await tx.query(`INSERT INTO contacts (facility_id, id, full_name)
      SELECT id, contact_id, 'Bench contact ' || idx FROM bench_tenants`);
    await tx.query(`INSERT INTO users (id, role, facility_id, contact_id, email, display_name)
      SELECT admin_id, 'FacilityAdmin', id, NULL, 'admin-' || idx || '@bench.test', 'Bench admin ' || idx FROM bench_tenants
      UNION ALL
      SELECT user_id, 'FacilityUser', id, contact_id, 'user-' || idx || '@bench.test', 'Bench user ' || idx FROM bench_tenants
      UNION ALL
      SELECT id, role, NULL, NULL, lower(role) || '-' || idx || '@bench.test', role || ' ' || idx FROM bench_staff`);
    await insertSealedRiders(tx, pii, progress);
  });

  // The big tables load in parallel parts, one transaction each, tenants split by their number:
  // Postgres spends its time in index maintenance, one core per statement.
  const parts = Math.max(1, options.parallel ?? 2);
  const inParts = (work: (tx: Queryable, part: number) => Promise<unknown>) =>
    Promise.all(Array.from({ length: parts }, (_, part) => db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query("SET LOCAL work_mem = '256MB'");
      await work(tx, part);
    })));

  progress(`${options.trips.toLocaleString('en-US')} trip requests`);
  // g numbers the trips across tenants; it fixes each trip's state, submitter and times. Rows
  // go in creation order, as they would have arrived, so the newest pages sit together.
  await inParts((tx, part) => tx.query(
    `INSERT INTO trip_requests (facility_id, id, reference_code, rider_id, source, submitted_by, contact_id, status,
       pickup_address, dropoff_address, appointment_at, return_trip, mobility, rejection_reason, created_at, updated_at)
     SELECT s.facility_id, gen_random_uuid(), 'B' || lpad(to_hex(s.g), 10, '0'),
            s.riders[1 + (s.g % cardinality(s.riders))::int],
            CASE WHEN s.g % 10 = 9 THEN 'dispatcher' ELSE 'facility' END,
            CASE WHEN s.g % 10 = 9 THEN (SELECT id FROM bench_staff WHERE role = 'Dispatcher')
                 WHEN s.g % 3 = 0 THEN s.user_id ELSE s.admin_id END,
            CASE WHEN s.g % 4 = 0 THEN s.contact_id END,
            CASE WHEN s.g % 20 < 3 THEN 'requested' WHEN s.g % 20 = 3 THEN 'rejected'
                 WHEN s.g % 20 = 4 THEN 'cancelled' ELSE 'scheduled' END,
            s.g || ' Pickup Street', (s.g % 97) || ' Clinic Road',
            timestamptz '${APPOINTMENT_BASE}' + s.g * interval '${MINUTES_PER_TRIP} minutes',
            CASE WHEN s.g % 20 >= 5 AND s.g % 10 = 5 THEN 'scheduled'
                 WHEN s.g % 20 >= 5 AND s.g % 10 = 6 THEN 'will_call' ELSE 'none' END,
            'ambulatory',
            CASE WHEN s.g % 20 = 3 THEN 'No capacity' END,
            s.created, s.created
       FROM (SELECT t.id AS facility_id, t.riders, t.user_id, t.admin_id, t.contact_id, g,
                    now() - random() * interval '365 days' AS created
               FROM bench_tenants t CROSS JOIN LATERAL generate_series(t.first_trip + 1, t.first_trip + t.trips) AS g
              WHERE t.idx % $1::int = $2::int) AS s
      ORDER BY s.created`,
    [parts, part],
  ));

  progress('trip legs');
  // Outbound legs for every scheduled trip, those of trips numbered in tens assigned (one trip in
  // twenty: a driver's legs lie ASSIGNED_EVERY × drivers × 3 minutes apart, so their windows never
  // overlap); return legs timed or will-call, unassigned.
  await inParts((tx, part) => tx.query(
    `INSERT INTO trip_legs (facility_id, id, trip_request_id, rider_id, kind, will_call, status, driver_id,
       pickup_address, dropoff_address, scheduled_pickup_at, scheduled_dropoff_at, created_at, updated_at)
     SELECT leg.* FROM (
       SELECT tr.facility_id, gen_random_uuid(), tr.id, tr.rider_id, 'outbound', false,
              CASE WHEN d.id IS NULL THEN 'unassigned' ELSE 'assigned' END, d.id,
              tr.pickup_address, tr.dropoff_address, tr.appointment_at - interval '60 minutes',
              tr.appointment_at - interval '15 minutes', tr.created_at, tr.created_at AS updated_at
         FROM (SELECT *, (extract(epoch FROM appointment_at - timestamptz '${APPOINTMENT_BASE}') / 60 / ${MINUTES_PER_TRIP})::bigint AS g
                 FROM trip_requests WHERE status = 'scheduled') AS tr
         JOIN bench_tenants t ON t.id = tr.facility_id AND t.idx % $2::int = $3::int
         LEFT JOIN bench_staff d ON d.role = 'Driver' AND tr.g % ${ASSIGNED_EVERY} = 0
              AND d.idx = (tr.g / ${ASSIGNED_EVERY}) % $1::int
       UNION ALL
       SELECT tr.facility_id, gen_random_uuid(), tr.id, tr.rider_id, 'return', tr.return_trip = 'will_call', 'unassigned', NULL,
              tr.dropoff_address, tr.pickup_address,
              CASE WHEN tr.return_trip = 'scheduled' THEN tr.appointment_at + interval '2 hours' END,
              CASE WHEN tr.return_trip = 'scheduled' THEN tr.appointment_at + interval '2 hours 45 minutes' END,
              tr.created_at, tr.created_at
         FROM trip_requests tr JOIN bench_tenants t ON t.id = tr.facility_id AND t.idx % $2::int = $3::int
        WHERE tr.status = 'scheduled' AND tr.return_trip <> 'none') AS leg
     ORDER BY leg.created_at`,
    [drivers, parts, part],
  ));

  progress('clinical notes of the newest trips');
  await sealNewestNotes(db, pii);

  progress('vacuum and analyse');
  await Promise.all(['trip_requests', 'trip_legs', 'facilities, contacts, users, riders'].map((tables) =>
    db.query(`VACUUM (ANALYZE) ${tables}`)));
  return describeDataset(db);
}

/** Reads back what `generateDataset` wrote (also for a data set generated earlier). */
export async function describeDataset(db: Queryable): Promise<Dataset> {
  const { rows: tenantRows } = await db.query<{
    idx: number; id: string; trips: number; admin_id: string; user_id: string; contact_id: string; riders: string;
  }>('SELECT idx, id, trips, admin_id, user_id, contact_id, array_to_string(riders, \',\') AS riders FROM bench_tenants ORDER BY idx');
  const { rows: staff } = await db.query<{ role: 'Dispatcher' | 'Billing' | 'Driver'; id: string }>(
    'SELECT role, id FROM bench_staff ORDER BY role, idx',
  );
  const { rows: counts } = await db.query<{ trips: number; legs: number; riders: number }>(
    `SELECT (SELECT count(*)::int FROM trip_requests) AS trips, (SELECT count(*)::int FROM trip_legs) AS legs,
            (SELECT count(*)::int FROM riders) AS riders`,
  );
  const all: TenantInfo[] = tenantRows.map((row) => ({
    id: row.id,
    trips: row.trips,
    admin: { sub: row.admin_id, role: 'FacilityAdmin', facilityId: row.id },
    user: { sub: row.user_id, role: 'FacilityUser', facilityId: row.id, contactId: row.contact_id },
    riders: row.riders ? row.riders.split(',') : [],
  }));
  const staffOf = (role: 'Dispatcher' | 'Billing' | 'Driver'): StaffActor[] =>
    staff.filter((row) => row.role === role).map((row) => ({ sub: row.id, role }));
  const [largest, small] = all;
  const [dispatcher] = staffOf('Dispatcher');
  const [billing] = staffOf('Billing');
  if (!largest || !small || !dispatcher || !billing) throw new Error('benchmark data set is incomplete');
  const count = counts[0] as { trips: number; legs: number; riders: number };
  return {
    trips: count.trips,
    legs: count.legs,
    riders: count.riders,
    tenants: all.length,
    largest,
    small,
    all,
    dispatcher,
    billing,
    drivers: staffOf('Driver'),
  };
}

/**
 * The references the load skipped checking, checked in bulk: every count must be zero. Returns
 * the names of the checks that found orphans.
 */
export async function checkDatasetIntegrity(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<Record<string, number>>(`SELECT
    (SELECT count(*) FROM trip_requests t WHERE NOT EXISTS
       (SELECT 1 FROM riders r WHERE r.facility_id = t.facility_id AND r.id = t.rider_id))::int AS trip_rider,
    (SELECT count(*) FROM trip_requests t WHERE t.submitted_by IS NOT NULL AND NOT EXISTS
       (SELECT 1 FROM users u WHERE u.id = t.submitted_by))::int AS trip_submitter,
    (SELECT count(*) FROM trip_requests t WHERE t.contact_id IS NOT NULL AND NOT EXISTS
       (SELECT 1 FROM contacts c WHERE c.facility_id = t.facility_id AND c.id = t.contact_id))::int AS trip_contact,
    (SELECT count(*) FROM trip_legs l WHERE NOT EXISTS
       (SELECT 1 FROM trip_requests t WHERE t.facility_id = l.facility_id AND t.id = l.trip_request_id
          AND t.rider_id = l.rider_id AND t.status = 'scheduled'))::int AS leg_trip,
    (SELECT count(*) FROM trip_legs l WHERE l.driver_id IS NOT NULL AND NOT EXISTS
       (SELECT 1 FROM users u WHERE u.id = l.driver_id AND u.role = 'Driver'))::int AS leg_driver`);
  const counts = rows[0] ?? {};
  return Object.entries(counts).filter(([, count]) => count !== 0).map(([name]) => name);
}

const RIDERS_PER_STATEMENT = 1_000;

/**
 * Riders with their PII sealed as the API seals it (schema/0010): a tenant key per tenant from
 * the key provider, a data key per rider wrapped by it, name and phone (or email) sealed under
 * the data key and blind-indexed. Done in Node, a few thousand riders, inserted in batches.
 */
async function insertSealedRiders(tx: Queryable, pii: PiiCrypto, progress: (step: string) => void): Promise<void> {
  const { rows: tenants } = await tx.query<{ idx: number; id: string; riders: number }>(
    'SELECT idx, id, greatest(20, trips / 500) AS riders FROM bench_tenants ORDER BY idx',
  );
  progress(`riders of ${tenants.length} tenants, sealed`);
  type Sealed = Record<string, string | number | boolean | null>;
  let batch: Sealed[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await tx.query(
      `INSERT INTO riders (facility_id, id, data_key, full_name_enc, phone_enc, phone_index, email_enc, email_index,
         mobility, notify_channel, notify_consent, created_at)
       SELECT r.facility_id, r.id, decode(r.data_key, 'base64'), decode(r.full_name_enc, 'base64'),
              decode(r.phone_enc, 'base64'), decode(r.phone_index, 'base64'), decode(r.email_enc, 'base64'),
              decode(r.email_index, 'base64'), r.mobility, r.notify_channel, true, now() - r.age * interval '1 hour'
         FROM jsonb_to_recordset($1::jsonb) AS r (facility_id uuid, id uuid, data_key text, full_name_enc text, phone_enc text,
              phone_index text, email_enc text, email_index text, mobility text, notify_channel text, age integer)`,
      [JSON.stringify(batch)],
    );
    batch = [];
  };
  const b64 = (value: Buffer | null) => (value ? value.toString('base64') : null);
  for (const tenant of tenants) {
    const tenantKey = await pii.currentTenantKey(tx, tenant.id, { create: true });
    if (!tenantKey) throw new Error('no tenant key');
    for (let number = 1; number <= tenant.riders; number += 1) {
      const id = randomUUID();
      const { key, wrapped } = pii.newRiderKey(tenantKey, id);
      const ref = (column: string) => ({ table: 'riders' as const, column, rowId: id, facilityId: tenant.id });
      const byEmail = number % 4 === 0;
      const phone = `+1555${String((tenant.idx * 1000 + number) % 10_000_000).padStart(7, '0')}`;
      const email = `rider-${tenant.idx}-${number}@bench.test`;
      batch.push({
        facility_id: tenant.id,
        id,
        data_key: b64(wrapped),
        full_name_enc: b64(pii.sealField(key, ref('full_name_enc'), `Bench Rider ${tenant.idx}-${number}`)),
        phone_enc: b64(pii.sealField(key, ref('phone_enc'), phone)),
        phone_index: b64(pii.phoneIndex(tenantKey, phone)),
        email_enc: byEmail ? b64(pii.sealField(key, ref('email_enc'), email)) : null,
        email_index: byEmail ? b64(pii.emailIndex(tenantKey, email)) : null,
        mobility: ['ambulatory', 'wheelchair', 'stretcher'][number % 3] as string,
        notify_channel: byEmail ? 'email' : 'sms',
        age: number,
      });
      if (batch.length >= RIDERS_PER_STATEMENT) await flush();
    }
  }
  await flush();
  await tx.query(`UPDATE bench_tenants t
    SET riders = (SELECT array_agg(r.id ORDER BY r.id) FROM riders r WHERE r.facility_id = t.id)`);
}

/** How many of each measured tenant's newest trips may carry a sealed clinical note (one in seven does). */
const NOTED_TRIPS = 700;

/**
 * The trips the latency benchmarks read (the newest of the largest and the small tenant) carry
 * clinical notes sealed under their rider's key as the API seals them, so reading a page opens
 * rider keys and fields as it does in production. The bulk of the trips has none.
 */
async function sealNewestNotes(db: Database, pii: PiiCrypto): Promise<void> {
  const { rows } = await db.query<{ id: string; facility_id: string; rider_id: string; data_key: Buffer }>(
    `SELECT t.id, t.facility_id, t.rider_id, r.data_key
       FROM bench_tenants b
       CROSS JOIN LATERAL (SELECT id, facility_id, rider_id FROM trip_requests
                            WHERE facility_id = b.id ORDER BY created_at DESC, id DESC LIMIT $1) t
       JOIN riders r ON r.facility_id = t.facility_id AND r.id = t.rider_id
      WHERE b.idx IN (0, 1)`,
    [NOTED_TRIPS],
  );
  const notes: { id: string; note: string }[] = [];
  for (const [index, row] of rows.entries()) {
    if (index % 7 !== 0) continue;
    const key = await pii.openRiderKey(db, row.facility_id, row.rider_id, row.data_key);
    if (typeof key === 'string') throw new Error(`bench rider ${row.rider_id} is ${key}`);
    const sealed = pii.sealField(key, { table: 'trip_requests', column: 'clinical_notes_enc', rowId: row.id, facilityId: row.facility_id },
      'Bench note: oxygen, needs help with stairs');
    if (sealed) notes.push({ id: row.id, note: sealed.toString('base64') });
  }
  await db.transaction(async (tx) => {
    // Like the load: no version bump or updated_at from the touch trigger for a generated row.
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query(
      `UPDATE trip_requests t SET clinical_notes_enc = decode(n.note, 'base64')
         FROM jsonb_to_recordset($1::jsonb) AS n (id uuid, note text) WHERE t.id = n.id`,
      [JSON.stringify(notes)],
    );
  });
}
