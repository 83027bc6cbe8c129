import { randomUUID } from 'node:crypto';
import { expireRecords } from '../../lambdas/relay/expiry';
import { verifyAuditChains } from '../../lambdas/shared/audit/verify';
import { DatabaseError } from '../../lambdas/shared/db/port';
import { useTestDatabase } from '../support/database';
import { createFacility, createRider } from '../support/fixtures';
import { insertOutbox } from './support';

/**
 * Retention (schema/0016, docs/security/retention.md): Idempotency-Key records go after 7 days,
 * finished outbox rows after 13 months, pending ones never; the only DELETE any application role
 * holds, reached through one audited function.
 */
const db = useTestDatabase();
let facilityId: string;
let riderId: string;

const DAY = 24 * 3600 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

beforeAll(async () => {
  facilityId = (await createFacility(db().owner)).id;
  riderId = (await createRider(db().owner, { facilityId })).id;
});

// Each test starts from empty tables of its own kind.
beforeEach(async () => {
  await db().owner.transaction(async (tx) => {
    await tx.query('DELETE FROM idempotency_keys');
    await tx.query('DELETE FROM notification_outbox');
  });
});

async function insertKey(createdAt: Date): Promise<string> {
  const key = randomUUID();
  await db().owner.query(
    `INSERT INTO idempotency_keys (actor_sub, idempotency_key, facility_id, route_id, request_hash, response_status, response_body, created_at)
     VALUES ($1, $2, $3, 'tripRequests.create', 'hash', 201, '{"body": null}'::jsonb, $4)`,
    [randomUUID(), key, facilityId, createdAt],
  );
  return key;
}

async function insertFinished(status: 'sent' | 'skipped' | 'failed' | 'pending', createdAt: Date): Promise<string> {
  const id = await insertOutbox(db().owner, { facilityId, riderId, createdAt });
  if (status !== 'pending') await db().owner.query('UPDATE notification_outbox SET status = $1 WHERE id = $2', [status, id]);
  return id;
}

async function remaining(): Promise<{ keys: string[]; outbox: string[] }> {
  const keys = await db().owner.query<{ idempotency_key: string }>('SELECT idempotency_key FROM idempotency_keys ORDER BY 1');
  const outbox = await db().owner.query<{ id: string }>('SELECT id FROM notification_outbox ORDER BY 1');
  return { keys: keys.rows.map((row) => row.idempotency_key), outbox: outbox.rows.map((row) => row.id) };
}

async function expiryEvents(): Promise<{ actor_role: string; facility_id: string | null; details: unknown }[]> {
  const { rows } = await db().owner.query<{ actor_role: string; facility_id: string | null; details: unknown }>(
    "SELECT actor_role, facility_id, details FROM audit_events WHERE action = 'records.expired' ORDER BY id",
  );
  return rows;
}

test('keys past 7 days and finished outbox rows past 13 months go; everything younger and every pending row stays; audited once', async () => {
  const oldKeys = [await insertKey(daysAgo(8)), await insertKey(daysAgo(30)), await insertKey(daysAgo(400))];
  const youngKeys = [await insertKey(daysAgo(6)), await insertKey(new Date())];
  const oldFinished = [await insertFinished('sent', daysAgo(420)), await insertFinished('skipped', daysAgo(500)),
    await insertFinished('failed', daysAgo(410))];
  const kept = [await insertFinished('pending', daysAgo(600)), await insertFinished('sent', daysAgo(360)),
    await insertFinished('sent', new Date())];
  const eventsBefore = (await expiryEvents()).length;

  expect(await expireRecords(db().as('notifier'))).toEqual({ idempotencyKeys: 3, outboxRows: 3, spentChallenges: 0, receiptCounts: 0 });
  const left = await remaining();
  expect(left.keys).toEqual([...youngKeys].sort());
  expect(left.outbox).toEqual([...kept].sort());
  expect(left.keys).not.toEqual(expect.arrayContaining([oldKeys[0]]));
  expect(left.outbox).not.toEqual(expect.arrayContaining([oldFinished[0]]));

  const events = await expiryEvents();
  expect(events).toHaveLength(eventsBefore + 1);
  expect(events.at(-1)).toEqual({ actor_role: 'System', facility_id: null, details: { idempotencyKeys: 3, outboxRows: 3 } });
  await expect(verifyAuditChains(db().as('auditor'), { facilityId: null })).resolves.toMatchObject({ ok: true });

  // Nothing left to expire: nothing deleted, nothing audited.
  expect(await expireRecords(db().as('notifier'))).toEqual({ idempotencyKeys: 0, outboxRows: 0, spentChallenges: 0, receiptCounts: 0 });
  expect(await expiryEvents()).toHaveLength(eventsBefore + 1);
});

test('at most `limit` rows of each kind per call, oldest first', async () => {
  const keys = [];
  for (const days of [20, 19, 18, 17, 16]) keys.push(await insertKey(daysAgo(days)));
  expect(await expireRecords(db().as('notifier'), 2)).toEqual({ idempotencyKeys: 2, outboxRows: 0, spentChallenges: 0, receiptCounts: 0 });
  expect((await remaining()).keys).toEqual(keys.slice(2).sort());
  expect(await expireRecords(db().as('notifier'), 2)).toEqual({ idempotencyKeys: 2, outboxRows: 0, spentChallenges: 0, receiptCounts: 0 });
  expect(await expireRecords(db().as('notifier'), 2)).toEqual({ idempotencyKeys: 1, outboxRows: 0, spentChallenges: 0, receiptCounts: 0 });
  const error = await expireRecords(db().as('notifier'), 0).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(DatabaseError);
  expect((error as DatabaseError).code).toBe('22023');
});

test('only the relay role may run it, and no application role may delete those rows directly', async () => {
  await insertKey(daysAgo(30));
  await insertFinished('sent', daysAgo(500));
  for (const login of ['api', 'auditor'] as const) {
    const error = await expireRecords(db().as(login)).catch((caught: unknown) => caught);
    expect({ login, code: (error as DatabaseError).code }).toEqual({ login, code: '42501' });
  }
  for (const table of ['idempotency_keys', 'notification_outbox']) {
    const error = await db().as('notifier').query(`DELETE FROM ${table}`).catch((caught: unknown) => caught);
    expect({ table, code: (error as DatabaseError).code }).toEqual({ table, code: '42501' });
  }
  expect((await remaining()).keys).toHaveLength(1);
  expect((await remaining()).outbox).toHaveLength(1);
});

test("the function owner's own policies reach expired rows only, whatever the statement asks", async () => {
  const young = await insertKey(daysAgo(1));
  await insertKey(daysAgo(9));
  const youngRow = await insertFinished('failed', daysAgo(30));
  await insertFinished('failed', daysAgo(600));
  const pending = await insertFinished('pending', daysAgo(600));
  const deleted = await db().owner.transaction(async (tx) => {
    await tx.query('SET LOCAL ROLE nemt_definer');
    const keys = await tx.query('DELETE FROM idempotency_keys');
    const outbox = await tx.query('DELETE FROM notification_outbox');
    return { keys: keys.rowCount, outbox: outbox.rowCount };
  });
  expect(deleted).toEqual({ keys: 1, outbox: 1 });
  expect(await remaining()).toEqual({ keys: [young], outbox: [youngRow, pending].sort() });
});
