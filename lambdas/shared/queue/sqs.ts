import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { logger } from '../log';
import { chunk, outboxMessageBody, type OutboxQueue, QUEUE_BATCH_LIMIT } from './port';

/**
 * The queue on SQS: SendMessageBatch in groups of ten (the API's limit), the groups sent
 * concurrently. A group whose call fails counts all its ids as failed; a partially failed group
 * counts only the entries SQS reported. Entry ids are the outbox ids (unique within a group).
 */
export function createSqsOutboxQueue(client: SQSClient, queueUrl: string): OutboxQueue {
  return {
    async send(outboxIds) {
      const unique = [...new Set(outboxIds)];
      const groups = chunk(unique, QUEUE_BATCH_LIMIT);
      const failures = await Promise.all(groups.map(async (ids) => {
        try {
          const result = await client.send(new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ids.map((id) => ({ Id: id, MessageBody: outboxMessageBody(id) })),
          }));
          const accepted = new Set((result.Successful ?? []).map((entry) => entry.Id));
          const failed = ids.filter((id) => !accepted.has(id));
          if (failed.length > 0) {
            logger.warn('queue send partly failed', {
              failedIds: failed,
              codes: [...new Set((result.Failed ?? []).map((entry) => entry.Code))],
            });
          }
          return failed;
        } catch (error) {
          logger.warn('queue send failed', { failedIds: ids, errorName: (error as Error)?.name });
          return ids;
        }
      }));
      return { failedIds: failures.flat() };
    },
  };
}
