import type { SQSClient } from '@aws-sdk/client-sqs';
import { logger } from '../log';
import type { OutboxQueue } from '../queue/port';
import { createSqsOutboxQueue } from '../queue/sqs';
import type { OutboxPublisher } from './publisher';

/**
 * The after-commit hand-off: ids onto the queue, nothing else. It never rejects, whatever the
 * queue does, because the request that wrote the rows has already committed and must succeed;
 * it does not mark rows dispatched either (the API's role may not update the outbox). Whatever
 * did not reach the queue is still `pending` with no `dispatched_at`, and the relay sends it.
 */
export function createQueueOutboxPublisher(queue: OutboxQueue): OutboxPublisher {
  return {
    async publish(outboxIds) {
      if (outboxIds.length === 0) return;
      try {
        const { failedIds } = await queue.send(outboxIds);
        if (failedIds.length > 0) logger.warn('outbox hand-off incomplete; relay will deliver', { outboxIds: failedIds });
      } catch (error) {
        logger.warn('outbox hand-off failed; relay will deliver', { outboxIds, errorName: (error as Error)?.name });
      }
    },
  };
}

export function createSqsOutboxPublisher(client: SQSClient, queueUrl: string): OutboxPublisher {
  return createQueueOutboxPublisher(createSqsOutboxQueue(client, queueUrl));
}
