import { randomUUID } from 'node:crypto';
import { BATCH_SQL, type ChainRow, PROVIDER_CHAIN_KEY, verifyAuditChains } from '../../lambdas/shared/audit/verify';
import type { Database, Queryable, QueryResult, SqlParam } from '../../lambdas/shared/db/port';
import { useTestDatabase } from '../support/database';

/**
 * The verifier's batches build each event's canonical text with json_build_array, not with the
 * trigger's audit_canonical(e) (a jsonb value per event was the verification's bottleneck).
 * These tests hold the two texts equal on the inputs where JSON encoders tend to differ, and
 * prove the trigger's function still decides when they do not.
 */
const db = useTestDatabase();

const AWKWARD_DETAILS = [
  {},
  { quote: 'say "hi"', backslash: 'C:\\path', newline: 'a\nb', tab: 'a\tb', control: '\u0001\u001f', del: '\u007f' },
  { unicode: 'Zoë · 東京 · 🚑', separators: '\u2028\u2029', nested: { list: [1, 2.5, -0.125, 1e21], empty: [] } },
  { numbers: [0, 10, 1.5, 100000000000000000000], flag: true, nothing: null },
  { z: 1, a: 2, bb: 3, ccc: { y: [{ b: 1, a: 2 }] } },
];

async function insertEvents(owner: Database): Promise<string> {
  const { rows } = await owner.query<{ id: string }>("INSERT INTO facilities (kind, name) VALUES ('facility', 'Canonical') RETURNING id");
  const facilityId = rows[0]?.id as string;
  for (const [index, details] of AWKWARD_DETAILS.entries()) {
    // As the owner, straight through the chaining trigger: the values, not the caller, matter here.
    await owner.query(
      `INSERT INTO audit_events (facility_id, actor_sub, actor_role, entity_type, entity_id, action, from_state, to_state,
                                 request_id, details)
       VALUES ($1, $2, 'Dispatcher', 'trip_request', $3, $4, $5, $6, $7, $8::jsonb)`,
      [facilityId, index % 2 ? null : randomUUID(), randomUUID(), `test.awkward_${index}`, index % 2 ? 'requested' : null,
        'scheduled', index === 1 ? 'req "quoted" \\ id' : null, JSON.stringify(details)],
    );
  }
  await owner.query(
    `INSERT INTO audit_events (facility_id, actor_sub, actor_role, entity_type, entity_id, action, details)
     VALUES (NULL, NULL, 'System', 'facility', $1, 'facility.created', '{"note": "provider chain"}')`,
    [randomUUID()],
  );
  return facilityId;
}

test('the batches\' canonical text is byte for byte the one audit_canonical(e) builds', async () => {
  await insertEvents(db().owner);
  const { rows } = await db().owner.query<ChainRow & { database_canonical: string }>(
    `SELECT b.*, audit_canonical(e) AS database_canonical
       FROM (${BATCH_SQL}) b JOIN audit_events e ON e.id = b.id::bigint`,
    [PROVIDER_CHAIN_KEY, '0', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 1000],
  );
  expect(rows.length).toBeGreaterThanOrEqual(AWKWARD_DETAILS.length + 1);
  for (const row of rows) expect(row.canonical).toBe(row.database_canonical);
  await expect(verifyAuditChains(db().owner)).resolves.toMatchObject({ ok: true, events: rows.length });
});

test('an event whose batch text differs is judged by audit_canonical(e), not reported as broken', async () => {
  const facilityId = await insertEvents(db().owner);
  const lookups: string[] = [];
  // A source that garbles one column of every event on the way out, as an encoding slip would.
  const garbling: Queryable = {
    async query<Row>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<Row>> {
      const result = await db().owner.query<Row>(sql, params);
      if (sql.includes('audit_canonical')) lookups.push(String(params?.[0]));
      else for (const row of result.rows as ChainRow[]) row.canonical = `${row.canonical} `;
      return result;
    },
  };
  const result = await verifyAuditChains(garbling, { facilityId });
  expect(result).toEqual({ ok: true, events: AWKWARD_DETAILS.length, chains: 1 });
  expect(lookups).toHaveLength(AWKWARD_DETAILS.length);
});

test('a tampered event is still a break when audit_canonical(e) agrees it no longer matches', async () => {
  const facilityId = await insertEvents(db().owner);
  await db().owner.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query(
      "UPDATE audit_events SET details = '{\"tampered\": true}' WHERE facility_id = $1 AND seq = 3", [facilityId]);
  });
  const result = await verifyAuditChains(db().owner, { facilityId });
  expect(result).toMatchObject({ ok: false, events: 2, firstBreak: { seq: 3, reason: 'hash_mismatch' } });
});
