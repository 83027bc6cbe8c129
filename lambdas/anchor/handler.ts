import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { createS3AnchorStore } from '../shared/audit/s3-anchor-store';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { type AnchorReport, anchorAuditChains } from './anchor';
import { LAMBDA_CLIENT_CONFIG } from '../shared/aws/lambda-credentials';

/**
 * The anchor Lambda entry, run on a schedule (EventBridge): checks the newest audit anchor against
 * the database and writes a new one into the Object Lock bucket, as nemt_auditor_user (read-only)
 * through RDS Proxy (IAM token, TLS). Clients are built once per container.
 */
const env = process.env;
const db = databaseFromEnvironment(env);
const store = createS3AnchorStore(new S3Client(LAMBDA_CLIENT_CONFIG), required(env, 'ANCHOR_BUCKET'));

export const handler = middy<unknown, AnchorReport>().handler(() => anchorAuditChains(db, store));
