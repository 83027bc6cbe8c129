import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { createSesEmailChannel } from '../../lambdas/notify/channels/ses-email';
import { createSnsSmsChannel } from '../../lambdas/notify/channels/sns-sms';
import { createNotifyHandler } from '../../lambdas/notify/notifier';
import { relayUnsent } from '../../lambdas/relay/relay';
import { createSqsOutboxPublisher } from '../../lambdas/shared/outbox/sqs-publisher';
import type { OutboxQueue } from '../../lambdas/shared/queue/port';
import { createSqsOutboxQueue } from '../../lambdas/shared/queue/sqs';
import { createTestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { testPii } from '../support/keys';
import { actorOf, createFacility, createFacilityUser, createRider } from '../support/fixtures';
import { insertOutbox, LAMBDA_CONTEXT, outboxState, sqsRecord } from './support';

const db = useTestDatabase();
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111111111111/notifications';
let facilityId: string;
let riderId: string;

beforeAll(async () => {
  facilityId = (await createFacility(db().owner)).id;
  riderId = (await createRider(db().owner, { facilityId })).id;
});

// The relay sweeps the whole table; each test starts with nothing pending.
beforeEach(async () => {
  await db().owner.query(`UPDATE notification_outbox SET status = 'skipped', outcome_reason = 'test_reset' WHERE status = 'pending'`);
});

/** An SQS client whose SendMessageBatch accepts every entry (or those `accept` allows) and records the bodies. */
function workingSqs(accept: (id: string) => boolean = () => true) {
  const client = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const bodies: string[] = [];
  mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    const entries = input.Entries ?? [];
    const accepted = entries.filter((entry) => accept(entry.Id ?? ''));
    bodies.push(...accepted.map((entry) => entry.MessageBody ?? ''));
    return {
      Successful: accepted.map((entry) => ({ Id: entry.Id, MessageId: randomUUID(), MD5OfMessageBody: 'md5' })),
      Failed: entries.filter((entry) => !accept(entry.Id ?? '')).map((entry) => ({ Id: entry.Id, SenderFault: false,
        Code: 'InternalError' })),
    };
  });
  return { client, mock, bodies };
}

function unavailableSqs() {
  const client = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  mock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  return { client, mock };
}

function batchSizes(mock: ReturnType<typeof mockClient>): number[] {
  return mock.commandCalls(SendMessageBatchCommand).map((call) => (call.args[0].input as SendMessageBatchCommandInput).Entries?.length ?? 0);
}

async function pendingRows(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) ids.push(await insertOutbox(db().owner, { facilityId, riderId }));
  return ids;
}

describe('SQS publisher (the API\'s after-commit hand-off)', () => {
  test('sends ids only, in batches of at most ten', async () => {
    const sqs = workingSqs();
    const ids = Array.from({ length: 23 }, () => randomUUID());
    await createSqsOutboxPublisher(sqs.client, QUEUE_URL).publish(ids);
    expect(batchSizes(sqs.mock).sort()).toEqual([10, 10, 3]);
    expect(sqs.mock.commandCalls(SendMessageBatchCommand).every((call) => call.args[0].input.QueueUrl === QUEUE_URL)).toBe(true);
    expect(sqs.bodies.map((body) => JSON.parse(body)).sort((a, b) => a.outboxId.localeCompare(b.outboxId)))
      .toEqual(ids.map((outboxId) => ({ outboxId })).sort((a, b) => a.outboxId.localeCompare(b.outboxId)));
  });

  test('never rejects: an unavailable queue or a partly failed batch is left for the relay', async () => {
    await expect(createSqsOutboxPublisher(unavailableSqs().client, QUEUE_URL).publish([randomUUID()])).resolves.toBeUndefined();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const partial = workingSqs((id) => id !== ids[1]);
    await expect(createSqsOutboxPublisher(partial.client, QUEUE_URL).publish(ids)).resolves.toBeUndefined();
    expect(partial.bodies).toHaveLength(2);
  });
});

describe('relay', () => {
  test('sends every pending, undispatched row in batches of ten and records the dispatch', async () => {
    const ids = await pendingRows(23);
    const sqs = workingSqs();
    const report = await relayUnsent(db().as('notifier'), createSqsOutboxQueue(sqs.client, QUEUE_URL), { batchSize: 10, maxBatches: 10 });
    expect(report).toMatchObject({ batches: 3, dispatched: 23, failed: 0, stuck: 0 });
    expect(batchSizes(sqs.mock)).toEqual([10, 10, 3]);
    expect(sqs.bodies.map((body) => JSON.parse(body).outboxId).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const state = await outboxState(db().owner, id);
      expect(state).toMatchObject({ status: 'pending', attempts: 1 });
      expect(state.dispatched_at).not.toBeNull();
    }
    // Dispatched rows are not sent again by the next sweep.
    const again = await relayUnsent(db().as('notifier'), createSqsOutboxQueue(sqs.client, QUEUE_URL));
    expect(again.dispatched).toBe(0);
    expect(batchSizes(sqs.mock)).toEqual([10, 10, 3]);
  });

  test('rows the queue refused stay pending and undispatched, are not retried in the same sweep, and go out next time', async () => {
    const ids = await pendingRows(10);
    const refused = new Set([ids[2], ids[7]]);
    const flaky = workingSqs((id) => !refused.has(id));
    const report = await relayUnsent(db().as('notifier'), createSqsOutboxQueue(flaky.client, QUEUE_URL), { maxBatches: 5 });
    expect(report).toMatchObject({ dispatched: 8, failed: 2 });
    expect(batchSizes(flaky.mock)).toEqual([10]);
    for (const id of refused) expect(await outboxState(db().owner, id as string)).toMatchObject({ dispatched_at: null, attempts: 0 });

    const healthy = workingSqs();
    expect((await relayUnsent(db().as('notifier'), createSqsOutboxQueue(healthy.client, QUEUE_URL))).dispatched).toBe(2);
    expect(healthy.bodies.map((body) => JSON.parse(body).outboxId).sort()).toEqual([...refused].sort());
  });

  test('an unavailable queue ends the sweep after one batch and changes nothing', async () => {
    const ids = await pendingRows(25);
    const down = unavailableSqs();
    const report = await relayUnsent(db().as('notifier'), createSqsOutboxQueue(down.client, QUEUE_URL), { maxBatches: 10 });
    expect(report).toMatchObject({ batches: 1, dispatched: 0, failed: 10 });
    for (const id of ids) expect(await outboxState(db().owner, id)).toMatchObject({ dispatched_at: null, attempts: 0 });
  });

  test('concurrent relays never send the same row twice', async () => {
    const ids = await pendingRows(57);
    const sent: string[] = [];
    const slowQueue: OutboxQueue = {
      async send(batch) {
        await new Promise((resolve) => setImmediate(resolve));
        sent.push(...batch);
        return { failedIds: [] };
      },
    };
    const reports = await Promise.all([
      relayUnsent(db().as('notifier'), slowQueue, { maxBatches: 20 }),
      relayUnsent(db().as('notifier'), slowQueue, { maxBatches: 20, workers: 3 }),
      relayUnsent(db().as('notifier'), slowQueue, { maxBatches: 20, workers: 2 }),
    ]);
    expect(sent).toHaveLength(ids.length);
    expect(new Set(sent).size).toBe(ids.length);
    expect(reports.reduce((sum, report) => sum + report.dispatched, 0)).toBe(ids.length);
    const { rows } = await db().owner.query<{ attempts: number; n: number }>(
      `SELECT attempts, count(*)::int AS n FROM notification_outbox WHERE status = 'pending' GROUP BY attempts`,
    );
    expect(rows).toEqual([{ attempts: 1, n: ids.length }]);
  });

  test('re-dispatch after the interval, leaves fresh rows to the API, and stops after the maximum dispatches', async () => {
    const [lost, recent, exhausted, fresh] = (await pendingRows(4)) as [string, string, string, string];
    await db().owner.query(`UPDATE notification_outbox SET dispatched_at = now() - interval '2 hours', attempts = 1 WHERE id = $1`, [lost]);
    await db().owner.query(`UPDATE notification_outbox SET dispatched_at = now() - interval '1 minute', attempts = 1 WHERE id = $1`, [recent]);
    await db().owner.query(`UPDATE notification_outbox SET dispatched_at = now() - interval '2 hours', attempts = 3 WHERE id = $1`, [exhausted]);
    await db().owner.query(`UPDATE notification_outbox SET created_at = now() - interval '5 minutes' WHERE id <> $1 AND status = 'pending'`,
      [fresh]);
    const sqs = workingSqs();
    const report = await relayUnsent(db().as('notifier'), createSqsOutboxQueue(sqs.client, QUEUE_URL), {
      redispatchAfterSeconds: 1800, minAgeSeconds: 60, maxDispatches: 3,
    });
    expect(sqs.bodies.map((body) => JSON.parse(body).outboxId)).toEqual([lost]);
    expect(report).toMatchObject({ dispatched: 1, stuck: 1 });
    expect(await outboxState(db().owner, lost)).toMatchObject({ attempts: 2 });
    expect(await outboxState(db().owner, fresh)).toMatchObject({ attempts: 0, dispatched_at: null });
  });
});

test('SQS unavailable at commit: the API request still succeeds, the relay delivers later, nothing is lost', async () => {
  const owner = db().owner;
  const facility = await createFacility(owner);
  const user = await createFacilityUser(owner, 'FacilityUser', facility.id);
  const rider = await createRider(owner, { facilityId: facility.id, notifyChannel: 'sms', notifyConsent: true });
  const down = unavailableSqs();
  const api = createTestApi(db().as('api'), { outbox: createSqsOutboxPublisher(down.client, QUEUE_URL) });

  const created = await api.call('POST', '/v1/trip-requests', {
    as: actorOf(user),
    body: {
      riderId: rider.id, pickupAddress: '12 Elm Street', dropoffAddress: '9 Oncology Way', appointmentAt: '2030-01-02T15:00:00Z',
      clinicalNotes: 'Dialysis patient, needs oxygen',
    },
  });
  expect(created.status).toBe(201);
  expect(down.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  const { rows } = await owner.query<{ id: string }>('SELECT id FROM notification_outbox WHERE trip_request_id = $1', [created.body.id]);
  expect(rows).toHaveLength(1);
  const outboxId = rows[0]?.id as string;
  expect(await outboxState(owner, outboxId)).toMatchObject({ status: 'pending', dispatched_at: null, attempts: 0 });

  const queue = workingSqs();
  const relayed = await relayUnsent(db().as('notifier'), createSqsOutboxQueue(queue.client, QUEUE_URL), { batchSize: 10, maxBatches: 5 });
  expect(relayed.dispatched).toBe(1);
  expect(queue.bodies).toEqual([JSON.stringify({ outboxId })]);

  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'sns-relayed-1' });
  const notify = createNotifyHandler({
    db: db().as('notifier'),
    pii: testPii(),
    sms: createSnsSmsChannel(new SNSClient({ region: 'us-east-1' }), { checkOptOut: false }),
    email: createSesEmailChannel(new SESv2Client({ region: 'us-east-1' }), { fromAddress: 'rides@example.test' }),
    settings: { providerName: 'Test Transport', timeZone: 'America/New_York' },
  });
  const response = await notify({ Records: queue.bodies.map((body) => sqsRecord(body)) }, LAMBDA_CONTEXT);
  expect(response).toEqual({ batchItemFailures: [] });

  expect(await outboxState(owner, outboxId)).toMatchObject({ status: 'sent', channel: 'sms', provider_message_id: 'sns-relayed-1',
    attempts: 1 });
  const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
  expect(published).toHaveLength(1);
  expect(published[0]?.PhoneNumber).toBe(rider.phone);
  expect(published[0]?.Message).toContain(created.body.referenceCode);
  expect(published[0]?.Message).not.toMatch(/dialysis|oxygen|oncology|elm/i);
  sns.restore();
});
