import type { Database, Queryable } from '../shared/db/port';
import { logger } from '../shared/log';
import { type OutboxQueue, QUEUE_BATCH_LIMIT } from '../shared/queue/port';

export interface RelayOptions {
  /** Rows per transaction and per SendMessageBatch; at most 10 (the SQS limit). */
  batchSize?: number;
  /** Upper bound on batches per sweep, so one run fits in the Lambda's timeout. */
  maxBatches?: number;
  /**
   * A row dispatched this long ago and still pending is sent again: its message was lost or
   * ended in the dead-letter queue. Longer than SQS's own retry path (5 receives × visibility).
   */
  redispatchAfterSeconds?: number;
  /**
   * Rows younger than this are left alone: the API hands them to the queue itself right after
   * commit, and relaying them at once would mostly produce duplicates (harmless, but wasted).
   */
  minAgeSeconds?: number;
  /** A row is relayed at most this many times; after that it waits for an operator (see `stuck`). */
  maxDispatches?: number;
  /** Batches processed concurrently; safe because each batch locks its rows with SKIP LOCKED. */
  workers?: number;
}

export interface RelayReport {
  batches: number;
  /** Rows the queue accepted (now marked dispatched). */
  dispatched: number;
  /** Rows the queue refused; still pending and undispatched, so the next sweep tries again. */
  failed: number;
  /** Pending rows that used up `maxDispatches`: delivery needs an operator (alarm on this). */
  stuck: number;
}

export const RELAY_DEFAULTS = {
  batchSize: QUEUE_BATCH_LIMIT,
  maxBatches: 100,
  redispatchAfterSeconds: 1800,
  minAgeSeconds: 0,
  maxDispatches: 3,
  workers: 1,
} as const satisfies Required<RelayOptions>;

function idList(ids: readonly string[]): string {
  return JSON.stringify(ids);
}

/**
 * Sends every outbox row that has not reached the queue (PRODUCT.md §6: nothing lost). Each
 * batch is one transaction: lock up to ten eligible rows with FOR UPDATE SKIP LOCKED, send their
 * ids, and record dispatched_at and attempts for the ones the queue accepted before committing.
 * A concurrent relay skips the locked rows, and once this one commits the rows it sent are no
 * longer eligible, so two relays never send the same row in one sweep. Rows the queue refused
 * keep no dispatch mark and are not retried again within this sweep.
 */
export async function relayUnsent(db: Database, queue: OutboxQueue, options: RelayOptions = {}): Promise<RelayReport> {
  const settings = { ...RELAY_DEFAULTS, ...options };
  const batchSize = Math.min(Math.max(1, settings.batchSize), QUEUE_BATCH_LIMIT);
  // Shared by the workers and filled before each batch commits, so no worker picks up a row
  // that another one saw refused in this sweep.
  const refusedThisSweep: string[] = [];
  // Keyset position in (created_at, id) order: each batch starts after the rows this sweep has
  // already taken, so a large backlog is read once instead of rescanned batch after batch.
  const cursor: SweepCursor = { createdAt: '0001-01-01T00:00:00.000000', id: '00000000-0000-0000-0000-000000000000' };
  const report: RelayReport = { batches: 0, dispatched: 0, failed: 0, stuck: 0 };
  let batchesLeft = settings.maxBatches;
  let done = false;

  const sweepOneBatch = (tx: Queryable) => relayBatch(tx, queue, batchSize, cursor, refusedThisSweep, settings);

  const worker = async () => {
    while (!done && batchesLeft > 0) {
      batchesLeft -= 1;
      const outcome = await db.transaction(sweepOneBatch);
      if (outcome.selected === 0) {
        done = true;
        break;
      }
      report.batches += 1;
      report.dispatched += outcome.dispatched;
      report.failed += outcome.refused.length;
      // The queue refused everything: it is most likely down, so leave the rest for the next run.
      if (outcome.dispatched === 0) done = true;
      if (outcome.selected < batchSize) done = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, settings.workers) }, worker));

  const { rows } = await db.query<{ stuck: number }>(
    `SELECT count(*)::int AS stuck FROM notification_outbox WHERE status = 'pending' AND attempts >= $1`,
    [settings.maxDispatches],
  );
  report.stuck = rows[0]?.stuck ?? 0;
  const log = report.failed > 0 || report.stuck > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
  log('outbox relay sweep', { ...report });
  return report;
}

interface SweepCursor {
  /**
   * UTC with microseconds in a fixed-width form (the database's full precision, where the port's
   * normalised timestamps stop at milliseconds), so plain string order is time order. Lowercase
   * uuid text sorts as PostgreSQL sorts uuids.
   */
  createdAt: string;
  id: string;
}

function isAfter(row: SweepCursor, position: SweepCursor): boolean {
  return row.createdAt > position.createdAt || (row.createdAt === position.createdAt && row.id > position.id);
}

async function relayBatch(
  tx: Queryable,
  queue: OutboxQueue,
  batchSize: number,
  cursor: SweepCursor,
  excluded: string[],
  settings: Required<RelayOptions>,
): Promise<{ selected: number; dispatched: number; refused: string[] }> {
  const { rows } = await tx.query<{ id: string; cursor_at: string }>(
    `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS cursor_at FROM notification_outbox
      WHERE status = 'pending'
        AND (created_at, id) > ($6::timestamp AT TIME ZONE 'UTC', $7::uuid)
        AND attempts < $1
        AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => $2))
        AND created_at <= now() - make_interval(secs => $3)
        AND id NOT IN (SELECT value::uuid FROM jsonb_array_elements_text($4::jsonb))
      ORDER BY created_at, id
      LIMIT $5
      FOR UPDATE SKIP LOCKED`,
    [settings.maxDispatches, settings.redispatchAfterSeconds, settings.minAgeSeconds, idList(excluded), batchSize,
      cursor.createdAt, cursor.id],
  );
  if (rows.length === 0) return { selected: 0, dispatched: 0, refused: [] };
  const last = rows[rows.length - 1] as { id: string; cursor_at: string };
  const position = { createdAt: last.cursor_at, id: last.id };
  if (isAfter(position, cursor)) Object.assign(cursor, position);
  const ids = rows.map((row) => row.id);
  let failedIds: readonly string[];
  try {
    ({ failedIds } = await queue.send(ids));
  } catch {
    failedIds = ids;
  }
  const refused = new Set(failedIds);
  const accepted = ids.filter((id) => !refused.has(id));
  const refusedIds = ids.filter((id) => refused.has(id));
  excluded.push(...refusedIds);
  if (accepted.length > 0) {
    await tx.query(
      `UPDATE notification_outbox SET dispatched_at = now(), attempts = attempts + 1
        WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))`,
      [idList(accepted)],
    );
  }
  return { selected: ids.length, dispatched: accepted.length, refused: refusedIds };
}
