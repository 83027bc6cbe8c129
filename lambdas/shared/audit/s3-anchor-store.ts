import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseAnchor } from './anchor';
import { ANCHOR_PREFIX, type AnchorStore, anchorKey } from './anchor-store';

/** The anchors bucket (Object Lock; lib/stacks/audit-stack.ts) as an AnchorStore. */
export function createS3AnchorStore(client: S3Client, bucket: string): AnchorStore {
  return {
    async latest() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ANCHOR_PREFIX, MaxKeys: 1 }));
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
