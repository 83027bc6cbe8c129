import { createHash } from 'node:crypto';
import type { Queryable } from '../db/port';
import { isUuid } from '../uuid';

/**
 * Audit chain anchors: what the database owner cannot rewrite. The hash chains (schema/0004)
 * prove that no event was changed *behind the later ones' backs*; someone with owner rights can
 * still rewrite an event and recompute every later hash, and the chains verify again. An anchor
 * is a copy of every chain's last (seq, hash), taken on a schedule and written where the database
 * owner cannot change it (an S3 bucket with Object Lock, lambdas/anchor/handler.ts). History
 * rewritten after an anchor was taken no longer reaches that anchor's hashes: the event at the
 * anchored seq has another hash, or is gone.
 */
export const ANCHOR_FORMAT = 'nemt-audit-anchor-v1';

export interface ChainHead {
  readonly chainKey: string;
  /** int8 as text, as the database port returns it. */
  readonly seq: string;
  readonly hash: string;
}

export interface AuditAnchor {
  readonly format: typeof ANCHOR_FORMAT;
  readonly takenAt: string;
  readonly heads: readonly ChainHead[];
  /** sha256 over the heads in order, so a copy damaged in transit or by hand is recognised. */
  readonly digest: string;
}

export interface AnchorMismatch {
  readonly chainKey: string;
  readonly seq: string;
  readonly anchoredHash: string;
  /** The hash stored now at that seq, or null when the event is gone. */
  readonly storedHash: string | null;
}

const SEQ = /^[1-9][0-9]{0,18}$/;
const HASH = /^[0-9a-f]{64}$/;

function digestOf(heads: readonly ChainHead[]): string {
  const hash = createHash('sha256');
  for (const head of heads) hash.update(`${head.chainKey}|${head.seq}|${head.hash}\n`);
  return hash.digest('hex');
}

/** Every chain's last event: one index walk per chain (a loose index scan), not a table scan. */
const HEADS_SQL = `WITH RECURSIVE chains AS (
    SELECT (SELECT e.chain_key FROM audit_events e ORDER BY e.chain_key LIMIT 1) AS chain_key
  UNION ALL
    SELECT (SELECT e.chain_key FROM audit_events e WHERE e.chain_key > c.chain_key ORDER BY e.chain_key LIMIT 1)
      FROM chains c WHERE c.chain_key IS NOT NULL
)
SELECT c.chain_key, last.seq, last.hash FROM chains c
  CROSS JOIN LATERAL (SELECT e.seq, e.hash FROM audit_events e WHERE e.chain_key = c.chain_key ORDER BY e.seq DESC LIMIT 1) last
 WHERE c.chain_key IS NOT NULL
 ORDER BY c.chain_key`;

/** An anchor document of these heads, with its digest. */
export function anchorOf(heads: readonly ChainHead[], takenAt: Date): AuditAnchor {
  return { format: ANCHOR_FORMAT, takenAt: takenAt.toISOString(), heads, digest: digestOf(heads) };
}

export async function takeAnchor(db: Queryable, now: Date = new Date()): Promise<AuditAnchor> {
  const { rows } = await db.query<{ chain_key: string; seq: string; hash: string }>(HEADS_SQL);
  return anchorOf(rows.map((row) => ({ chainKey: row.chain_key, seq: row.seq, hash: row.hash })), now);
}

/** Reads an anchor document, refusing anything that is not one or whose digest does not match. */
export function parseAnchor(text: string): AuditAnchor {
  const value = JSON.parse(text) as Partial<AuditAnchor>;
  if (value.format !== ANCHOR_FORMAT || typeof value.takenAt !== 'string' || !Array.isArray(value.heads)) {
    throw new Error('not an audit anchor');
  }
  const heads = value.heads.map((head) => {
    const { chainKey, seq, hash } = head as Partial<ChainHead>;
    if (typeof chainKey !== 'string' || !isUuid(chainKey) || typeof seq !== 'string' || !SEQ.test(seq)
      || typeof hash !== 'string' || !HASH.test(hash)) {
      throw new Error('malformed audit anchor');
    }
    return { chainKey, seq, hash };
  });
  if (digestOf(heads) !== value.digest) throw new Error('audit anchor digest does not match its heads');
  return { format: ANCHOR_FORMAT, takenAt: value.takenAt, heads, digest: value.digest };
}

/**
 * The anchored events whose hash is no longer what the anchor recorded (or that are gone), in one
 * statement. An empty answer says the history up to the anchor is the history that was anchored;
 * with verifyAuditChains proving the chains intact from there on, nothing was rewritten since.
 */
export async function checkAnchor(db: Queryable, anchor: AuditAnchor): Promise<AnchorMismatch[]> {
  if (anchor.heads.length === 0) return [];
  const { rows } = await db.query<{ chain_key: string; seq: string; anchored: string; stored: string | null }>(
    `SELECT a.chain_key, a.seq, a.hash AS anchored, e.hash AS stored
       FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS a (chain_key, seq, hash)
       LEFT JOIN audit_events e ON e.chain_key = a.chain_key AND e.seq = a.seq
      WHERE e.hash IS DISTINCT FROM a.hash
      ORDER BY a.chain_key`,
    [`{${anchor.heads.map((head) => head.chainKey).join(',')}}`, `{${anchor.heads.map((head) => head.seq).join(',')}}`,
      `{${anchor.heads.map((head) => head.hash).join(',')}}`],
  );
  return rows.map((row) => ({ chainKey: row.chain_key, seq: row.seq, anchoredHash: row.anchored, storedHash: row.stored }));
}
