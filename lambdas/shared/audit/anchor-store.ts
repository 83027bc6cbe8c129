import type { AuditAnchor } from './anchor';

/** Where anchors are kept: written once, never replaced (the bucket's Object Lock sees to that). */
export interface AnchorStore {
  /** The newest anchor, or undefined before the first. */
  latest(): Promise<AuditAnchor | undefined>;
  put(anchor: AuditAnchor): Promise<string>;
}

export const ANCHOR_PREFIX = 'anchors/';
// Keys sort newest first (S3 lists keys in ascending order), so the latest is one listed key away
// however many anchors accumulate; the readable time follows for people browsing the bucket.
const NEWEST_FIRST = 10 ** 13;

export function anchorKey(anchor: AuditAnchor): string {
  const takenAt = Date.parse(anchor.takenAt);
  return `${ANCHOR_PREFIX}${String(NEWEST_FIRST - takenAt).padStart(13, '0')}-${anchor.takenAt.replace(/[:.]/g, '')}.json`;
}
