import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { CheckIfPhoneNumberIsOptedOutCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createSesEmailChannel } from '../lambdas/notify/channels/ses-email';
import { createSnsSmsChannel } from '../lambdas/notify/channels/sns-sms';
import { type NotifierDependencies, processBatch } from '../lambdas/notify/notifier';
import { relayUnsent } from '../lambdas/relay/relay';
import type { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { outboxMessageBody, type OutboxQueue, QUEUE_BATCH_LIMIT } from '../lambdas/shared/queue/port';
import type { BenchSettings, DatabaseContext } from './support/context';
import { measureCpu } from './support/cpu';
import { status } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { round } from './support/stats';

/**
 * P7: the notification pipeline end to end. N pending outbox rows (10,000 in a full run) are
 * swept by the relay (relayUnsent: SKIP LOCKED batches of ten, as the scheduled Lambda runs it)
 * onto a queue, and the notifier (processBatch, the SQS Lambda's body) takes them off in batches
 * of ten, several batches at a time as concurrent Lambda invocations would, opens each rider's
 * sealed phone or email, renders the template and sends it through the real SNS and SES
 * channels, whose SDK clients are stubbed at the client boundary (aws-sdk-client-mock). The clock
 * runs from the first sweep until every row is recorded; then the database and the stubs must
 * agree: every row sent exactly once.
 */
const RELAY_WORKERS = 2;
const NOTIFIER_INVOCATIONS = 4;
const CODE = /P7-\d{6}/;

/** The queue between relay and notifier: SQS's role, in memory, delivering in batches of ten. */
function benchQueue() {
  const waiting: string[] = [];
  let closed = false;
  const wakers: (() => void)[] = [];
  const wake = () => {
    for (const waker of wakers.splice(0)) waker();
  };
  const queue: OutboxQueue = {
    async send(ids) {
      waiting.push(...ids);
      wake();
      return { failedIds: [] };
    },
  };
  const take = async (): Promise<string[] | undefined> => {
    for (;;) {
      if (waiting.length > 0) return waiting.splice(0, QUEUE_BATCH_LIMIT);
      if (closed) return undefined;
      await new Promise<void>((resolve) => wakers.push(resolve));
    }
  };
  return { queue, take, close: () => { closed = true; wake(); } };
}

function record(outboxId: string, receiveCount = 1): SQSRecord {
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: messageId,
    body: outboxMessageBody(outboxId),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifications',
    awsRegion: 'us-east-1',
  };
}

export async function runP7(settings: BenchSettings, context: DatabaseContext, pii: PiiCrypto): Promise<BenchmarkOutcome> {
  const rows = settings.outboxRows;
  const owner = context.database.owner;
  status(`P7 writing ${rows.toLocaleString('en-US')} outbox rows`);
  // Rows earlier benchmarks left (P5's requests) are not part of this measurement.
  const { rowCount: setAside } = await owner.query(
    `UPDATE notification_outbox SET status = 'skipped', outcome_reason = 'bench: written before P7'
      WHERE status = 'pending'`,
  );
  await owner.query(
    `INSERT INTO notification_outbox (facility_id, id, rider_id, event_type, payload, created_at)
     SELECT rs.facility_id, gen_random_uuid(), rs.id, 'request_received',
            jsonb_build_object('referenceCode', 'P7-' || lpad(g::text, 6, '0'), 'appointmentAt', '2031-03-01T15:00:00Z'),
            now() - interval '10 minutes' + g * interval '1 millisecond'
       FROM generate_series(1, $1::int) AS g
       JOIN (SELECT facility_id, id, row_number() OVER (ORDER BY facility_id, id) AS n, count(*) OVER () AS total FROM riders) AS rs
         ON rs.n = 1 + g % rs.total`,
    [rows],
  );
  await owner.query('VACUUM (ANALYZE) notification_outbox');

  // The providers, stubbed where the SDK would send: each call is one delivery recorded by code.
  const deliveries = new Map<string, number>();
  const delivered = (text: string | undefined) => {
    const code = CODE.exec(text ?? '')?.[0] ?? 'unknown';
    deliveries.set(code, (deliveries.get(code) ?? 0) + 1);
  };
  const sns = mockClient(SNSClient);
  const ses = mockClient(SESv2Client);
  sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({ isOptedOut: false });
  sns.on(PublishCommand).callsFake((input: { Message?: string }) => {
    delivered(input.Message);
    return { MessageId: randomUUID() };
  });
  ses.on(SendEmailCommand).callsFake((input: { Content?: { Simple?: { Body?: { Text?: { Data?: string } } } } }) => {
    delivered(input.Content?.Simple?.Body?.Text?.Data);
    return { MessageId: randomUUID() };
  });

  const notifierDb = context.database.pool('notifier', NOTIFIER_INVOCATIONS + 1);
  const relayDb = context.database.pool('notifier', RELAY_WORKERS + 1);
  const deps: NotifierDependencies = {
    db: notifierDb,
    pii,
    sms: createSnsSmsChannel(new SNSClient({ region: 'us-east-1' })),
    email: createSesEmailChannel(new SESv2Client({ region: 'us-east-1' }), { fromAddress: 'rides@example.com' }),
    settings: { providerName: 'Bench Transport', timeZone: 'America/New_York' },
  };
  const { queue, take, close } = benchQueue();
  const batchFailures: string[] = [];
  let batches = 0;
  try {
    const pipeline = async () => {
      const notifier = Promise.all(Array.from({ length: NOTIFIER_INVOCATIONS }, async () => {
        for (let ids = await take(); ids; ids = await take()) {
          const response = await processBatch(deps, { Records: ids.map((id) => record(id)) });
          batches += 1;
          batchFailures.push(...(response.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
          if (batches % 50 === 0) status(`P7 delivered ${deliveries.size.toLocaleString('en-US')}/${rows.toLocaleString('en-US')}`);
        }
      }));
      const relayed = await relayUnsent(relayDb, queue, { maxBatches: Math.ceil(rows / QUEUE_BATCH_LIMIT) + 10, workers: RELAY_WORKERS });
      close();
      await notifier;
      return relayed;
    };
    const { result: relayed, cpu } = await measureCpu(owner, cpus().length, pipeline, () => rows);
    const seconds = cpu.wallSeconds;

    const { rows: outcome } = await owner.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM notification_outbox WHERE payload->>'referenceCode' LIKE 'P7-%' GROUP BY status`,
    );
    const byStatus = Object.fromEntries(outcome.map((row) => [row.status, row.n]));
    const sentRows = byStatus.sent ?? 0;
    const duplicated = [...deliveries.entries()].filter(([code, count]) => code !== 'unknown' && count > 1).length;
    const lost = rows - [...deliveries.keys()].filter((code) => code !== 'unknown').length;
    const perSecond = round(sentRows / seconds, 0);
    return {
      value: perSecond,
      floor: null,
      ratio: null,
      unit: 'msg/s',
      checks: [
        check('messages/s', perSecond, 'min', 1_000),
        check('lost (rows without a delivery)', lost, 'max', 0),
        check('duplicated deliveries', duplicated, 'max', 0),
        check('rows not recorded as sent', rows - sentRows, 'max', 0),
      ],
      absolute: {
        rows,
        seconds: round(seconds, 2),
        otherDeliveries: deliveries.get('unknown') ?? 0,
        earlierRowsSetAside: setAside,
        relay: relayed,
        cpu,
        notifierBatches: batches,
        notifierInvocationsAtOnce: NOTIFIER_INVOCATIONS,
        relayWorkers: RELAY_WORKERS,
        batchItemFailures: batchFailures.length,
        outboxStatus: byStatus,
        providerCalls: { sms: sns.commandCalls(PublishCommand).length, email: ses.commandCalls(SendEmailCommand).length,
          optOutChecks: sns.commandCalls(CheckIfPhoneNumberIsOptedOutCommand).length },
      },
    };
  } finally {
    close();
    sns.restore();
    ses.restore();
  }
}
