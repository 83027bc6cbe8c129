import { useTestDatabase } from '../support/database';

/**
 * SECURITY S3/S5/S6 from the catalog: whatever the policies say, they only protect a table
 * that has forced row-level security and is reached by a role that cannot step around it.
 * These checks read pg_catalog, so a new table or grant that breaks a rule fails here.
 */
const db = useTestDatabase();

// nemt_key_rotator has no login: the schema owner's login assumes it for tenant-key rotation (schema/0020).
const APPLICATION_ROLES = ['nemt_api', 'nemt_intake', 'nemt_notifier', 'nemt_auditor', 'nemt_definer', 'nemt_key_rotator',
  'nemt_materialiser'];
const LOGIN_USERS: Record<string, string> = {
  nemt_api_user: 'nemt_api',
  nemt_intake_user: 'nemt_intake',
  nemt_notifier_user: 'nemt_notifier',
  nemt_auditor_user: 'nemt_auditor',
  nemt_materialiser_user: 'nemt_materialiser',
};
const ALL_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER';

/**
 * Tenant tables whose facility_id may be NULL. Every other tenant table must have NOT NULL.
 * Asserted exactly: a new nullable tenant column has to be argued for here.
 */
const NULLABLE_TENANT_ALLOW_LIST = [
  // Provider-level events (staff users, facility creation) chain under no tenant.
  'audit_events',
  // Keys of staff callers (Dispatcher, Driver, Billing), who act across tenants.
  'idempotency_keys',
  // Staff (Dispatcher, Driver, Billing) have no tenant; users_tenant_matches_role forces it for facility roles.
  'users',
];

/** Indexes that serve a tenant's own listings: they must exist and lead with facility_id. */
const TENANT_LISTING_INDEXES = [
  'audit_events_facility_entity',
  'audit_events_facility_trip',
  'billing_records_facility_list',
  'cancellation_requests_facility_trip',
  'idempotency_keys_facility',
  'notification_outbox_facility_rider',
  'riders_facility_email_index',
  'riders_facility_list',
  'riders_facility_phone_index',
  'standing_orders_facility_contact',
  'standing_orders_facility_list',
  'standing_orders_facility_status_list',
  'standing_orders_facility_submitter',
  'trip_legs_facility_schedule',
  'trip_legs_facility_trip',
  'trip_requests_facility_contact',
  'trip_requests_facility_list',
  'trip_requests_facility_status_list',
  'trip_requests_facility_submitter',
  'users_facility',
];

const PUBLIC_TABLES = `
  SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`;

const TENANT_TABLES = `
  SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname = 'facilities' OR EXISTS (
    SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'facility_id' AND NOT a.attisdropped))`;

async function tenantTableNames(): Promise<string[]> {
  const { rows } = await db().owner.query<{ relname: string }>(`${TENANT_TABLES} ORDER BY c.relname`);
  return rows.map((row) => row.relname);
}

describe('row-level security on tenant tables', () => {
  test('the catalog query finds the tenant tables it is meant to guard', async () => {
    expect(await tenantTableNames()).toEqual(expect.arrayContaining([
      'audit_events', 'billing_records', 'cancellation_requests', 'contacts', 'facilities', 'idempotency_keys',
      'notification_outbox', 'riders', 'standing_orders', 'tenant_keys', 'trip_legs', 'trip_requests', 'users',
    ]));
  });

  test('every table with facility_id, and facilities, has row-level security ENABLEd and FORCEd', async () => {
    const { rows } = await db().owner.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `${TENANT_TABLES} ORDER BY c.relname`,
    );
    const unprotected = rows.filter((row) => !row.relrowsecurity || !row.relforcerowsecurity).map((row) => row.relname);
    expect(unprotected).toEqual([]);
  });

  test('no view exposes tables with its owner\'s rights (views would step around RLS)', async () => {
    const { rows } = await db().owner.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')
         AND (c.relkind = 'm' OR NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false))`,
    );
    expect(rows.map((row) => row.relname)).toEqual([]);
  });

  test('every policy names an application role (never PUBLIC) and write policies state WITH CHECK', async () => {
    const { rows } = await db().owner.query<{ policy: string; roles: string; cmd: string; has_check: boolean }>(
      `SELECT c.relname || '.' || p.polname AS policy, p.polcmd AS cmd, p.polwithcheck IS NOT NULL AS has_check,
              (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END, ',' ORDER BY 1)
                 FROM unnest(p.polroles) AS r) AS roles
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(40);
    const badRoles = rows.filter((row) => row.roles.split(',').some((role) =>
      !['nemt_api', 'nemt_notifier', 'nemt_auditor', 'nemt_definer', 'nemt_key_rotator', 'nemt_materialiser'].includes(role)));
    expect(badRoles).toEqual([]);
    const writeWithoutCheck = rows.filter((row) => ['a', 'w', '*'].includes(row.cmd) && !row.has_check);
    expect(writeWithoutCheck).toEqual([]);
  });
});

describe('provider-level staff data', () => {
  test('vehicles and their odometer corrections (no facility_id: staff data, like staff users) force row-level security', async () => {
    const { rows } = await db().owner.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname IN ('vehicles', 'vehicle_odometer_corrections') ORDER BY 1`,
    );
    expect(rows).toEqual([
      { relname: 'vehicle_odometer_corrections', relrowsecurity: true, relforcerowsecurity: true },
      { relname: 'vehicles', relrowsecurity: true, relforcerowsecurity: true },
    ]);
  });
});

describe('application roles cannot step around row-level security', () => {
  test('no nemt_* role is a superuser, bypasses RLS, or can create roles or databases', async () => {
    const { rows } = await db().owner.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean;
      rolcreaterole: boolean; rolcreatedb: boolean }>(
      `SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles
       WHERE rolname LIKE 'nemt\\_%' ORDER BY rolname`,
    );
    expect(rows.map((row) => row.rolname)).toEqual(expect.arrayContaining([...APPLICATION_ROLES, ...Object.keys(LOGIN_USERS)]));
    const powerful = rows.filter((row) => row.rolsuper || row.rolbypassrls || row.rolcreaterole || row.rolcreatedb);
    expect(powerful).toEqual([]);
  });

  test('no nemt_* role owns any relation (owners are exempt from RLS unless forced, and may alter it)', async () => {
    const { rows } = await db().owner.query<{ relname: string; owner: string }>(
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) LIKE 'nemt\\_%'`,
    );
    expect(rows).toEqual([]);
    const tables = await db().owner.query<{ relname: string; owner: string }>(`${PUBLIC_TABLES} AND c.relname = 'trip_requests'`);
    expect(tables.rowCount).toBe(1);
  });

  test('each login user inherits exactly its one application role, and application roles inherit nothing', async () => {
    const { rows } = await db().owner.query<{ member: string; granted: string }>(
      `SELECT u.rolname AS member, r.rolname AS granted
       FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
       WHERE u.rolname LIKE 'nemt\\_%' AND r.rolname <> 'rds_iam' ORDER BY 1, 2`,
    );
    expect(rows).toEqual(Object.entries(LOGIN_USERS).map(([member, granted]) => ({ member, granted }))
      .sort((a, b) => a.member.localeCompare(b.member)));
  });

  test('application roles cannot create objects in the database or in schema public', async () => {
    const { rows } = await db().owner.query<{ role: string; db_create: boolean; schema_create: boolean }>(
      `SELECT r AS role, has_database_privilege(r, current_database(), 'CREATE') AS db_create,
              has_schema_privilege(r, 'public', 'CREATE') AS schema_create
       FROM unnest($1::text[]) AS r`,
      [`{${[...APPLICATION_ROLES, ...Object.keys(LOGIN_USERS)].join(',')}}`],
    );
    expect(rows).toHaveLength(APPLICATION_ROLES.length + Object.keys(LOGIN_USERS).length);
    expect(rows.filter((row) => row.db_create || row.schema_create)).toEqual([]);
  });
});

describe('table privileges', () => {
  async function tablesWhere(role: string, privileges: string): Promise<string[]> {
    const { rows } = await db().owner.query<{ relname: string }>(
      `${PUBLIC_TABLES} AND has_table_privilege($1, c.oid, $2) ORDER BY c.relname`,
      [role, privileges],
    );
    return rows.map((row) => row.relname);
  }

  test('no application role may DELETE, TRUNCATE, add triggers or reference any table', async () => {
    for (const role of [...APPLICATION_ROLES, ...Object.keys(LOGIN_USERS)]) {
      expect({ role, tables: await tablesWhere(role, 'TRUNCATE, TRIGGER, REFERENCES') }).toEqual({ role, tables: [] });
      // The one exception: expire_records() (schema/0016, 0019), owned by nemt_definer, deletes expired
      // idempotency keys, finished outbox rows, spent intake challenges and past receipt counters,
      // under policies that reach nothing younger.
      const deletable = role === 'nemt_definer'
        ? ['idempotency_keys', 'intake_receipt_counts', 'intake_spent_challenges', 'notification_outbox'] : [];
      expect({ role, tables: await tablesWhere(role, 'DELETE') }).toEqual({ role, tables: deletable });
    }
  });

  test('nemt_api cannot UPDATE audit events, and cannot touch the audit chain heads or migrations', async () => {
    expect(await tablesWhere('nemt_api', 'UPDATE')).not.toContain('audit_events');
    const { rows } = await db().owner.query<{ relname: string }>(
      `${PUBLIC_TABLES} AND c.relname IN ('audit_chain_heads', 'schema_migrations')
         AND (has_table_privilege('nemt_api', c.oid, '${ALL_PRIVILEGES}')
              OR has_any_column_privilege('nemt_api', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))`,
    );
    expect(rows).toEqual([]);
    expect(await tablesWhere('nemt_api', 'UPDATE')).toContain('trip_legs');
  });

  test('the lifecycle tables are read-only for every application role (they decide what is final)', async () => {
    for (const role of APPLICATION_ROLES) {
      const { rows } = await db().owner.query<{ relname: string }>(
        `${PUBLIC_TABLES} AND c.relname IN ('lifecycle_states', 'lifecycle_transitions')
           AND (has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
                OR has_any_column_privilege($1, c.oid, 'INSERT, UPDATE'))`,
        [role],
      );
      expect({ role, writable: rows }).toEqual({ role, writable: [] });
    }
  });

  test('nemt_intake has no privilege at all on any table, column or sequence', async () => {
    for (const role of ['nemt_intake', 'nemt_intake_user']) {
      const { rows } = await db().owner.query<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND (
           (c.relkind IN ('r', 'p', 'v', 'm', 'f') AND (has_table_privilege($1, c.oid, '${ALL_PRIVILEGES}')
              OR has_any_column_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')))
           OR (c.relkind = 'S' AND has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')))`,
        [role],
      );
      expect({ role, tables: rows }).toEqual({ role, tables: [] });
    }
  });

  test('the intake functions are the only SECURITY DEFINER functions the intake role can call, and only it can', async () => {
    const { rows } = await db().owner.query<{ proname: string }>(
      `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.prosecdef AND p.prorettype <> 'trigger'::regtype
         AND has_function_privilege('nemt_intake', p.oid, 'EXECUTE') ORDER BY 1`,
    );
    expect(rows.map((row) => row.proname)).toEqual(['intake_index_key', 'intake_spend_challenge', 'intake_submit_trip_request']);
    const callersOf = async (signature: string) => (await db().owner.query<{ role: string }>(
      `SELECT r AS role FROM unnest($1::text[]) AS r WHERE has_function_privilege(r, $2, 'EXECUTE') ORDER BY 1`,
      [`{${APPLICATION_ROLES.join(',')}}`, signature],
    )).rows.map((row) => row.role);
    // nemt_definer owns them; nobody else but the intake role may run them (the API also indexes
    // the private-pay riders it registers, so it may fetch the intake's index key).
    expect(await callersOf(`intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
      bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea, integer,
      boolean, integer)`))
      .toEqual(['nemt_definer', 'nemt_intake']);
    expect(await callersOf('intake_spend_challenge(bytea, timestamptz)')).toEqual(['nemt_definer', 'nemt_intake']);
    expect(await callersOf('intake_index_key(bytea, text, text)')).toEqual(['nemt_api', 'nemt_definer', 'nemt_intake']);
    // Whether an address has an account anywhere (schema/0021): the API's user creation only.
    expect(await callersOf('user_email_registered(text)')).toEqual(['nemt_api', 'nemt_definer']);
  });
});

describe('stored keys (docs/security/encryption.md)', () => {
  test('tenant_keys and provider_keys force row-level security; only the rotator may change a key, and only to retire it', async () => {
    const { rows } = await db().owner.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname IN ('tenant_keys', 'provider_keys') ORDER BY 1`,
    );
    expect(rows).toEqual([
      { relname: 'provider_keys', relrowsecurity: true, relforcerowsecurity: true },
      { relname: 'tenant_keys', relrowsecurity: true, relforcerowsecurity: true },
    ]);
    for (const role of [...APPLICATION_ROLES, ...Object.keys(LOGIN_USERS)]) {
      const { rows: writable } = await db().owner.query<{ relname: string }>(
        `${PUBLIC_TABLES} AND c.relname IN ('tenant_keys', 'provider_keys')
           AND (has_table_privilege($1, c.oid, 'UPDATE, DELETE, TRUNCATE') OR has_any_column_privilege($1, c.oid, 'UPDATE'))`,
        [role],
      );
      const expected = role === 'nemt_key_rotator' ? ['tenant_keys'] : [];
      expect({ role, writable: writable.map((row) => row.relname) }).toEqual({ role, writable: expected });
    }
    // The rotator's UPDATE reaches the two columns retirement writes; the trigger allows nothing else.
    const { rows: columns } = await db().owner.query<{ attname: string }>(
      `SELECT a.attname FROM pg_attribute a WHERE a.attrelid = 'tenant_keys'::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND has_column_privilege('nemt_key_rotator', a.attrelid, a.attnum, 'UPDATE') ORDER BY 1`,
    );
    expect(columns.map((row) => row.attname)).toEqual(['retired_at', 'wrapped_key']);
  });

  test('only nemt_definer reaches provider_keys (through the intake index function); no login reads it', async () => {
    const { rows } = await db().owner.query<{ role: string }>(
      `SELECT r AS role FROM unnest($1::text[]) AS r
        WHERE has_table_privilege(r, 'provider_keys', 'SELECT, INSERT') ORDER BY 1`,
      [`{${[...APPLICATION_ROLES, ...Object.keys(LOGIN_USERS)].join(',')}}`],
    );
    expect(rows.map((row) => row.role)).toEqual(['nemt_definer']);
  });
});

describe('functions that run with other rights', () => {
  test('SECURITY DEFINER functions are owned by nemt_definer (subject to RLS) and pin their search_path', async () => {
    const { rows } = await db().owner.query<{ proname: string; owner: string; config: string | null }>(
      `SELECT p.proname, pg_get_userbyid(p.proowner) AS owner, array_to_string(p.proconfig, ';') AS config
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1`,
    );
    expect(rows.map((row) => row.proname)).toEqual(
      ['audit_chain_append', 'create_billing_record', 'expire_records', 'intake_index_key', 'intake_spend_challenge',
        'intake_submit_trip_request', 'leg_en_route_notice', 'leg_service_level', 'record_vehicle_odometer', 'sync_trip_status',
        'user_email_registered'],
    );
    for (const row of rows) {
      expect({ fn: row.proname, owner: row.owner, pinned: /search_path=public, pg_temp/.test(row.config ?? '') })
        .toEqual({ fn: row.proname, owner: 'nemt_definer', pinned: true });
    }
  });

  test('PL/pgSQL functions that read tables pin their search_path (a caller\'s temp table cannot shadow them)', async () => {
    const { rows } = await db().owner.query<{ proname: string; config: string | null }>(
      `SELECT p.proname, array_to_string(p.proconfig, ';') AS config
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE n.nspname = 'public' AND l.lanname = 'plpgsql'
         AND regexp_replace(regexp_replace(p.prosrc, '''[^'']*''', '', 'g'), 'distinct\\s+from', '', 'gi')
             ~* '\\m(from|join|update|into)\\s+[a-z_]+'
       ORDER BY 1`,
    );
    expect(rows.map((row) => row.proname)).toEqual(expect.arrayContaining(['enforce_lifecycle', 'guard_trip_leg_update']));
    expect(rows.filter((row) => !/search_path=public, pg_temp/.test(row.config ?? '')).map((row) => row.proname)).toEqual([]);
  });
});

describe('tenant keys', () => {
  test('facility_id is NOT NULL on every tenant table except the allow-list, and always references facilities', async () => {
    const { rows } = await db().owner.query<{ relname: string; attnotnull: boolean; has_fk: boolean }>(
      `SELECT c.relname, a.attnotnull, EXISTS (
         SELECT 1 FROM pg_constraint k
         WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid = 'facilities'::regclass
           AND k.conkey = ARRAY[a.attnum]
           AND k.confkey = ARRAY[(SELECT f.attnum FROM pg_attribute f
                                  WHERE f.attrelid = 'facilities'::regclass AND f.attname = 'id')]) AS has_fk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'facility_id' AND NOT a.attisdropped
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.filter((row) => !row.attnotnull).map((row) => row.relname)).toEqual(NULLABLE_TENANT_ALLOW_LIST);
    expect(rows.filter((row) => !row.has_fk).map((row) => row.relname)).toEqual([]);
  });

  test('every index named for a facility leads with facility_id, and the tenant listing indexes exist', async () => {
    const { rows } = await db().owner.query<{ index: string; first_column: string | null }>(
      `SELECT i.relname AS index, a.attname AS first_column
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
       WHERE n.nspname = 'public' AND i.relname LIKE '%\\_facility%' ORDER BY 1`,
    );
    expect(rows.map((row) => row.index)).toEqual(expect.arrayContaining(TENANT_LISTING_INDEXES));
    expect(rows.filter((row) => row.first_column !== 'facility_id')).toEqual([]);
  });

  test('every table with facility_id has an index that leads with it', async () => {
    const { rows } = await db().owner.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'facility_id' AND NOT a.attisdropped
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indkey[0] = a.attnum)
       ORDER BY 1`,
    );
    expect(rows.map((row) => row.relname)).toEqual([]);
  });
});
