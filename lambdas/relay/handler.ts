import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { createSqsOutboxQueue } from '../shared/queue/sqs';
import { type ExpiryReport, expireRecords } from './expiry';
import { RELAY_DEFAULTS, type RelayReport, relayUnsent } from './relay';
import { LAMBDA_CLIENT_CONFIG } from '../shared/aws/lambda-credentials';

/**
 * The relay Lambda entry, run on a schedule (EventBridge): sweeps outbox rows that never reached
 * the queue, then expires records past their retention (lambdas/relay/expiry.ts), as
 * nemt_notifier_user through RDS Proxy (IAM token, TLS). Clients are built once per container.
 */
const env = process.env;
const db = databaseFromEnvironment(env);
const queue = createSqsOutboxQueue(new SQSClient(LAMBDA_CLIENT_CONFIG), required(env, 'OUTBOX_QUEUE_URL'));

function numberSetting(name: string, fallback: number): number {
  const value = Number(env[name]);
  return env[name] && Number.isFinite(value) && value >= 0 ? value : fallback;
}

const options = {
  maxBatches: numberSetting('RELAY_MAX_BATCHES', RELAY_DEFAULTS.maxBatches),
  minAgeSeconds: numberSetting('RELAY_MIN_AGE_SECONDS', 30),
  redispatchAfterSeconds: numberSetting('RELAY_REDISPATCH_AFTER_SECONDS', RELAY_DEFAULTS.redispatchAfterSeconds),
  maxDispatches: numberSetting('RELAY_MAX_DISPATCHES', RELAY_DEFAULTS.maxDispatches),
};

export const handler = middy<unknown, RelayReport & { expired: ExpiryReport }>().handler(async () => {
  const report = await relayUnsent(db, queue, options);
  return { ...report, expired: await expireRecords(db) };
});
