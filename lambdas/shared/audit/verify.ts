import { createHash, hash } from 'node:crypto';
import type { Queryable, QueryResult } from '../db/port';
import { isUuid } from '../uuid';

/**
 * Verifies the audit hash chains (schema/0004): every event's hash is recomputed from its
 * canonical text, so a row edited behind the triggers' back no longer matches its stored hash;
 * every event must name its predecessor's stored hash; seqs must run 1, 2, 3… per chain, so a
 * removed event leaves a gap.
 *
 * The work happens where the rows are. Each batch is one statement that reads a keyset range of
 * events in (chain_key, seq) order, rebuilds each event's canonical text, hashes it with
 * Postgres's built-in sha256 and compares it and the links with the event before it; it answers
 * only the rows Node must look at: the batch's first row (whose predecessor ended the previous
 * batch, so Node links it), its last row (where the next batch starts), each chain's first row
 * (Node counts chains) and any row that does not check out. Shipping every event's text to Node to hash it there cost more than the hashing
 * (docs/performance.md, P8), and on the RDS Data API each answer is now a few rows, not a MiB.
 *
 * The canonical text is the one `audit_canonical(e)` builds for the insert trigger: a jsonb array
 * of the recorded fields, as text. Batches build the same array with json_build_array, which
 * writes the identical text (same escapes, same separators, the details' jsonb text embedded as
 * is) at half the cost. The trigger's function stays the arbiter: an event whose hash does not
 * match the batch's text is checked again in Node against `audit_canonical(e)`, and only a
 * mismatch there is a break, so a difference in encoding could cost a query, never a false alarm.
 *
 * Every check compares an event only with the one before it in its chain, so the work streams:
 * keyset batches ordered by (chain_key, seq), the unique index's order, hold memory flat
 * whatever the table's size, and each batch is one index range scan. The next batch is already
 * requested while the current one is judged. With `concurrency` above 1 the chain-key space is
 * cut into ranges verified side by side on a pooled Database, each on its own connection and
 * core; chains never straddle ranges, and results are still reported in (chain_key, seq) order.
 *
 * Batches are separate statements, not one snapshot; that is safe because a chain only grows at
 * its end (the trigger serialises writers on the chain head), so each batch sees a prefix of
 * every chain.
 *
 * Limits of what a chain can prove: an event removed from the END of a chain leaves no gap
 * behind it, and someone who can rewrite rows can also rewrite every later hash. Catching either
 * needs the chain heads recorded somewhere the database owner cannot rewrite (the anchors,
 * lambdas/shared/audit/anchor.ts). The verdict trusts the server's sha256 and json_build_array, as
 * the trigger that wrote the hashes did: the batches name them in pg_catalog, which only a
 * superuser can change, so no function of the same name earlier on a session's search_path can
 * stand in for them (test/db/audit.test.ts).
 *
 * Works through any Database port adapter.
 */

export const GENESIS_HASH = '0'.repeat(64);
/** The chain of provider-level events (facility_id null). */
export const PROVIDER_CHAIN_KEY = '00000000-0000-0000-0000-000000000000';
// Each batch sorts its rows once more for the window functions; at this size that stays in
// memory (work_mem) and a statement's fixed cost is a small share of its time.
export const DEFAULT_BATCH_SIZE = 5_000;
const MAX_BATCH_SIZE = 50_000;
const MAX_CONCURRENCY = 32;
// More ranges than workers, so one range heavy with a big tenant does not leave the others idle.
const RANGES_PER_WORKER = 8;

export type AuditBreakReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap';

export interface AuditChainBreak {
  readonly chainKey: string;
  readonly seq: number;
  /** audit_events.id (a bigint, as a string like every int8 the port returns). */
  readonly eventId: string;
  readonly reason: AuditBreakReason;
}

export interface AuditProgress {
  /** Events verified so far. */
  readonly events: number;
  /** Chains reached so far. */
  readonly chains: number;
}

export type AuditVerification =
  | { readonly ok: true; readonly events: number; readonly chains: number }
  /**
   * `events` counts the events before the break in (chain_key, seq) order, all verified;
   * `chains` the chains up to and including the broken one.
   */
  | { readonly ok: false; readonly events: number; readonly chains: number; readonly firstBreak: AuditChainBreak };

export interface VerifyOptions {
  /**
   * Verify one chain only: a facility's id, or null for the provider-level chain. Omitted: every
   * chain.
   */
  readonly facilityId?: string | null;
  readonly batchSize?: number;
  /**
   * Statements in flight at once (default 1). Above 1, `source` must be a pooled Database with at
   * least that many connections; a transaction's Queryable would only queue them.
   */
  readonly concurrency?: number;
  /** Called after each batch. */
  readonly onProgress?: (progress: AuditProgress) => void;
}

/** A row a batch answers: its first, its last, a chain's first, or one that did not check out. */
export interface FlaggedRow {
  chain_key: string;
  seq: string;
  id: string;
  prev_hash: string;
  hash: string;
  /** The stored hash equals sha256(prev_hash | canonical text) as the batch rebuilt it. */
  hash_matches: boolean;
  /**
   * What this event's seq and prev_hash must be after the event before it in the batch; for the
   * first event of a chain, and the batch's first row, 1 and the genesis hash.
   */
  expected_seq: string;
  expected_prev_hash: string;
  /** 1-based place in the batch. */
  position: string;
  last_in_batch: boolean;
  /** The batch's first row, or the first of its chain in the batch. */
  starts_chain: boolean;
}

/** Chain keys from `lower` to `upper`, both inclusive. */
export interface KeyRange {
  readonly lower: string;
  readonly upper: string;
}

interface RangeResult {
  events: number;
  chains: number;
  firstBreak?: AuditChainBreak;
}

/** The canonical text of event `e`, byte for byte what audit_canonical(e) writes (test/db/audit-canonical.test.ts). */
export const CANONICAL_TEXT_SQL = `pg_catalog.json_build_array(e.chain_key, e.seq, e.facility_id, e.trip_request_id,
      pg_catalog.to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_sub, e.actor_role, e.entity_type,
      e.entity_id, e.action, e.from_state, e.to_state, e.request_id, e.details)::text`;

// The row comparison matches the unique (chain_key, seq) index, so each batch starts where the
// last ended without rescanning; seq 0 precedes every real event of the range's first key.
export const BATCH_SQL = `WITH batch AS (
  SELECT e.chain_key, e.seq, e.id, e.prev_hash, e.hash,
         e.hash = pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(e.prev_hash || '|' || ${CANONICAL_TEXT_SQL}, 'UTF8')), 'hex')
           AS hash_matches
    FROM audit_events e
   WHERE (e.chain_key, e.seq) > ($1::uuid, $2::bigint) AND e.chain_key <= $3::uuid
   ORDER BY e.chain_key, e.seq
   LIMIT $4
), linked AS (
  SELECT b.*, row_number() OVER w AS position, lead(b.seq) OVER w IS NULL AS last_in_batch,
         lag(b.chain_key) OVER w IS DISTINCT FROM b.chain_key AS starts_chain,
         CASE WHEN lag(b.chain_key) OVER w = b.chain_key THEN lag(b.seq) OVER w + 1 ELSE 1 END AS expected_seq,
         CASE WHEN lag(b.chain_key) OVER w = b.chain_key THEN lag(b.hash) OVER w ELSE '${'0'.repeat(64)}' END AS expected_prev_hash
    FROM batch b
  WINDOW w AS (ORDER BY b.chain_key, b.seq)
)
SELECT chain_key, seq, id, prev_hash, hash, hash_matches, expected_seq, expected_prev_hash, position, last_in_batch, starts_chain
  FROM linked
 WHERE position = 1 OR last_in_batch OR starts_chain OR NOT hash_matches OR seq <> expected_seq OR prev_hash <> expected_prev_hash
 ORDER BY position`;

// One call per event: the one-shot form (Node >= 20.12) is about twice as fast as createHash.
const sha256Hex: (text: string) => string =
  typeof hash === 'function'
    ? (text) => hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

const CANONICAL_SQL = 'SELECT audit_canonical(e) AS canonical FROM audit_events e WHERE e.id = $1';

/** The trigger's own canonical text decides for an event whose hash the batch's text did not reproduce. */
async function matchesDatabaseCanonical(source: Queryable, row: FlaggedRow): Promise<boolean> {
  const { rows } = await source.query<{ canonical: string }>(CANONICAL_SQL, [row.id]);
  const canonical = rows[0]?.canonical;
  return canonical !== undefined && sha256Hex(`${row.prev_hash}|${canonical}`) === row.hash;
}

function uuidFromBigInt(value: bigint): string {
  const hex = value.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Equal slices of the UUID space; facility ids are random, so chains spread evenly. */
export function chainKeyRanges(count: number): KeyRange[] {
  const space = 1n << 128n;
  const start = (index: number) => (space * BigInt(index)) / BigInt(count);
  return Array.from({ length: count }, (_, index) => ({
    lower: uuidFromBigInt(start(index)),
    upper: uuidFromBigInt(start(index + 1) - 1n),
  }));
}

function rangesFor(facilityId: string | null | undefined, concurrency: number): KeyRange[] {
  if (facilityId === undefined) return chainKeyRanges(concurrency === 1 ? 1 : concurrency * RANGES_PER_WORKER);
  if (facilityId === null) return [{ lower: PROVIDER_CHAIN_KEY, upper: PROVIDER_CHAIN_KEY }];
  if (!isUuid(facilityId)) throw new TypeError('facilityId must be a UUID');
  const key = facilityId.toLowerCase();
  return [{ lower: key, upper: key }];
}

function boundedInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

const ignore = () => undefined;

/** Where the previous batch of a range ended: the chain it was in, its last seq and hash. */
interface ChainPosition {
  chainKey: string;
  seq: number;
  hash: string;
}

async function verifyRange(
  source: Queryable,
  range: KeyRange,
  batchSize: number,
  counted: (events: number, chains: number) => void,
  abandoned: () => boolean,
): Promise<RangeResult | undefined> {
  const result: RangeResult = { events: 0, chains: 0 };
  let before: ChainPosition | undefined;
  const fetch = (afterKey: string, afterSeq: string): Promise<QueryResult<FlaggedRow>> =>
    source.query<FlaggedRow>(BATCH_SQL, [afterKey, afterSeq, range.upper, batchSize]);

  let pending: Promise<QueryResult<FlaggedRow>> | undefined = fetch(range.lower, '0');
  try {
    while (pending) {
      const rows: FlaggedRow[] = (await pending).rows;
      const last: FlaggedRow | undefined = rows[rows.length - 1];
      if (!last?.last_in_batch) break;
      const size = Number(last.position);
      pending = size === batchSize ? fetch(last.chain_key, last.seq) : undefined;
      // The batch's first row continues the chain the previous batch ended in, or starts one.
      const continues = before !== undefined && rows[0]?.chain_key === before.chainKey;
      let chains = 0;
      for (const row of rows) {
        const first = row.position === '1';
        if (row.starts_chain && !(first && continues)) chains += 1;
        const expectedSeq = first && continues ? (before as ChainPosition).seq + 1 : Number(row.expected_seq);
        const expectedPrevHash = first && continues ? (before as ChainPosition).hash : row.expected_prev_hash;
        let reason: AuditBreakReason | undefined;
        if (Number(row.seq) !== expectedSeq) reason = 'sequence_gap';
        else if (row.prev_hash !== expectedPrevHash) reason = 'prev_hash_mismatch';
        else if (!row.hash_matches && !(await matchesDatabaseCanonical(source, row))) reason = 'hash_mismatch';
        if (reason !== undefined) {
          const events = Number(row.position) - 1;
          result.firstBreak = { chainKey: row.chain_key, seq: Number(row.seq), eventId: row.id, reason };
          result.events += events;
          result.chains += chains;
          counted(events, chains);
          return result;
        }
      }
      result.events += size;
      result.chains += chains;
      counted(size, chains);
      before = { chainKey: last.chain_key, seq: Number(last.seq), hash: last.hash };
      if (abandoned()) return undefined;
    }
    return result;
  } finally {
    // However this ends, the statement already sent finishes first: nothing is left running on
    // the source (perhaps the caller's transaction) once the verdict is out.
    await pending?.catch(ignore);
  }
}

export async function verifyAuditChains(source: Queryable, options: VerifyOptions = {}): Promise<AuditVerification> {
  const batchSize = boundedInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE);
  const concurrency = boundedInteger('concurrency', options.concurrency ?? 1, MAX_CONCURRENCY);
  const ranges = rangesFor(options.facilityId, concurrency);

  const progress = { events: 0, chains: 0 };
  const counted = (events: number, chains: number) => {
    progress.events += events;
    progress.chains += chains;
    options.onProgress?.({ ...progress });
  };

  // Ranges after the first broken one cannot change the answer, so they stop early; ranges
  // before it always run to the end, because the answer counts their events.
  const results: Array<RangeResult | undefined> = new Array(ranges.length);
  let firstBrokenRange = Number.POSITIVE_INFINITY;
  let failure: { error: unknown } | undefined;
  let nextRange = 0;
  const worker = async () => {
    while (!failure && nextRange < ranges.length && nextRange < firstBrokenRange) {
      const index = nextRange;
      nextRange += 1;
      const range = ranges[index] as KeyRange;
      try {
        const result = await verifyRange(source, range, batchSize, counted, () => !!failure || index > firstBrokenRange);
        results[index] = result;
        if (result?.firstBreak && index < firstBrokenRange) firstBrokenRange = index;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ranges.length) }, worker));
  if (failure) throw failure.error;

  let events = 0;
  let chains = 0;
  for (const result of results) {
    if (!result) throw new Error('audit verification ended with a range unverified');
    events += result.events;
    chains += result.chains;
    if (result.firstBreak) return { ok: false, events, chains, firstBreak: result.firstBreak };
  }
  return { ok: true, events, chains };
}
