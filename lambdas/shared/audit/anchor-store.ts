import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type AuditAnchor, parseAnchor } from './anchor';

/** Where anchors are kept: written once, never replaced (the bucket's Object Lock sees to that). */
export interface AnchorStore {
  /** The newest anchor, or undefined before the first. */
  latest(): Promise<AuditAnchor | undefined>;
  put(anchor: AuditAnchor): Promise<string>;
}

const PREFIX = 'anchors/';
// Keys sort newest first (S3 lists keys in ascending order), so the latest is one listed key away
// however many anchors accumulate; the readable time follows for people browsing the bucket.
const NEWEST_FIRST = 10 ** 13;

export function anchorKey(anchor: AuditAnchor): string {
  const takenAt = Date.parse(anchor.takenAt);
  return `${PREFIX}${String(NEWEST_FIRST - takenAt).padStart(13, '0')}-${anchor.takenAt.replace(/[:.]/g, '')}.json`;
}

export function createS3AnchorStore(client: S3Client, bucket: string): AnchorStore {
  return {
    async latest() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIX, MaxKeys: 1 }));
      const key = listed.Contents?.[0]?.Key;
      if (!key) return undefined;
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = await object.Body?.transformToString('utf-8');
      if (text === undefined) throw new Error(`audit anchor ${key} has no body`);
      return parseAnchor(text);
    },
    async put(anchor) {
      const key = anchorKey(anchor);
      const body = JSON.stringify(anchor);
      await client.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        // Refused if an object of that name exists: an anchor is never replaced, even by a later
        // run that happened to take the same millisecond.
        IfNoneMatch: '*',
        ChecksumAlgorithm: 'SHA256',
      }));
      return key;
    },
  };
}

/**
 * The local stack's stand-in for the bucket: one file per anchor in a folder, same key order,
 * never overwritten (the file is created exclusively). It protects nothing, being writable by
 * whoever owns the folder; it lets the check and the format run locally.
 */
export function createFileAnchorStore(dir: string): AnchorStore {
  const path = (key: string) => join(dir, key.slice(PREFIX.length));
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
