import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { chunk, outboxMessageBody, type OutboxQueue, QUEUE_BATCH_LIMIT } from './port';

export type QueueConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

interface QueuedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
}

export interface InMemoryOutboxQueue extends OutboxQueue {
  /** Messages waiting to be received. */
  readonly depth: number;
  /** Messages that were received `maxReceives` times without success, as SQS would move them. */
  readonly deadLetters: readonly { messageId: string; body: string; receiveCount: number }[];
  /**
   * Delivers waiting messages to `consumer` in SQS-shaped batches until the queue is empty,
   * honouring partial batch failures: a reported (or thrown) record is received again, and after
   * `maxReceives` receives it moves to the dead letters. Returns how many batches ran.
   */
  drain(consumer: QueueConsumer): Promise<number>;
}

/**
 * The local stack's stand-in for SQS (and for its redrive policy), so the relay, the API's
 * after-commit hand-off and the notifier run in one process with the same message shape.
 */
export function createInMemoryOutboxQueue(options: { maxReceives?: number; queueArn?: string } = {}): InMemoryOutboxQueue {
  const maxReceives = options.maxReceives ?? 5;
  const queueArn = options.queueArn ?? 'arn:aws:sqs:local:000000000000:notifications';
  let waiting: QueuedMessage[] = [];
  const deadLetters: { messageId: string; body: string; receiveCount: number }[] = [];

  const toRecord = (message: QueuedMessage): SQSRecord => ({
    messageId: message.messageId,
    receiptHandle: `${message.messageId}:${message.receiveCount}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'local',
  });

  return {
    get depth() {
      return waiting.length;
    },
    deadLetters,

    async send(outboxIds) {
      const now = Date.now();
      for (const id of outboxIds) {
        waiting.push({ messageId: randomUUID(), body: outboxMessageBody(id), receiveCount: 0, sentAt: now });
      }
      return { failedIds: [] };
    },

    async drain(consumer) {
      let batches = 0;
      while (waiting.length > 0) {
        const taken = waiting;
        waiting = [];
        for (const batch of chunk(taken, QUEUE_BATCH_LIMIT)) {
          batches += 1;
          for (const message of batch) message.receiveCount += 1;
          let failedIds: Set<string>;
          try {
            const response = await consumer({ Records: batch.map(toRecord) });
            failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
          } catch {
            failedIds = new Set(batch.map((message) => message.messageId));
          }
          for (const message of batch) {
            if (!failedIds.has(message.messageId)) continue;
            if (message.receiveCount >= maxReceives) deadLetters.push({ ...message });
            else waiting.push(message);
          }
        }
      }
      return batches;
    },
  };
}
