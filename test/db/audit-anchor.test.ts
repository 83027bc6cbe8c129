import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { AnchorMismatchError, anchorAuditChains } from '../../lambdas/anchor/anchor';
import { type AuditAnchor, parseAnchor, takeAnchor } from '../../lambdas/shared/audit/anchor';
import { anchorKey } from '../../lambdas/shared/audit/anchor-store';
import { createS3AnchorStore } from '../../lambdas/shared/audit/s3-anchor-store';
import { recordAuditEvent } from '../../lambdas/shared/audit/record';
import { verifyAuditChains } from '../../lambdas/shared/audit/verify';
import type { Database, Queryable } from '../../lambdas/shared/db/port';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createFacility } from '../support/fixtures';

/**
 * Audit anchors (lambdas/shared/audit/anchor.ts): a rewrite of history that recomputes every
 * later hash passes the chain verifier, and is caught by the anchor taken before it.
 */
const BUCKET = 'anchors-test';
let scratch: TestDatabase;

beforeEach(async () => {
  scratch = await createTestDatabase();
});
afterEach(async () => {
  await scratch.drop();
});

/** S3 as the anchor store uses it, in memory: put-if-absent, list in key order, get. */
function fakeS3() {
  const client = new S3Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  const objects = new Map<string, string>();
  mock.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string; IfNoneMatch?: string }) => {
    if (input.Bucket !== BUCKET) throw new Error('wrong bucket');
    if (input.IfNoneMatch === '*' && objects.has(input.Key)) {
      throw Object.assign(new Error('exists'), { name: 'PreconditionFailed' });
    }
    objects.set(input.Key, input.Body);
    return {};
  });
  mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; MaxKeys?: number }) => ({
    Contents: [...objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).sort()
      .slice(0, input.MaxKeys ?? 1000).map((Key) => ({ Key })),
  }));
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = objects.get(input.Key);
    if (text === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } };
  });
  return { store: createS3AnchorStore(client, BUCKET), objects, mock };
}

async function record(database: Database, facilityId: string, count: number): Promise<void> {
  const actor = { sub: randomUUID(), role: 'FacilityAdmin' as const, facilityId };
  await withActor(database, actor, async (tx) => {
    for (let i = 0; i < count; i += 1) {
      await recordAuditEvent(tx, { facilityId, actor, entityType: 'trip_request', entityId: randomUUID(), action: `test.step_${i}` });
    }
  });
}

/**
 * What an owner could do: change an event with the triggers off, then recompute its hash and
 * every later one, and the chain head, exactly as the insert trigger would have.
 */
async function rewriteHistory(owner: Database, chainKey: string, fromSeq: number): Promise<void> {
  await owner.transaction(async (tx: Queryable) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query("UPDATE audit_events SET action = 'test.rewritten' WHERE chain_key = $1 AND seq = $2", [chainKey, fromSeq]);
    const { rows } = await tx.query<{ id: string; seq: string; prev_hash: string }>(
      'SELECT id, seq, prev_hash FROM audit_events WHERE chain_key = $1 AND seq >= $2 ORDER BY seq', [chainKey, fromSeq]);
    let prev = rows[0]?.prev_hash as string;
    let last = { seq: '0', hash: '' };
    for (const row of rows) {
      const { rows: updated } = await tx.query<{ hash: string }>(
        `UPDATE audit_events e SET prev_hash = $2, hash = encode(sha256(convert_to($2 || '|' || audit_canonical(e), 'UTF8')), 'hex')
          WHERE id = $1 RETURNING hash`, [row.id, prev]);
      prev = updated[0]?.hash as string;
      last = { seq: row.seq, hash: prev };
    }
    await tx.query('UPDATE audit_chain_heads SET last_seq = $2, last_hash = $3 WHERE chain_key = $1', [chainKey, last.seq, last.hash]);
  });
}

test('an anchor records every chain\'s last event; the next run checks it, then anchors again', async () => {
  const s3 = fakeS3();
  const a = (await createFacility(scratch.owner)).id;
  const b = (await createFacility(scratch.owner)).id;
  await record(scratch.as('api'), a, 3);
  await record(scratch.as('api'), b, 2);

  const first = await anchorAuditChains(scratch.as('auditor'), s3.store, new Date('2031-01-01T00:00:00Z'));
  expect(first.checked).toBeNull();
  const { rows: heads } = await scratch.owner.query<{ chain_key: string; seq: string; hash: string }>(
    `SELECT DISTINCT ON (chain_key) chain_key, seq, hash FROM audit_events ORDER BY chain_key, seq DESC`);
  const written = parseAnchor(s3.objects.get(first.written.key) as string);
  expect(written.heads).toEqual(heads.map((row) => ({ chainKey: row.chain_key, seq: row.seq, hash: row.hash })));
  expect(first.written.chains).toBe(heads.length);
  expect(s3.mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: BUCKET, IfNoneMatch: '*' });

  await record(scratch.as('api'), a, 2);
  const second = await anchorAuditChains(scratch.as('auditor'), s3.store, new Date('2031-01-01T01:00:00Z'));
  expect(second.checked).toEqual({ takenAt: '2031-01-01T00:00:00.000Z', chains: heads.length });
  // The newest anchor is the one a later run reads.
  expect((await s3.store.latest())?.takenAt).toBe('2031-01-01T01:00:00.000Z');
  expect(s3.objects.size).toBe(2);
});

test('history rewritten with every later hash recomputed passes the chain verifier, but not the anchor; nothing new is anchored', async () => {
  const s3 = fakeS3();
  const facilityId = (await createFacility(scratch.owner)).id;
  await record(scratch.as('api'), facilityId, 5);
  await anchorAuditChains(scratch.as('auditor'), s3.store, new Date('2031-01-01T00:00:00Z'));

  await rewriteHistory(scratch.owner, facilityId, 2);
  await expect(verifyAuditChains(scratch.as('auditor'), { facilityId })).resolves.toMatchObject({ ok: true, events: 5 });

  const error = await anchorAuditChains(scratch.as('auditor'), s3.store, new Date('2031-01-01T01:00:00Z')).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AnchorMismatchError);
  const [mismatch] = (error as AnchorMismatchError).mismatches;
  expect(mismatch).toMatchObject({ chainKey: facilityId, seq: '5' });
  expect(mismatch?.storedHash).toMatch(/^[0-9a-f]{64}$/);
  expect(mismatch?.storedHash).not.toBe(mismatch?.anchoredHash);
  expect(s3.objects.size).toBe(1);
});

test('events removed from the end of an anchored chain are caught too (the anchored event is gone)', async () => {
  const s3 = fakeS3();
  const facilityId = (await createFacility(scratch.owner)).id;
  await record(scratch.as('api'), facilityId, 4);
  await anchorAuditChains(scratch.as('auditor'), s3.store);
  await scratch.owner.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query('DELETE FROM audit_events WHERE chain_key = $1 AND seq > 2', [facilityId]);
  });
  await expect(verifyAuditChains(scratch.as('auditor'), { facilityId })).resolves.toMatchObject({ ok: true, events: 2 });
  const error = await anchorAuditChains(scratch.as('auditor'), s3.store).catch((caught: unknown) => caught);
  expect((error as AnchorMismatchError).mismatches).toEqual([
    expect.objectContaining({ chainKey: facilityId, seq: '4', storedHash: null }),
  ]);
});

test('an anchor document that was altered, or is not one, is refused', async () => {
  const facilityId = (await createFacility(scratch.owner)).id;
  await record(scratch.as('api'), facilityId, 2);
  const anchor = await takeAnchor(scratch.as('auditor'));
  const text = JSON.stringify(anchor);
  expect(parseAnchor(text)).toEqual(anchor);
  const altered: AuditAnchor = { ...anchor, heads: anchor.heads.map((head) => ({ ...head, hash: 'f'.repeat(64) })) };
  expect(() => parseAnchor(JSON.stringify(altered))).toThrow('digest');
  expect(() => parseAnchor(JSON.stringify({ ...anchor, format: 'other' }))).toThrow('not an audit anchor');
  const injected = { ...anchor, heads: [{ chainKey: `${facilityId},x`, seq: '1', hash: 'a'.repeat(64) }] };
  expect(() => parseAnchor(JSON.stringify(injected))).toThrow('malformed');
});

test('anchor keys sort newest first, so the latest is the first key listed', () => {
  const older = anchorKey({ format: 'nemt-audit-anchor-v1', takenAt: '2031-01-01T00:00:00.000Z', heads: [], digest: '' });
  const newer = anchorKey({ format: 'nemt-audit-anchor-v1', takenAt: '2031-01-01T00:00:00.001Z', heads: [], digest: '' });
  expect([older, newer].sort()).toEqual([newer, older]);
  expect(newer).toMatch(/^anchors\/\d{13}-2031-01-01T000000001Z\.json$/);
});
