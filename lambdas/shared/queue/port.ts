import { isUuid } from '../uuid';

/**
 * The notification queue as the relay and the API see it: it carries outbox ids only, never
 * content, so a message on the queue (or in its dead-letter queue) reveals nothing about a rider.
 */
export interface OutboxQueue {
  /**
   * Enqueues one message per id. Never throws for a failed id: it reports it in `failedIds`, so
   * the caller (the relay) can leave exactly those rows for a later sweep.
   */
  send(outboxIds: readonly string[]): Promise<QueueSendResult>;
}

export interface QueueSendResult {
  failedIds: string[];
}

/** The message body on the queue. */
export interface OutboxQueueMessage {
  outboxId: string;
}

export const QUEUE_BATCH_LIMIT = 10;

export function outboxMessageBody(outboxId: string): string {
  const body: OutboxQueueMessage = { outboxId };
  return JSON.stringify(body);
}


/** The outbox id a queue message names, or undefined when the body is not one of ours. */
export function parseOutboxMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const outboxId = (parsed as Partial<OutboxQueueMessage> | null)?.outboxId;
  return isUuid(outboxId) ? outboxId.toLowerCase() : undefined;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
