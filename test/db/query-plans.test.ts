import { createBenchApi, type RecordedStatement } from '../../bench/support/api';
import { type Dataset, generateDataset } from '../../bench/support/dataset';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import { testPii } from '../support/keys';

/**
 * The hot read paths use an index on a table large enough that the planner has a choice: the
 * benchmarks' data set (bench/support/dataset.ts) on a smaller scale, generated inside Postgres.
 * Each request goes through the real handler; the statements it sent are then EXPLAINed in the
 * same kind of tenant transaction, as the same actor, so row-level security shapes the plan as it
 * does in production. Untimed: plans, not durations, are asserted.
 */
const db = useTestDatabase();
const TRIPS = 100_000;
const TENANT_TABLES = new Set(['facilities', 'contacts', 'users', 'riders', 'trip_requests', 'trip_legs', 'cancellation_requests',
  'billing_records', 'audit_events', 'notification_outbox', 'idempotency_keys', 'tenant_keys']);

let dataset: Dataset;
let api: ReturnType<typeof createBenchApi>;

beforeAll(async () => {
  dataset = await generateDataset(db().owner, testPii(), { trips: TRIPS });
  api = createBenchApi(db().as('api'), testPii());
}, 240_000);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** The statements one request sent, each with the nodes of its plan. */
async function plansOf(actor: Actor, url: string): Promise<{ sql: string; nodes: PlanNode[] }[]> {
  const token = api.token(actor);
  let status = 0;
  const statements: RecordedStatement[] = await api.record(async () => {
    status = (await api.invoke('GET', url, { token })).statusCode;
  });
  expect(status).toBe(200);
  expect(statements.length).toBeGreaterThan(0);
  return withActor(db().as('api'), actor, async (tx) => {
    const plans: { sql: string; nodes: PlanNode[] }[] = [];
    for (const statement of statements) {
      const { rows } = await tx.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${statement.sql}`,
        statement.params);
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      if (!plan) throw new Error('EXPLAIN returned no plan');
      plans.push({ sql: statement.sql.replace(/\s+/g, ' ').trim(), nodes: nodesOf(plan) });
    }
    return plans;
  }, { readOnly: true });
}

function seqScansOnTenantTables(plans: { nodes: PlanNode[] }[]): string[] {
  return plans.flatMap((plan) => plan.nodes)
    .filter((node) => node['Node Type'] === 'Seq Scan' && TENANT_TABLES.has(node['Relation Name'] ?? ''))
    .map((node) => node['Relation Name'] as string);
}

/** Index (only) scans of the table, and the bitmap index scans under its bitmap heap scans (those name no relation). */
function indexesOn(plans: { nodes: PlanNode[] }[], table: string): string[] {
  const nodes = plans.flatMap((plan) => plan.nodes);
  const bitmaps = nodes.filter((node) => node['Node Type'] === 'Bitmap Heap Scan' && node['Relation Name'] === table)
    .flatMap((node) => nodesOf(node).filter((child) => child['Node Type'] === 'Bitmap Index Scan'));
  return [...nodes.filter((node) => node['Relation Name'] === table && /Index/.test(node['Node Type'])), ...bitmaps]
    .map((node) => node['Index Name'] as string);
}

test('the data set is large enough for the planner to choose', () => {
  expect(dataset.trips).toBe(TRIPS);
  expect(dataset.legs).toBeGreaterThan(TRIPS / 2);
  expect(dataset.largest.trips).toBe(TRIPS / 10);
});

test('a facility admin\'s trip list walks the tenant\'s keyset index, newest first', async () => {
  const plans = await plansOf(dataset.largest.admin, '/v1/trip-requests?limit=50');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests')).toContain('trip_requests_facility_list');
  // The rider is read only when asked for (include=rider), never on this default path (P2).
  expect(plans.map((plan) => plan.sql).join('\n')).not.toMatch(/JOIN riders/);
  // No sort of the tenant's rows: the index delivers them in page order.
  expect(plans[0]?.nodes.map((node) => node['Node Type'])).not.toContain('Sort');
});

test('a facility user\'s trip list uses an index', async () => {
  const plans = await plansOf(dataset.largest.user, '/v1/trip-requests?limit=50');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests').length).toBeGreaterThan(0);
});

test('a facility admin\'s trips of one appointment day are a range of the tenant\'s appointment index', async () => {
  const plans = await plansOf(dataset.largest.admin, '/v1/trip-requests?appointmentDate=2031-01-20&limit=50');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests')).toContain('trip_requests_facility_appointment');
});

test('a dispatcher\'s list across every tenant walks the global keyset index', async () => {
  const plans = await plansOf(dataset.dispatcher, '/v1/trip-requests?limit=50');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests')).toContain('trip_requests_list');
});

test('a facility admin\'s oldest-first list walks the same keyset index backwards, without sorting', async () => {
  const plans = await plansOf(dataset.largest.admin, '/v1/trip-requests?order=oldest&limit=50');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests')).toContain('trip_requests_facility_list');
  expect(plans[0]?.nodes.map((node) => node['Node Type'])).not.toContain('Sort');
});

test('the board\'s oldest requests with their riders: the page by index, each rider by key', async () => {
  const plans = await plansOf(dataset.dispatcher, '/v1/trip-requests?order=oldest&status=requested&include=rider&limit=100');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests').length).toBeGreaterThan(0);
  expect(indexesOn(plans, 'riders').length).toBeGreaterThan(0);
});

test('a dispatcher\'s day of legs (the board) is a range of the schedule index, riders and reference codes by key', async () => {
  // The busiest day of the data set in the provider's zone, as the board would ask for it.
  const { rows } = await db().owner.query<{ day: string }>(
    `SELECT (scheduled_pickup_at AT TIME ZONE 'America/New_York')::date::text AS day FROM trip_legs
      WHERE scheduled_pickup_at IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const plans = await plansOf(dataset.dispatcher, `/v1/legs?date=${rows[0]?.day}&include=rider&limit=500`);
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  // The day's range of the schedule index (plain or as a bitmap, then the day's rows sorted).
  expect(plans[0]?.nodes.map((node) => node['Index Name'])).toContain('trip_legs_schedule');
  expect(indexesOn(plans, 'riders').length).toBeGreaterThan(0);
  expect(indexesOn(plans, 'trip_requests').length).toBeGreaterThan(0);
});

test('reading one trip request is a primary-key lookup', async () => {
  const { rows } = await db().owner.query<{ id: string }>(
    'SELECT id FROM trip_requests WHERE facility_id = $1 ORDER BY created_at LIMIT 1', [dataset.largest.id]);
  const plans = await plansOf(dataset.largest.admin, `/v1/trip-requests/${rows[0]?.id}`);
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_requests').length).toBeGreaterThan(0);
});

test('a driver\'s legs come from the driver\'s schedule index, riders by key', async () => {
  const driver = dataset.drivers[0];
  if (!driver) throw new Error('no driver in the data set');
  const plans = await plansOf(driver, '/v1/legs?limit=50');
  expect(seqScansOnTenantTables(plans)).toEqual([]);
  expect(indexesOn(plans, 'trip_legs')).toContain('trip_legs_driver_schedule');
  expect(indexesOn(plans, 'riders').length).toBeGreaterThan(0);
});

test('every row-level security policy hides its condition from the row estimates (schema/0014)', async () => {
  const { rows } = await db().owner.query<{ policy: string; qual: string }>(
    `SELECT tablename || '.' || policyname AS policy, qual FROM pg_policies
      WHERE schemaname = 'public' AND qual IS NOT NULL AND qual <> 'true'
        AND btrim(regexp_replace(qual, '\\s+', ' ', 'g')) NOT LIKE 'CASE WHEN %'
      ORDER BY 1`,
  );
  expect(rows).toEqual([]);
});
