import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalNotificationPipeline } from '../../lambdas/notify/local-pipeline';
import { createInMemoryOutboxQueue } from '../../lambdas/shared/queue/in-memory';
import { parseOutboxMessage } from '../../lambdas/shared/queue/port';
import { useTestDatabase } from '../support/database';
import { testPii } from '../support/keys';
import { createFacility, createRider } from '../support/fixtures';
import { insertOutbox, outboxState, REFERENCE_CODE } from './support';

const db = useTestDatabase();
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'nemt-sink-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function sinkLines(file: string): Promise<Record<string, string>[]> {
  const text = await readFile(file, 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line));
}

test('locally, the hand-off feeds the in-memory queue and the notifier writes each message to the sink', async () => {
  const owner = db().owner;
  const facility = await createFacility(owner);
  const smsRider = await createRider(owner, { facilityId: facility.id, notifyChannel: 'sms', careNotes: 'Uses oxygen' });
  const emailRider = await createRider(owner, { facilityId: facility.id, notifyChannel: 'email', email: 'rider@example.test' });
  const file = join(directory, 'handoff', 'messages.jsonl');
  const printed: string[] = [];
  const pipeline = createLocalNotificationPipeline({
    notifierDb: db().as('notifier'),
    pii: testPii(),
    settings: { providerName: 'Local Transport', timeZone: 'America/Chicago' },
    sink: { file, console: false, onLine: (line) => printed.push(line) },
  });

  const smsId = await insertOutbox(owner, { facilityId: facility.id, riderId: smsRider.id, event: 'trip_scheduled' });
  const emailId = await insertOutbox(owner, { facilityId: facility.id, riderId: emailRider.id, event: 'request_rejected' });
  await pipeline.publisher.publish([smsId, emailId]);
  await pipeline.idle();

  const lines = await sinkLines(file);
  expect(lines).toHaveLength(2);
  expect(printed).toHaveLength(2);
  const sms = lines.find((line) => line.channel === 'sms');
  expect(sms).toMatchObject({ to: smsRider.phone, body: expect.stringContaining(`Ride ${REFERENCE_CODE} is scheduled for Mon, Mar 4. Pickup window 8:00-8:30 AM CST.`) });
  const email = lines.find((line) => line.channel === 'email');
  expect(email).toMatchObject({ to: 'rider@example.test', subject: expect.stringContaining(REFERENCE_CODE) });
  expect(JSON.stringify(lines)).not.toMatch(/oxygen|Rider /);
  expect(await outboxState(owner, smsId)).toMatchObject({ status: 'sent', channel: 'sms', provider_message_id: sms?.messageId });
  expect(pipeline.queue.depth).toBe(0);
});

test('locally, the relay sweeps rows that were never handed over', async () => {
  const owner = db().owner;
  const facility = await createFacility(owner);
  const rider = await createRider(owner, { facilityId: facility.id, notifyChannel: 'sms' });
  const file = join(directory, 'relay', 'messages.jsonl');
  const pipeline = createLocalNotificationPipeline({
    notifierDb: db().as('notifier'),
    pii: testPii(),
    settings: { providerName: 'Local Transport', timeZone: 'America/New_York' },
    sink: { file, console: false },
  });
  const id = await insertOutbox(owner, { facilityId: facility.id, riderId: rider.id, event: 'request_received' });
  const report = await pipeline.relay();
  expect(report.dispatched).toBe(1);
  await pipeline.idle();
  expect(await outboxState(owner, id)).toMatchObject({ status: 'sent', attempts: 1 });
  const lines = await sinkLines(file);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ channel: 'sms', to: rider.phone, body: expect.stringContaining(`Ride request ${REFERENCE_CODE} for Mon, Mar 4 received.`) });
});

test('the in-memory queue redelivers reported failures and dead-letters a message after five receives, as SQS would', async () => {
  const queue = createInMemoryOutboxQueue({ maxReceives: 5 });
  const ids = ['0c6f6f0e-8a8e-4a57-9d55-7d7d1f2c3b4a', '5b0d3a71-2f9e-4a41-8a27-3c1b9e6f7d20'];
  await queue.send(ids);
  const receives = new Map<string, number>();
  const batches = await queue.drain(async (event) => ({
    batchItemFailures: event.Records.flatMap((record) => {
      const id = parseOutboxMessage(record.body) ?? '';
      receives.set(id, Number(record.attributes.ApproximateReceiveCount));
      return id === ids[0] ? [{ itemIdentifier: record.messageId }] : [];
    }),
  }));
  expect(batches).toBe(5);
  expect(receives.get(ids[0] as string)).toBe(5);
  expect(receives.get(ids[1] as string)).toBe(1);
  expect(queue.deadLetters.map((message) => parseOutboxMessage(message.body))).toEqual([ids[0]]);
  expect(queue.depth).toBe(0);
});
