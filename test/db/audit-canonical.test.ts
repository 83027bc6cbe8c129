import { randomUUID } from 'node:crypto';
import { CANONICAL_TEXT_SQL, verifyAuditChains } from '../../lambdas/shared/audit/verify';
import type { Database, Queryable, QueryResult, SqlParam } from '../../lambdas/shared/db/port';
import { useTestDatabase } from '../support/database';

/**
 * The verifier's batches build each event's canonical text with json_build_array, not with the
 * trigger's audit_canonical(e) (a jsonb value per event was the verification's bottleneck), and
 * hash it in Postgres.
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
  const { rows } = await db().owner.query<{ canonical: string; database_canonical: string }>(
    `SELECT ${CANONICAL_TEXT_SQL} AS canonical, audit_canonical(e) AS database_canonical FROM audit_events e`,
  );
  expect(rows.length).toBeGreaterThanOrEqual(AWKWARD_DETAILS.length + 1);
  for (const row of rows) expect(row.canonical).toBe(row.database_canonical);
  await expect(verifyAuditChains(db().owner)).resolves.toMatchObject({ ok: true, events: rows.length });
});

test('an event whose batch text differs is judged by audit_canonical(e), not reported as broken', async () => {
  const facilityId = await insertEvents(db().owner);
  const lookups: string[] = [];
  // A source whose batches garble every event's canonical text, as an encoding slip would.
  const garbling: Queryable = {
    async query<Row>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<Row>> {
      if (sql.includes('audit_canonical')) lookups.push(String(params?.[0]));
      expect(sql.includes(CANONICAL_TEXT_SQL) || sql.includes('audit_canonical')).toBe(true);
      return db().owner.query<Row>(sql.replace(CANONICAL_TEXT_SQL, `(${CANONICAL_TEXT_SQL} || ' ')`), params);
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
