import { randomUUID } from 'node:crypto';
import {
  BadRequestException, MessageRejected, SendEmailCommand, SESv2Client, TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import {
  CheckIfPhoneNumberIsOptedOutCommand, InternalErrorException, InvalidParameterException, OptedOutException, PublishCommand,
  SNSClient, ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSesEmailChannel } from '../../lambdas/notify/channels/ses-email';
import { createSnsSmsChannel } from '../../lambdas/notify/channels/sns-sms';
import { createNotifyHandler, type NotifierDependencies } from '../../lambdas/notify/notifier';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import { NOTIFICATION_EVENTS } from '../../lambdas/shared/outbox/write';
import { freePort } from '../../local/processes';
import { useTestDatabase } from '../support/database';
import { openRiderField, testPii } from '../support/keys';
import { createFacility, createRider } from '../support/fixtures';
import { FULL_PAYLOAD, insertOutbox, LAMBDA_CONTEXT, outboxState, REFERENCE_CODE, sqsEventFor, sqsRecord } from './support';

const db = useTestDatabase();
const sns = mockClient(SNSClient);
const ses = mockClient(SESv2Client);

const FROM = 'rides@transport.example.test';
const CONFIGURATION_SET = 'nemt-notifications';
let handle: (event: SQSEvent) => Promise<SQSBatchResponse>;
let facilityId: string;
let quietFacilityId: string;

beforeAll(async () => {
  const deps: NotifierDependencies = {
    db: db().as('notifier'),
    pii: testPii(),
    sms: createSnsSmsChannel(new SNSClient({ region: 'us-east-1' }), { senderId: 'RIDES' }),
    email: createSesEmailChannel(new SESv2Client({ region: 'us-east-1' }), { fromAddress: FROM, configurationSetName: CONFIGURATION_SET }),
    settings: { providerName: 'Test Transport', timeZone: 'America/New_York' },
  };
  const handler = createNotifyHandler(deps);
  handle = (event) => handler(event, LAMBDA_CONTEXT);
  facilityId = (await createFacility(db().owner, { notifyDriverEnRoute: true, notifyRideReminder: true })).id;
  quietFacilityId = (await createFacility(db().owner, { notifyDriverEnRoute: false })).id;
});

beforeEach(() => {
  sns.reset();
  ses.reset();
  sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({ isOptedOut: false });
  sns.on(PublishCommand).callsFake(() => ({ MessageId: `sns-${randomUUID()}` }));
  ses.on(SendEmailCommand).callsFake(() => ({ MessageId: `ses-${randomUUID()}` }));
});

const meta = { $metadata: {} };

async function smsRider(extra: { notifyConsent?: boolean; facility?: string } = {}) {
  return createRider(db().owner, { facilityId: extra.facility ?? facilityId, notifyChannel: 'sms', notifyConsent: extra.notifyConsent });
}

async function emailRider(extra: { email?: string | null; notifyConsent?: boolean } = {}) {
  return createRider(db().owner, {
    facilityId, notifyChannel: 'email', email: extra.email === undefined ? `rider-${randomUUID()}@example.test` : extra.email,
    notifyConsent: extra.notifyConsent,
  });
}

function publishCalls() {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

function emailCalls() {
  return ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input);
}

describe('happy path: every event over each channel', () => {
  test.each(NOTIFICATION_EVENTS)('%s by SMS: published as transactional, recorded as sent with the SNS message id', async (event) => {
    const rider = await smsRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id, event });
    const response = await handle(sqsEventFor([id]));
    expect(response).toEqual({ batchItemFailures: [] });

    const calls = publishCalls();
    expect(calls).toHaveLength(1);
    const publish = calls[0];
    expect(publish?.PhoneNumber).toBe(rider.phone);
    expect(publish?.Message).toContain(REFERENCE_CODE);
    expect(publish?.Message).toMatch(/^Test Transport: .*Reply STOP to opt out$/);
    expect(publish?.MessageAttributes?.['AWS.SNS.SMS.SMSType']).toEqual({ DataType: 'String', StringValue: 'Transactional' });
    expect(publish?.MessageAttributes?.['AWS.SNS.SMS.SenderID']).toEqual({ DataType: 'String', StringValue: 'RIDES' });

    const state = await outboxState(db().owner, id);
    expect(state).toMatchObject({ status: 'sent', channel: 'sms', outcome_reason: null });
    expect(state.provider_message_id).toMatch(/^sns-/);
    expect(state.sent_at).not.toBeNull();
  });

  test.each(NOTIFICATION_EVENTS)('%s by email: SES v2 with text and HTML, recorded as sent with the SES message id', async (event) => {
    const rider = await emailRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id, event });
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });

    expect(publishCalls()).toHaveLength(0);
    const calls = emailCalls();
    expect(calls).toHaveLength(1);
    const email = calls[0];
    expect(email?.FromEmailAddress).toBe(FROM);
    expect(email?.ConfigurationSetName).toBe(CONFIGURATION_SET);
    expect(email?.Destination?.ToAddresses).toEqual([await openRiderField(db().owner, rider.id, 'email_enc')]);
    expect(email?.Content?.Simple?.Subject?.Data).toContain(REFERENCE_CODE);
    expect(email?.Content?.Simple?.Body?.Text?.Data).toContain(`Reference: ${REFERENCE_CODE}`);
    expect(email?.Content?.Simple?.Body?.Html?.Data).toContain(`<strong>${REFERENCE_CODE}</strong>`);

    const state = await outboxState(db().owner, id);
    expect(state).toMatchObject({ status: 'sent', channel: 'email' });
    expect(state.provider_message_id).toMatch(/^ses-/);
  });
});

test('SNS throttling on 3 of 10 records: exactly those 3 are batch item failures and stay pending', async () => {
  const riders = await Promise.all(Array.from({ length: 10 }, () => smsRider()));
  const ids = await Promise.all(riders.map((rider) => insertOutbox(db().owner, { facilityId, riderId: rider.id })));
  const throttledRiders = new Set([1, 4, 8]);
  for (const index of throttledRiders) {
    sns.on(PublishCommand, { PhoneNumber: riders[index]?.phone ?? '' })
      .rejects(new ThrottledException({ message: 'Rate exceeded', ...meta }));
  }
  const event = sqsEventFor(ids);
  const response = await handle(event);

  const expected = event.Records.filter((_, index) => throttledRiders.has(index)).map((record) => record.messageId);
  expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(expected.sort());
  for (const [index, id] of ids.entries()) {
    const state = await outboxState(db().owner, id);
    if (throttledRiders.has(index)) expect(state).toMatchObject({ status: 'pending', outcome_reason: 'retry:throttled', sent_at: null });
    else expect(state.status).toBe('sent');
  }

  // SQS delivers the three again once SNS recovers: they are sent, the seven others are not repeated.
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'sns-retry' });
  const retry = { Records: event.Records.filter((record) => expected.includes(record.messageId)) };
  expect(await handle(retry)).toEqual({ batchItemFailures: [] });
  expect(publishCalls()).toHaveLength(3);
  for (const id of ids) expect((await outboxState(db().owner, id)).status).toBe('sent');
});

describe('duplicate delivery sends once', () => {
  test('the same message twice in one batch, and again in two concurrent batches', async () => {
    const rider = await smsRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    // A slow provider keeps the first delivery inside its transaction while the others arrive.
    sns.on(PublishCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return { MessageId: `sns-${randomUUID()}` };
    });
    const responses = await Promise.all([handle(sqsEventFor([id, id])), handle(sqsEventFor([id])), handle(sqsEventFor([id]))]);
    for (const response of responses) expect(response.batchItemFailures).toEqual([]);
    expect(publishCalls()).toHaveLength(1);
    const messageId = (await outboxState(db().owner, id)).provider_message_id;

    // Redelivery long after: still nothing sent, the recorded message id unchanged.
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(1);
    expect((await outboxState(db().owner, id)).provider_message_id).toBe(messageId);
  });

  test('overlapping concurrent batches: every row sent exactly once, no deadlock', async () => {
    const riders = await Promise.all(Array.from({ length: 6 }, () => smsRider()));
    const ids = await Promise.all(riders.map((rider) => insertOutbox(db().owner, { facilityId, riderId: rider.id })));
    sns.on(PublishCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { MessageId: `sns-${randomUUID()}` };
    });
    const batches = [ids.slice(0, 4), ids.slice(2, 6).reverse(), [ids[5], ids[0], ids[3]]] as string[][];
    const responses = await Promise.all(batches.map((batch) => handle(sqsEventFor(batch))));
    for (const response of responses) expect(response.batchItemFailures).toEqual([]);
    expect(publishCalls().map((call) => call.PhoneNumber).sort()).toEqual(riders.map((rider) => rider.phone).sort());
    for (const id of ids) expect((await outboxState(db().owner, id)).status).toBe('sent');
  });

  test('rows already skipped or failed are not attempted again', async () => {
    const rider = await smsRider();
    const skipped = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    const failed = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    await db().owner.query(`UPDATE notification_outbox SET status = 'skipped', outcome_reason = 'preference_none' WHERE id = $1`, [skipped]);
    await db().owner.query(`UPDATE notification_outbox SET status = 'failed', outcome_reason = 'invalid_phone_number' WHERE id = $1`, [failed]);
    expect(await handle(sqsEventFor([skipped, failed]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
    expect((await outboxState(db().owner, failed)).outcome_reason).toBe('invalid_phone_number');
  });
});

describe('preference, consent and opt-out are honoured: recorded as skipped, nothing sent', () => {
  test.each([
    ['preference none', async () => createRider(db().owner, { facilityId, notifyChannel: 'none', email: 'r@example.test' }), 'preference_none'],
    ['no consent', async () => smsRider({ notifyConsent: false }), 'no_consent'],
    ['SMS opted out (STOP)', async () => {
      const rider = await smsRider();
      await db().owner.query('UPDATE riders SET sms_opted_out = true WHERE id = $1', [rider.id]);
      return rider;
    }, 'sms_opted_out'],
    ['no phone number', async () => createRider(db().owner, { facilityId, notifyChannel: 'sms', phone: null }), 'no_phone'],
    ['no email address', async () => emailRider({ email: null }), 'no_email'],
  ])('%s', async (_, makeRider, reason) => {
    const rider = await makeRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
    expect(sns.commandCalls(CheckIfPhoneNumberIsOptedOutCommand)).toHaveLength(0);
    expect(emailCalls()).toHaveLength(0);
    expect(await outboxState(db().owner, id)).toMatchObject({ status: 'skipped', outcome_reason: reason, sent_at: null,
      provider_message_id: null });
  });

  test('driver en route: skipped for a tenant that has not opted in, and when the notice is stale', async () => {
    const quietRider = await smsRider({ facility: quietFacilityId });
    const quiet = await insertOutbox(db().owner, { facilityId: quietFacilityId, riderId: quietRider.id, event: 'driver_en_route' });
    const rider = await smsRider();
    const stale = await insertOutbox(db().owner, { facilityId, riderId: rider.id, event: 'driver_en_route',
      createdAt: new Date(Date.now() - 3 * 3_600_000) });
    expect(await handle(sqsEventFor([quiet, stale]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
    expect(await outboxState(db().owner, quiet)).toMatchObject({ status: 'skipped', outcome_reason: 'tenant_disabled' });
    expect(await outboxState(db().owner, stale)).toMatchObject({ status: 'skipped', outcome_reason: 'stale' });
  });

  test('ride reminder: skipped once the tenant turned reminders off, and when its pickup window has already opened', async () => {
    const quietRider = await smsRider({ facility: quietFacilityId });
    const quiet = await insertOutbox(db().owner, { facilityId: quietFacilityId, riderId: quietRider.id, event: 'ride_reminder' });
    const rider = await smsRider();
    const opened = new Date(Date.now() - 60_000);
    const late = await insertOutbox(db().owner, { facilityId, riderId: rider.id, event: 'ride_reminder',
      payload: { ...FULL_PAYLOAD, pickupWindowStart: opened.toISOString(), pickupWindowEnd: new Date(opened.getTime() + 1_800_000).toISOString() } });
    expect(await handle(sqsEventFor([quiet, late]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
    expect(await outboxState(db().owner, quiet)).toMatchObject({ status: 'skipped', outcome_reason: 'tenant_disabled' });
    expect(await outboxState(db().owner, late)).toMatchObject({ status: 'skipped', outcome_reason: 'stale' });
  });

  test.each(['series_paused', 'series_resumed', 'series_ended'] as const)(
    '%s: the same rules as any message (STOP, consent, channel none); a rider who allows it gets it', async (event) => {
      const stopped = await smsRider();
      await db().owner.query('UPDATE riders SET sms_opted_out = true WHERE id = $1', [stopped.id]);
      const unconsenting = await smsRider({ notifyConsent: false });
      const silent = await createRider(db().owner, { facilityId, notifyChannel: 'none', email: 'r@example.test' });
      const willing = await smsRider();
      const notice = (rider: { id: string }) => insertOutbox(db().owner, { facilityId, riderId: rider.id, event });
      const toStopped = await notice(stopped);
      const toUnconsenting = await notice(unconsenting);
      const toSilent = await notice(silent);
      const toWilling = await notice(willing);
      expect(await handle(sqsEventFor([toStopped, toUnconsenting, toSilent, toWilling]))).toEqual({ batchItemFailures: [] });
      expect(publishCalls().map((call) => call.PhoneNumber)).toEqual([willing.phone]);
      expect(await outboxState(db().owner, toStopped)).toMatchObject({ status: 'skipped', outcome_reason: 'sms_opted_out' });
      expect(await outboxState(db().owner, toUnconsenting)).toMatchObject({ status: 'skipped', outcome_reason: 'no_consent' });
      expect(await outboxState(db().owner, toSilent)).toMatchObject({ status: 'skipped', outcome_reason: 'preference_none' });
      expect(await outboxState(db().owner, toWilling)).toMatchObject({ status: 'sent', channel: 'sms' });
    });
});

describe('SMS only to allowed calling codes (S28): refused for every event, never retried, never resent', () => {
  test.each(NOTIFICATION_EVENTS)('%s to a +44 number is skipped without calling SNS, and stays skipped', async (event) => {
    const rider = await createRider(db().owner, { facilityId, notifyChannel: 'sms', phone: '+447700900321' });
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id, event });
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
    expect(sns.commandCalls(CheckIfPhoneNumberIsOptedOutCommand)).toHaveLength(0);
    expect(await outboxState(db().owner, id)).toMatchObject({ status: 'skipped', outcome_reason: 'sms_destination_not_allowed',
      sent_at: null, provider_message_id: null });
    // Delivered again (a redrive, a relay sweep): the row is final, nothing is attempted.
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
  });

  test('a notifier configured for +1 and +44 sends to both, and still refuses +33', async () => {
    const wider = createNotifyHandler({
      db: db().as('notifier'), pii: testPii(),
      sms: createSnsSmsChannel(new SNSClient({ region: 'us-east-1' }), { senderId: 'RIDES' }),
      email: createSesEmailChannel(new SESv2Client({ region: 'us-east-1' }), { fromAddress: FROM }),
      settings: { providerName: 'Test Transport', timeZone: 'America/New_York', smsAllowedCallingCodes: ['+1', '+44'] },
    });
    const ids: string[] = [];
    for (const phone of ['+15550107070', '+447700900322', '+33612345678']) {
      const rider = await createRider(db().owner, { facilityId, notifyChannel: 'sms', phone });
      ids.push(await insertOutbox(db().owner, { facilityId, riderId: rider.id }));
    }
    expect(await wider(sqsEventFor(ids), LAMBDA_CONTEXT)).toEqual({ batchItemFailures: [] });
    expect(publishCalls().map((call) => call.PhoneNumber).sort()).toEqual(['+15550107070', '+447700900322']);
    expect(await outboxState(db().owner, ids[2] as string)).toMatchObject({ status: 'skipped', outcome_reason: 'sms_destination_not_allowed' });
  });
});

describe('permanent failures are recorded and not retried', () => {
  test('invalid phone number (SNS InvalidParameter)', async () => {
    const rider = await smsRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    sns.on(PublishCommand).rejects(new InvalidParameterException({ message: 'Invalid parameter: PhoneNumber', ...meta }));
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(await outboxState(db().owner, id)).toMatchObject({ status: 'failed', channel: 'sms', outcome_reason: 'invalid_phone_number' });
  });

  test.each([
    ['SNS reports the number opted out on publish', () => {
      sns.on(PublishCommand).rejects(new OptedOutException({ message: 'Phone number is opted out', ...meta }));
    }],
    ['the opt-out check says the rider replied STOP', () => {
      sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({ isOptedOut: true });
    }],
  ])('%s: failed, the rider is marked opted out, and later messages are skipped without calling SNS', async (_, arrange) => {
    const rider = await smsRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    arrange();
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(await outboxState(db().owner, id)).toMatchObject({ status: 'failed', outcome_reason: 'sms_opted_out' });
    const { rows } = await db().owner.query<{ sms_opted_out: boolean }>('SELECT sms_opted_out FROM riders WHERE id = $1', [rider.id]);
    expect(rows[0]?.sms_opted_out).toBe(true);

    sns.resetHistory();
    const next = await insertOutbox(db().owner, { facilityId, riderId: rider.id, event: 'request_received' });
    expect(await handle(sqsEventFor([next]))).toEqual({ batchItemFailures: [] });
    expect(sns.calls()).toHaveLength(0);
    expect(await outboxState(db().owner, next)).toMatchObject({ status: 'skipped', outcome_reason: 'sms_opted_out' });
  });

  test('SES MessageRejected and a malformed address', async () => {
    const rejectedRider = await emailRider();
    const badRider = await emailRider();
    const rejected = await insertOutbox(db().owner, { facilityId, riderId: rejectedRider.id });
    const bad = await insertOutbox(db().owner, { facilityId, riderId: badRider.id });
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'Email address is not verified', ...meta }));
    ses.on(SendEmailCommand, { Destination: { ToAddresses: [(await openRiderField(db().owner, badRider.id, 'email_enc')) ?? ''] } })
      .rejects(new BadRequestException({ message: 'Missing final @domain', ...meta }));
    expect(await handle(sqsEventFor([rejected, bad]))).toEqual({ batchItemFailures: [] });
    expect(await outboxState(db().owner, rejected)).toMatchObject({ status: 'failed', channel: 'email', outcome_reason: 'email_rejected' });
    expect(await outboxState(db().owner, bad)).toMatchObject({ status: 'failed', outcome_reason: 'invalid_email_address' });
  });

  test('a payload without a valid reference code is failed, not sent', async () => {
    const rider = await smsRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id, payload: { ...FULL_PAYLOAD, referenceCode: '<b>' } });
    expect(await handle(sqsEventFor([id]))).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(0);
    expect(await outboxState(db().owner, id)).toMatchObject({ status: 'failed', outcome_reason: 'invalid_payload' });
  });
});

describe('transient failures are retried by the queue', () => {
  test.each([
    ['SES throttling', 'email', () => ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: 'slow down', ...meta })),
      'retry:throttled'],
    ['SNS 5xx', 'sms', () => sns.on(PublishCommand).rejects(new InternalErrorException({ message: 'internal',
      $metadata: { httpStatusCode: 500 } })), 'retry:provider_unavailable'],
    ['network error', 'sms', () => sns.on(PublishCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
      'retry:network'],
  ] as const)('%s: reported as a batch item failure, row left pending with the reason', async (_, channel, arrange, reason) => {
    const rider = channel === 'sms' ? await smsRider() : await emailRider();
    const id = await insertOutbox(db().owner, { facilityId, riderId: rider.id });
    arrange();
    const event = sqsEventFor([id]);
    const response = await handle(event);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(await outboxState(db().owner, id)).toMatchObject({ status: 'pending', outcome_reason: reason, sent_at: null });
  });

  test('an unreadable message goes back to the queue (and so, in the end, to the DLQ); an unknown id is acknowledged', async () => {
    const unreadable = sqsRecord('{"notAnId": true}');
    const unknown = sqsRecord(JSON.stringify({ outboxId: randomUUID() }));
    const response = await handle({ Records: [unreadable, unknown] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: unreadable.messageId }]);
    expect(sns.calls()).toHaveLength(0);
  });
});

describe('a database failure during delivery hands every record of the batch back to the queue', () => {
  /** Ends the notifier's delivery transaction from outside, as a failover would: its rows stay locked until then. */
  async function terminateDeliveryTransaction(): Promise<number> {
    // Any backend of the notifier's login inside a transaction: its `state` may still read `active`
    // for a moment after the client got its answer (the server reports idleness just after), but
    // `xact_start` is set from BEGIN on.
    const { rows } = await db().owner.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
        WHERE datname = current_database() AND usename = 'nemt_notifier_user' AND xact_start IS NOT NULL`,
    );
    return rows.length;
  }

  test('the connection dies after the messages left: all records back, no row marked, the redelivery sends each once more', async () => {
    const riders = [await smsRider(), await smsRider()];
    const emailed = await emailRider();
    const ids = [...riders.map((rider) => rider.id), emailed.id];
    const outboxIds = await Promise.all(ids.map((riderId) => insertOutbox(db().owner, { facilityId, riderId })));
    // The sends run concurrently: the first one in ends the transaction, the others wait for that.
    let termination: Promise<number> | undefined;
    sns.on(PublishCommand).callsFake(async () => {
      // The first SMS has left when the database goes: the batch's outcomes can no longer be recorded.
      termination ??= terminateDeliveryTransaction();
      await termination;
      return { MessageId: `sns-${randomUUID()}` };
    });
    const event = sqsEventFor(outboxIds);

    const failed = await handle(event);
    expect(await termination).toBe(1);
    expect(failed.batchItemFailures).toEqual(event.Records.map((record) => ({ itemIdentifier: record.messageId })));
    for (const id of outboxIds) {
      expect(await outboxState(db().owner, id)).toMatchObject({ status: 'pending', sent_at: null, provider_message_id: null });
    }
    expect(publishCalls()).toHaveLength(2);
    expect(emailCalls()).toHaveLength(1);

    // The queue delivers the same messages again: each is sent once more (at-least-once), then recorded.
    expect(await handle(event)).toEqual({ batchItemFailures: [] });
    expect(publishCalls().map((call) => call.PhoneNumber).sort())
      .toEqual([...riders, ...riders].map((rider) => rider.phone).sort());
    expect(emailCalls()).toHaveLength(2);
    for (const id of outboxIds) expect((await outboxState(db().owner, id)).status).toBe('sent');

    // Once recorded, a further delivery sends nothing.
    expect(await handle(event)).toEqual({ batchItemFailures: [] });
    expect(publishCalls()).toHaveLength(4);
  });

  test('the database cannot be reached at all: every readable record goes back, nothing is sent', async () => {
    const unreachable = createPgDatabase({ host: '127.0.0.1', port: await freePort(), user: 'nemt_notifier_user', password: 'x',
      database: 'none', max: 1 });
    try {
      const handler = createNotifyHandler({
        db: unreachable, pii: testPii(), sms: createSnsSmsChannel(new SNSClient({ region: 'us-east-1' })),
        email: createSesEmailChannel(new SESv2Client({ region: 'us-east-1' }), { fromAddress: FROM }),
        settings: { providerName: 'Test Transport', timeZone: 'America/New_York' },
      });
      const rider = await smsRider();
      const event = sqsEventFor([await insertOutbox(db().owner, { facilityId, riderId: rider.id }),
        await insertOutbox(db().owner, { facilityId, riderId: rider.id })]);
      const response = await handler(event, LAMBDA_CONTEXT);
      expect(response.batchItemFailures).toEqual(event.Records.map((record) => ({ itemIdentifier: record.messageId })));
      expect(sns.calls()).toHaveLength(0);
    } finally {
      await unreachable.close();
    }
  });
});
