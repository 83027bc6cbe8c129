import { randomUUID } from 'node:crypto';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import type { Queryable, SqlParam } from '../../lambdas/shared/db/port';
import type { FacilityRole } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import {
  actorOf, countRows, createStaffUser, expectSqlError, privilegeRefusal, rlsRefusal, seedTenant, type TenantWorld,
  type UserRow, withActorRolledBack,
} from '../support/fixtures';

/**
 * SECURITY S3: as the API's database role, with tenant A's facility context, tenant B's rows
 * cannot be read, inserted, updated or deleted, in every tenant table; and without context
 * nothing is visible at all. The table list is checked against the catalog, so a new tenant
 * table without an entry here fails the suite.
 */
const db = useTestDatabase();

interface Statement {
  sql: string;
  params: SqlParam[];
}

interface TenantTableSpec {
  /** The column that identifies the tenant's rows (facilities are the tenant itself). */
  tenantColumn: 'facility_id' | 'id';
  idColumn: string;
  idType: 'uuid' | 'bigint';
  ids: (world: TenantWorld) => string[];
  /** A row for `target` that is valid in every respect but the tenant, written by `actor`. */
  insert: (target: TenantWorld, actor: UserRow) => Statement;
  /** SET clause of a harmless UPDATE, or null where nemt_api has no UPDATE privilege. */
  updateSet: string | null;
  /** Whether nemt_api may SELECT the table at all (otherwise the privilege refuses it). */
  apiReads: boolean;
  /** What each facility role may do in its own tenant: proves a refusal is about the tenant. */
  ownRead: Record<FacilityRole, boolean>;
  ownInsert: Record<FacilityRole, boolean>;
  /** Where nemt_api has no INSERT privilege at all, the privilege (not RLS) refuses inserts. */
  insertRefusedByPrivilege?: boolean;
}

const insertRefusal = (table: string) =>
  spec(table).insertRefusedByPrivilege ? privilegeRefusal(table) : rlsRefusal(table);

const both = (value: boolean): Record<FacilityRole, boolean> => ({ FacilityAdmin: value, FacilityUser: value });

const TABLES: Record<string, TenantTableSpec> = {
  facilities: {
    tenantColumn: 'id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.facility.id],
    insert: () => ({ sql: `INSERT INTO facilities (kind, name) VALUES ('facility', 'Intruder clinic')`, params: [] }),
    updateSet: `name = 'Taken over'`, apiReads: true, ownRead: both(true), ownInsert: both(false),
  },
  contacts: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.contact.id],
    insert: (t) => ({ sql: `INSERT INTO contacts (facility_id, full_name) VALUES ($1, 'Intruder')`, params: [t.facility.id] }),
    updateSet: `full_name = 'Taken over'`, apiReads: true, ownRead: both(true),
    ownInsert: { FacilityAdmin: true, FacilityUser: false },
  },
  users: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.admin.id, w.user.id],
    insert: (t) => ({
      sql: `INSERT INTO users (id, role, facility_id, email, display_name) VALUES ($1, 'FacilityUser', $2, $3, 'Intruder')`,
      params: [randomUUID(), t.facility.id, `intruder-${randomUUID()}@example.test`],
    }),
    updateSet: `display_name = 'Taken over'`, apiReads: true, ownRead: both(true),
    ownInsert: { FacilityAdmin: true, FacilityUser: false },
  },
  riders: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.rider.id],
    // Well-formed for the schema (a live rider has a key and a name); what they hold is beside the point here.
    insert: (t) => ({
      sql: `INSERT INTO riders (facility_id, data_key, full_name_enc) VALUES ($1, $2, $2)`,
      params: [t.facility.id, Buffer.alloc(64, 1)],
    }),
    updateSet: `notify_consent = NOT notify_consent`, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
  tenant_keys: {
    tenantColumn: 'facility_id', idColumn: 'facility_id', idType: 'uuid', ids: (w) => [w.facility.id],
    insert: (t) => ({
      sql: `INSERT INTO tenant_keys (facility_id, version, wrapped_key, key_provider, master_key_id)
            VALUES ($1, 99, $2, 'local', 'local:intruder')`,
      params: [t.facility.id, Buffer.alloc(64, 1)],
    }),
    // Keys are never rewritten (no UPDATE privilege; a trigger refuses it for the owner too).
    updateSet: null, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
  trip_requests: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.trip.id, w.pendingTrip.id],
    insert: (t, actor) => ({
      sql: `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, pickup_address, dropoff_address,
                                       appointment_at)
            VALUES ($1, $2, 'facility', $3, '1 Pickup Street', '2 Clinic Road', '2030-05-01T10:00:00Z')`,
      params: [t.facility.id, t.rider.id, actor.id],
    }),
    updateSet: `pickup_address = 'Taken over'`, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
  trip_legs: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.outbound.id, w.returnLeg.id],
    insert: (t) => ({
      sql: `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, pickup_address, dropoff_address,
                                   scheduled_pickup_at, scheduled_dropoff_at)
            VALUES ($1, $2, $3, 'outbound', '1 Pickup Street', '2 Clinic Road', '2030-05-01T09:00:00Z',
                    '2030-05-01T09:45:00Z')`,
      params: [t.facility.id, t.pendingTrip.id, t.rider.id],
    }),
    updateSet: `pickup_address = 'Taken over'`, apiReads: true, ownRead: both(true), ownInsert: both(false),
  },
  cancellation_requests: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.cancellation.id],
    insert: (t, actor) => ({
      sql: `INSERT INTO cancellation_requests (facility_id, trip_request_id, reason_code, requested_by)
            VALUES ($1, $2, 'changed_plans', $3)`,
      params: [t.facility.id, t.trip.id, actor.id],
    }),
    updateSet: `reason_text = 'Taken over'`, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
  billing_records: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.billingRecord.id],
    insert: (t) => ({
      sql: `INSERT INTO billing_records (facility_id, trip_leg_id, trip_request_id, leg_outcome)
            VALUES ($1, $2, $3, 'completed')`,
      params: [t.facility.id, t.returnLeg.id, t.trip.id],
    }),
    updateSet: `note = 'Taken over'`, apiReads: true, ownRead: both(false), ownInsert: both(false),
    insertRefusedByPrivilege: true,
  },
  audit_events: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'bigint', ids: (w) => [w.auditEventId],
    insert: (t, actor) => ({
      sql: `INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id, action)
            VALUES ($1, $2, $3, $4, 'trip_request', $2, 'trip_request.viewed')`,
      params: [t.facility.id, t.trip.id, actor.id, actor.role],
    }),
    updateSet: null, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
  notification_outbox: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.outboxId],
    insert: (t) => ({
      sql: `INSERT INTO notification_outbox (facility_id, rider_id, trip_request_id, event_type)
            VALUES ($1, $2, $3, 'trip_scheduled')`,
      params: [t.facility.id, t.rider.id, t.trip.id],
    }),
    // Read through the API only for a rider's data export: dispatchers and facility admins.
    updateSet: null, apiReads: true, ownRead: { FacilityAdmin: true, FacilityUser: false }, ownInsert: both(true),
  },
  standing_orders: {
    tenantColumn: 'facility_id', idColumn: 'id', idType: 'uuid', ids: (w) => [w.standingOrder.id],
    insert: (t, actor) => ({
      sql: `INSERT INTO standing_orders (facility_id, rider_id, submitted_by, source, days_of_week, pickup_time, appointment_time,
                                         pickup_address, dropoff_address, mobility, start_date)
            VALUES ($1, $2, $3, 'facility', '{1,3,5}', '07:00', '08:00', '1 Pickup Street', '2 Clinic Road', 'ambulatory',
                    '2030-05-01')`,
      params: [t.facility.id, t.rider.id, actor.id],
    }),
    updateSet: `pickup_address = 'Taken over'`, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
  ride_reminders: {
    tenantColumn: 'facility_id', idColumn: 'trip_request_id', idType: 'uuid', ids: (w) => [w.trip.id],
    insert: (t) => ({
      sql: 'INSERT INTO ride_reminders (facility_id, trip_request_id, outbox_id) VALUES ($1, $2, gen_random_uuid())',
      params: [t.facility.id, t.trip.id],
    }),
    // Written only by the scheduled run's own login; dispatchers and facility admins may see which trips were reminded.
    updateSet: null, apiReads: true, ownRead: { FacilityAdmin: true, FacilityUser: false }, ownInsert: both(false),
    insertRefusedByPrivilege: true,
  },
  idempotency_keys: {
    tenantColumn: 'facility_id', idColumn: 'actor_sub', idType: 'uuid', ids: (w) => w.idempotencyKeys.map((k) => k.actorSub),
    insert: (t, actor) => ({
      sql: `INSERT INTO idempotency_keys (actor_sub, idempotency_key, facility_id, route_id, request_hash, response_status,
                                          response_body)
            VALUES ($1, $2, $3, 'POST /v1/trip-requests', 'hash', 201, '{}'::jsonb)`,
      params: [actor.id, `key-${randomUUID()}`, t.facility.id],
    }),
    updateSet: null, apiReads: true, ownRead: both(true), ownInsert: both(true),
  },
};
const TABLE_NAMES = Object.keys(TABLES).sort();

function spec(table: string): TenantTableSpec {
  const found = TABLES[table];
  if (!found) throw new Error(`no isolation spec for ${table}`);
  return found;
}

/** Selects a world's rows of `table` by tenant and by their ids. */
function rowsOf(table: string, world: TenantWorld): Statement {
  const s = spec(table);
  return {
    sql: `SELECT * FROM ${table} WHERE ${s.tenantColumn} = $1 OR ${s.idColumn} = ANY($2::${s.idType}[])`,
    params: [world.facility.id, `{${s.ids(world).join(',')}}`],
  };
}

async function snapshot(tx: Queryable, table: string, world: TenantWorld): Promise<unknown[]> {
  const { sql, params } = rowsOf(table, world);
  const { rows } = await tx.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM (${sql}) AS t ORDER BY 1`, params);
  return rows.map((r) => r.row);
}

let a: TenantWorld;
let b: TenantWorld;
const bBefore = new Map<string, unknown[]>();

beforeAll(async () => {
  const owner = db().owner;
  const driver = await createStaffUser(owner, 'Driver');
  a = await seedTenant(owner, { driver, name: 'Tenant A' });
  b = await seedTenant(owner, { driver, name: 'Tenant B' });
  // Each tenant's trip was reminded (the scheduled run writes these; seeded here as the owner).
  for (const world of [a, b]) {
    await owner.query('INSERT INTO ride_reminders (facility_id, trip_request_id, outbox_id) VALUES ($1, $2, gen_random_uuid())',
      [world.facility.id, world.trip.id]);
  }
  for (const table of TABLE_NAMES) bBefore.set(table, await snapshot(owner, table, b));
});

test('the spec covers exactly the tenant tables in the catalog (facilities and every table with facility_id)', async () => {
  const { rows } = await db().owner.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname = 'facilities' OR EXISTS (
       SELECT 1 FROM pg_attribute x WHERE x.attrelid = c.oid AND x.attname = 'facility_id' AND NOT x.attisdropped))
     ORDER BY 1`,
  );
  expect(rows.map((row) => row.relname)).toEqual(TABLE_NAMES);
});

test.each(TABLE_NAMES)('both tenants have rows in %s, so an empty answer means something', async (table) => {
  const owner = db().owner;
  const { sql, params } = rowsOf(table, b);
  expect(await countRows(owner, sql, params)).toBeGreaterThan(0);
  const own = rowsOf(table, a);
  expect(await countRows(owner, own.sql, own.params)).toBeGreaterThan(0);
});

describe.each(['FacilityAdmin', 'FacilityUser'] as const)('as tenant A\'s %s through nemt_api', (role) => {
  const actorUser = () => (role === 'FacilityAdmin' ? a.admin : a.user);
  const actor = () => actorOf(actorUser());

  test.each(TABLE_NAMES)('%s: B\'s rows are invisible', async (table) => {
    const { sql, params } = rowsOf(table, b);
    if (!spec(table).apiReads) {
      await expectSqlError(withActor(db().as('api'), actor(), (tx) => tx.query(sql, params)), privilegeRefusal(table));
      return;
    }
    expect(await withActor(db().as('api'), actor(), (tx) => countRows(tx, sql, params))).toBe(0);
  });

  test.each(TABLE_NAMES)('%s: A\'s own rows are visible exactly where the role may read', async (table) => {
    const { sql, params } = rowsOf(table, a);
    if (!spec(table).apiReads) {
      await expectSqlError(withActor(db().as('api'), actor(), (tx) => tx.query(sql, params)), privilegeRefusal(table));
      return;
    }
    const seen = await withActor(db().as('api'), actor(), (tx) => countRows(tx, sql, params));
    if (spec(table).ownRead[role]) expect(seen).toBeGreaterThan(0);
    else expect(seen).toBe(0);
  });

  test.each(TABLE_NAMES)('%s: inserting a row for B is refused by row-level security', async (table) => {
    const { sql, params } = spec(table).insert(b, actorUser());
    await expectSqlError(withActor(db().as('api'), actor(), (tx) => tx.query(sql, params)), insertRefusal(table));
  });

  test.each(TABLE_NAMES)('%s: the same insert for A succeeds exactly where the role may insert', async (table) => {
    const { sql, params } = spec(table).insert(a, actorUser());
    const attempt = withActorRolledBack(db().as('api'), actor(), (tx) => tx.query(sql, params));
    if (spec(table).ownInsert[role]) expect((await attempt).rowCount).toBe(1);
    else await expectSqlError(attempt, insertRefusal(table));
  });

  test.each(TABLE_NAMES)('%s: updating B\'s rows changes nothing', async (table) => {
    const s = spec(table);
    const sql = `UPDATE ${table} SET ${s.updateSet ?? 'facility_id = facility_id'} WHERE ${s.idColumn} = ANY($1::${s.idType}[])`;
    const params = [`{${s.ids(b).join(',')}}`];
    if (s.updateSet === null) {
      await expectSqlError(withActor(db().as('api'), actor(), (tx) => tx.query(sql, params)), privilegeRefusal(table));
      return;
    }
    const result = await withActor(db().as('api'), actor(), (tx) => tx.query(sql, params));
    expect(result.rowCount).toBe(0);
  });

  test.each(TABLE_NAMES)('%s: deleting B\'s rows is refused by privilege', async (table) => {
    const s = spec(table);
    await expectSqlError(
      withActor(db().as('api'), actor(), (tx) => tx.query(`DELETE FROM ${table} WHERE ${s.idColumn} = ANY($1::${s.idType}[])`,
        [`{${s.ids(b).join(',')}}`])),
      privilegeRefusal(table),
    );
  });
});

describe('without a context nothing is visible', () => {
  const readable = TABLE_NAMES.filter((table) => spec(table).apiReads);

  test.each(readable)('%s: a plain query through the api login sees no rows', async (table) => {
    expect(await countRows(db().as('api'), `SELECT 1 FROM ${table}`)).toBe(0);
  });

  test.each(readable)('%s: a transaction with no settings sees no rows', async (table) => {
    expect(await db().as('api').transaction((tx) => countRows(tx, `SELECT 1 FROM ${table}`))).toBe(0);
  });

  test.each(readable)('%s: a facility claim without a role, or a facility role without a facility, sees no rows', async (table) => {
    const api = db().as('api');
    const facilityOnly = { 'app.facility_id': a.facility.id, 'app.sub': randomUUID() };
    expect(await api.transaction((tx) => countRows(tx, `SELECT 1 FROM ${table}`), { settings: facilityOnly })).toBe(0);
    const roleOnly = { 'app.role': 'FacilityAdmin', 'app.sub': randomUUID() };
    expect(await api.transaction((tx) => countRows(tx, `SELECT 1 FROM ${table}`), { settings: roleOnly })).toBe(0);
  });

  test('notification_outbox is readable through nemt_api only with a dispatcher or facility admin context', async () => {
    expect(await countRows(db().as('api'), 'SELECT 1 FROM notification_outbox')).toBe(0);
    expect(await withActor(db().as('api'), actorOf(a.user), (tx) => countRows(tx, 'SELECT 1 FROM notification_outbox'))).toBe(0);
    expect(await withActor(db().as('api'), actorOf(a.admin), (tx) => countRows(tx, 'SELECT 1 FROM notification_outbox')))
      .toBeGreaterThan(0);
  });

  test('a context ends with its transaction: the same connection sees nothing afterwards', async () => {
    const single = createPgDatabase({ connectionString: db().url('api'), max: 1 });
    try {
      const inside = await withActor(single, actorOf(a.admin), async (tx) => ({
        pid: (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid,
        riders: await countRows(tx, 'SELECT 1 FROM riders'),
      }));
      const after = {
        pid: (await single.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid,
        riders: await countRows(single, 'SELECT 1 FROM riders'),
      };
      expect(inside.riders).toBe(1);
      expect(after).toEqual({ pid: inside.pid, riders: 0 });
    } finally {
      await single.close();
    }
  });
});

// Runs after the attacks above (Jest runs a file's tests in order).
test.each(TABLE_NAMES)('%s: B\'s rows are unchanged after every attack', async (table) => {
  expect(await snapshot(db().owner, table, b)).toEqual(bBefore.get(table));
});
