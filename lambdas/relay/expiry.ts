import type { Queryable } from '../shared/db/port';

/** What one call of expire_records() removed (schema/0016). */
export interface ExpiryReport {
  readonly idempotencyKeys: number;
  readonly outboxRows: number;
  /** Spent intake challenges past their expiry, and receipt counters past their day (schema/0019). */
  readonly spentChallenges: number;
  readonly receiptCounts: number;
}

/** Rows of each kind one call removes at most: a backlog shrinks by this much per relay run. */
export const EXPIRY_LIMIT = 1_000;

/**
 * Deletes Idempotency-Key records older than 7 days and finished outbox rows older than 13 months
 * (docs/security/retention.md), at most `limit` of each, through the database function that holds
 * the only DELETE any application role has; it audits what it removed. The relay runs it after
 * every sweep: when nothing is due, two index probes find nothing.
 */
export async function expireRecords(db: Queryable, limit = EXPIRY_LIMIT): Promise<ExpiryReport> {
  const { rows } = await db.query<{ idempotency_keys: number; outbox_rows: number; spent_challenges: number; receipt_counts: number }>(
    'SELECT idempotency_keys, outbox_rows, spent_challenges, receipt_counts FROM expire_records($1::int)',
    [limit],
  );
  const row = rows[0];
  return { idempotencyKeys: row?.idempotency_keys ?? 0, outboxRows: row?.outbox_rows ?? 0,
    spentChallenges: row?.spent_challenges ?? 0, receiptCounts: row?.receipt_counts ?? 0 };
}
