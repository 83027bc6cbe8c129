import middy from '@middy/core';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { onFirstUse } from '../shared/on-first-use';
import type { OutboxQueue } from '../shared/queue/port';
import { type ExpiryReport, expireRecords } from './expiry';
import { RELAY_DEFAULTS, type RelayReport, relayUnsent } from './relay';

/**
 * The relay Lambda entry, run on a schedule (EventBridge): sweeps outbox rows that never reached
 * the queue, then expires records past their retention (lambdas/relay/expiry.ts), as
 * nemt_notifier_user through RDS Proxy (IAM token, TLS). Clients are built once per container;
 * the SQS client with the first row there is to send, as most sweeps find none.
 */
const env = process.env;
const db = databaseFromEnvironment(env);
const queueUrl = required(env, 'OUTBOX_QUEUE_URL');
const sqs = onFirstUse(async (): Promise<OutboxQueue> => {
  const [{ newSqsClient }, { createSqsOutboxQueue }] = await Promise.all([import('../shared/aws/sqs-client'), import('../shared/queue/sqs')]);
  return createSqsOutboxQueue(newSqsClient(), queueUrl);
});
const queue: OutboxQueue = { send: async (outboxIds) => (await sqs()).send(outboxIds) };

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
