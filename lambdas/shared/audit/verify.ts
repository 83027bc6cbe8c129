import { createHash, hash } from 'node:crypto';
import type { Queryable, QueryResult } from '../db/port';

/**
 * Verifies the audit hash chains (schema/0004): every event's hash is recomputed here from its
 * canonical text, so a row edited behind the triggers' back no longer matches its stored hash;
 * every event must name its predecessor's stored hash; seqs must run 1, 2, 3… per chain, so a
 * removed event leaves a gap.
 *
 * The canonical text is the one `audit_canonical(e)` builds for the insert trigger: a jsonb array
 * of the recorded fields, as text. Building a jsonb value per event was the verification's
 * bottleneck (docs/performance.md, P8), so batches build the same array with json_build_array,
 * which writes the identical text (same escapes, same separators, the details' jsonb text
 * embedded as is) at half the cost. The trigger's function stays the arbiter: an event whose hash
 * does not match the batch's text is checked again against `audit_canonical(e)`, and only a
 * mismatch there is a break, so a difference in encoding could cost a query, never a false alarm.
 *
 * Every check compares an event only with the one before it in its chain, so the work streams:
 * keyset batches ordered by (chain_key, seq), the unique index's order, hold memory flat
 * whatever the table's size, and each batch is one index range scan. The next batch is already
 * requested while the current one is hashed, so Postgres (building the canonical text, the
 * dominant cost) and Node work at the same time. With `concurrency` above 1 the chain-key space
 * is cut into ranges verified side by side on a pooled Database; chains never straddle ranges,
 * and results are still reported in (chain_key, seq) order.
 *
 * Batches are separate statements, not one snapshot; that is safe because a chain only grows at
 * its end (the trigger serialises writers on the chain head), so each batch sees a prefix of
 * every chain.
 *
 * Limits of what a chain can prove: an event removed from the END of a chain leaves no gap
 * behind it, and someone who can rewrite rows can also rewrite every later hash. Catching either
 * needs the chain heads recorded somewhere the database owner cannot rewrite.
 *
 * Works through any Database port adapter. On the RDS Data API keep `batchSize` near 1,000: a
 * Data API response may not exceed 1 MiB and a row here is roughly 0.6 KB.
 */

export const GENESIS_HASH = '0'.repeat(64);
/** The chain of provider-level events (facility_id null). */
export const PROVIDER_CHAIN_KEY = '00000000-0000-0000-0000-000000000000';
// Round trips are then a small share of the time, and a batch's rows die young; with much larger
// batches they survive into the old generation and garbage collection costs more than it saves.
export const DEFAULT_BATCH_SIZE = 2_000;
const MAX_BATCH_SIZE = 50_000;
const MAX_CONCURRENCY = 32;
// More ranges than workers, so one range heavy with a big tenant does not leave the others idle.
const RANGES_PER_WORKER = 8;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** One event as the verifier reads it. */
export interface ChainRow {
  chain_key: string;
  seq: string;
  id: string;
  prev_hash: string;
  hash: string;
  canonical: string;
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

// The row comparison matches the unique (chain_key, seq) index, so each batch starts where the
// last ended without rescanning; seq 0 precedes every real event of the range's first key.
export const BATCH_SQL = `SELECT e.chain_key, e.seq, e.id, e.prev_hash, e.hash,
    json_build_array(e.chain_key, e.seq, e.facility_id, e.trip_request_id,
      to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_sub, e.actor_role, e.entity_type,
      e.entity_id, e.action, e.from_state, e.to_state, e.request_id, e.details)::text AS canonical
  FROM audit_events e
  WHERE (e.chain_key, e.seq) > ($1::uuid, $2::bigint) AND e.chain_key <= $3::uuid
  ORDER BY e.chain_key, e.seq
  LIMIT $4`;

// One call per event: the one-shot form (Node >= 20.12) is about twice as fast as createHash.
const sha256Hex: (text: string) => string =
  typeof hash === 'function'
    ? (text) => hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

const CANONICAL_SQL = 'SELECT audit_canonical(e) AS canonical FROM audit_events e WHERE e.id = $1';

/** The trigger's own canonical text decides for an event whose hash the batch's text did not reproduce. */
async function matchesDatabaseCanonical(source: Queryable, row: ChainRow): Promise<boolean> {
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
  if (!UUID.test(facilityId)) throw new TypeError('facilityId must be a UUID');
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

async function verifyRange(
  source: Queryable,
  range: KeyRange,
  batchSize: number,
  counted: (events: number, chains: number) => void,
  abandoned: () => boolean,
): Promise<RangeResult | undefined> {
  const result: RangeResult = { events: 0, chains: 0 };
  let chainKey = '';
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  const fetch = (afterKey: string, afterSeq: string): Promise<QueryResult<ChainRow>> =>
    source.query<ChainRow>(BATCH_SQL, [afterKey, afterSeq, range.upper, batchSize]);

  let pending: Promise<QueryResult<ChainRow>> | undefined = fetch(range.lower, '0');
  try {
    while (pending) {
      const batch: QueryResult<ChainRow> = await pending;
      const rows: ChainRow[] = batch.rows;
      const last: ChainRow | undefined = rows[rows.length - 1];
      pending = last && rows.length === batchSize ? fetch(last.chain_key, last.seq) : undefined;
      const eventsBefore = result.events;
      const chainsBefore = result.chains;
      for (const row of rows) {
        if (row.chain_key !== chainKey) {
          chainKey = row.chain_key;
          result.chains += 1;
          expectedSeq = 1;
          prevHash = GENESIS_HASH;
        }
        const seq = Number(row.seq);
        let reason: AuditBreakReason | undefined;
        if (seq !== expectedSeq) reason = 'sequence_gap';
        else if (row.prev_hash !== prevHash) reason = 'prev_hash_mismatch';
        else if (sha256Hex(`${row.prev_hash}|${row.canonical}`) !== row.hash
          && !(await matchesDatabaseCanonical(source, row))) reason = 'hash_mismatch';
        if (reason !== undefined) {
          result.firstBreak = { chainKey, seq, eventId: row.id, reason };
          break;
        }
        result.events += 1;
        expectedSeq = seq + 1;
        prevHash = row.hash;
      }
      counted(result.events - eventsBefore, result.chains - chainsBefore);
      if (result.firstBreak) return result;
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
