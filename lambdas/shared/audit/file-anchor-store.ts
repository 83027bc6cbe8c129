import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnchor } from './anchor';
import { ANCHOR_PREFIX, type AnchorStore, anchorKey } from './anchor-store';

/**
 * The local stack's stand-in for the bucket: one file per anchor in a folder, same key order,
 * never overwritten (the file is created exclusively). It protects nothing, being writable by
 * whoever owns the folder; it lets the check and the format run locally.
 */
export function createFileAnchorStore(dir: string): AnchorStore {
  const path = (key: string) => join(dir, key.slice(ANCHOR_PREFIX.length));
  return {
    async latest() {
      mkdirSync(dir, { recursive: true });
      const first = readdirSync(dir).filter((name) => name.endsWith('.json')).sort()[0];
      return first === undefined ? undefined : parseAnchor(readFileSync(join(dir, first), 'utf8'));
    },
    async put(anchor) {
      mkdirSync(dir, { recursive: true });
      const key = anchorKey(anchor);
      writeFileSync(path(key), JSON.stringify(anchor), { flag: 'wx' });
      return key;
    },
  };
}
