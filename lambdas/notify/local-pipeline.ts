import type { PiiCrypto } from '../shared/crypto/pii';
import type { Database } from '../shared/db/port';
import { logger } from '../shared/log';
import type { OutboxPublisher } from '../shared/outbox/publisher';
import { createQueueOutboxPublisher } from '../shared/outbox/sqs-publisher';
import { createInMemoryOutboxQueue, type InMemoryOutboxQueue } from '../shared/queue/in-memory';
import type { OutboxQueue } from '../shared/queue/port';
import { type RelayOptions, type RelayReport, relayUnsent } from '../relay/relay';
import { createSinkChannels, type SinkSettings } from './channels/sink';
import { type NotifierSettings, processBatch } from './notifier';

export interface LocalPipelineOptions {
  /** The notifier's login (nemt_notifier_user), as on AWS. */
  readonly notifierDb: Database;
  /** The same key provider as the local API and intake (the local master key). */
  readonly pii: PiiCrypto;
  readonly settings: NotifierSettings;
  readonly sink?: SinkSettings;
  /** Deliver right after each hand-off, as the SQS event source would (default true). */
  readonly autoDrain?: boolean;
}

export interface LocalPipeline {
  /** For the API and intake: the after-commit hand-off onto the in-memory queue. */
  readonly publisher: OutboxPublisher;
  readonly queue: InMemoryOutboxQueue;
  relay(options?: RelayOptions): Promise<RelayReport>;
  /** Delivers everything waiting on the queue; resolves when it is empty. */
  drain(): Promise<number>;
  /** Waits for deliveries started by auto-drain. */
  idle(): Promise<void>;
}

/**
 * The notification pipeline in one process for the local stack: the same relay and notifier code
 * as on AWS, with the in-memory queue instead of SQS and the sink instead of SNS and SES.
 */
export function createLocalNotificationPipeline(options: LocalPipelineOptions): LocalPipeline {
  const queue = createInMemoryOutboxQueue();
  const channels = createSinkChannels(options.sink);
  const deps = { db: options.notifierDb, pii: options.pii, sms: channels.sms, email: channels.email, settings: options.settings };
  let running: Promise<unknown> = Promise.resolve();

  const drain = () => queue.drain((event) => processBatch(deps, event));
  const scheduleDrain = () => {
    running = running.then(drain).catch((error: unknown) => {
      logger.error('local notification drain failed', { errorName: (error as Error)?.name });
    });
  };
  const feeding: OutboxQueue = {
    async send(ids) {
      const result = await queue.send(ids);
      if (options.autoDrain ?? true) scheduleDrain();
      return result;
    },
  };

  return {
    publisher: createQueueOutboxPublisher(feeding),
    queue,
    relay: (relayOptions) => relayUnsent(options.notifierDb, feeding, relayOptions),
    drain,
    idle: async () => {
      await running;
    },
  };
}
