import { type AnchorMismatch, checkAnchor, takeAnchor } from '../shared/audit/anchor';
import type { AnchorStore } from '../shared/audit/anchor-store';
import type { Queryable } from '../shared/db/port';
import { logger } from '../shared/log';

export interface AnchorReport {
  /** The previous anchor checked against the database (none before the first). */
  readonly checked: { readonly takenAt: string; readonly chains: number } | null;
  readonly written: { readonly key: string; readonly chains: number };
}

export class AnchorMismatchError extends Error {
  constructor(readonly mismatches: readonly AnchorMismatch[]) {
    super(`audit history no longer matches its anchor in ${mismatches.length} chain(s)`);
    this.name = 'AnchorMismatchError';
  }
}

/**
 * One anchoring run: first check the newest anchor against the database, then write a new one.
 * A mismatch means history was rewritten since that anchor: the run fails (its alarm fires) and
 * writes nothing, because anchoring the rewritten history would make the next check pass. Every
 * later run fails the same way until an operator has looked (docs/operations.md).
 */
export async function anchorAuditChains(db: Queryable, store: AnchorStore, now: Date = new Date()): Promise<AnchorReport> {
  const previous = await store.latest();
  if (previous) {
    const mismatches = await checkAnchor(db, previous);
    if (mismatches.length > 0) {
      // Ids and hashes only: which chains, where, and what was anchored.
      logger.error('audit anchor mismatch', {
        anchorTakenAt: previous.takenAt,
        chains: mismatches.length,
        first: mismatches[0],
      });
      throw new AnchorMismatchError(mismatches);
    }
  }
  const anchor = await takeAnchor(db, now);
  const key = await store.put(anchor);
  logger.info('audit chains anchored', { key, chains: anchor.heads.length, checkedPrevious: previous?.takenAt ?? null });
  return {
    checked: previous ? { takenAt: previous.takenAt, chains: previous.heads.length } : null,
    written: { key, chains: anchor.heads.length },
  };
}
