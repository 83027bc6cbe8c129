/**
 * Hands committed outbox rows to the notification queue. Best effort by contract: the caller
 * never fails a request because of it, and the scheduled relay sends whatever was not handed over.
 */
export interface OutboxPublisher {
  publish(outboxIds: readonly string[]): Promise<void>;
}
