import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PiiCrypto } from '../shared/crypto/pii';
import type { Database, Queryable } from '../shared/db/port';
import { logger } from '../shared/log';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../shared/outbox/write';
import { parseOutboxMessage } from '../shared/queue/port';
import { DEFAULT_SMS_ALLOWED_CALLING_CODES, smsDestinationAllowed } from '../shared/domain/sms-destinations';
import type { ChannelResult, EmailChannel, SmsChannel } from './channels/port';
import { type TemplateFields, templateFieldsFor, type TemplateSettings } from './templates/fields';
import { renderEmail, renderSms } from './templates/render';

export interface NotifierSettings extends TemplateSettings {
  /** A "driver on the way" text older than this is no longer true; it is skipped, not sent. */
  readonly driverEnRouteMaxAgeMinutes?: number;
  /** Messages of one batch sent to the providers at once. */
  readonly concurrency?: number;
  /** Country calling codes SMS may go to (SMS_ALLOWED_CALLING_CODES); default `+1`. */
  readonly smsAllowedCallingCodes?: readonly string[];
}

/** The ports the notifier runs on, chosen at the edge (Lambda entry, local stack, tests). */
export interface NotifierDependencies {
  readonly db: Database;
  /** Opens the rider's sealed phone and email, with the same keys and caches as the API. */
  readonly pii: PiiCrypto;
  readonly sms: SmsChannel;
  readonly email: EmailChannel;
  readonly settings: NotifierSettings;
}

export type Channel = 'sms' | 'email';

/** Why a notification was not sent; stored in notification_outbox.outcome_reason. */
export type SkipReason =
  | 'preference_none' | 'no_consent' | 'sms_opted_out' | 'no_phone' | 'no_email' | 'tenant_disabled' | 'stale'
  | 'rider_unavailable' | 'rider_erased' | 'sms_destination_not_allowed';

export type DeliveryOutcome =
  | { readonly kind: 'sent'; readonly channel: Channel; readonly messageId: string }
  | { readonly kind: 'skipped'; readonly reason: SkipReason; readonly channel?: Channel }
  | { readonly kind: 'failed'; readonly reason: string; readonly channel?: Channel }
  /** The row was already sent, skipped or failed: redelivery does nothing. */
  | { readonly kind: 'already_final'; readonly status: string }
  | { readonly kind: 'not_found' }
  /** Transient failure: the row stays pending and the queue delivers the message again. */
  | { readonly kind: 'retry'; readonly reason: string; readonly channel?: Channel };

interface OutboxRow {
  id: string;
  facility_id: string;
  status: string;
  event_type: string;
  payload: unknown;
  created_at: string;
  rider_id: string | null;
  data_key: Buffer | null;
  erased: boolean | null;
  phone_enc: Buffer | null;
  email_enc: Buffer | null;
  notify_channel: 'sms' | 'email' | 'none' | null;
  notify_consent: boolean | null;
  sms_opted_out: boolean | null;
  notify_driver_en_route: boolean;
  notify_ride_reminder: boolean;
}

/** A row with the one contact its channel needs opened (the other stays sealed). */
interface OutboxForDelivery extends OutboxRow {
  phone: string | null;
  email: string | null;
  /** The sealed contact failed its integrity check (logged, ids only). */
  contactUnreadable: boolean;
}

const DEFAULT_EN_ROUTE_MAX_AGE_MINUTES = 60;
const DEFAULT_CONCURRENCY = 10;

function isEvent(value: string): value is NotificationEvent {
  return (NOTIFICATION_EVENTS as readonly string[]).includes(value);
}

function reminderWindowStart(payload: unknown): number {
  const start = (payload as { pickupWindowStart?: unknown } | null)?.pickupWindowStart;
  const at = typeof start === 'string' ? Date.parse(start) : Number.NaN;
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}

/** What stops a message before any provider is called; undefined means go ahead. */
function skipReason(row: OutboxForDelivery, event: NotificationEvent, settings: NotifierSettings): SkipReason | undefined {
  if (event === 'driver_en_route') {
    if (!row.notify_driver_en_route) return 'tenant_disabled';
    const maxAgeMs = (settings.driverEnRouteMaxAgeMinutes ?? DEFAULT_EN_ROUTE_MAX_AGE_MINUTES) * 60_000;
    if (Date.now() - Date.parse(row.created_at) > maxAgeMs) return 'stale';
  }
  if (event === 'ride_reminder') {
    if (!row.notify_ride_reminder) return 'tenant_disabled';
    // A reminder that arrives after the pickup window opened tells the rider nothing true.
    if (Date.now() >= reminderWindowStart(row.payload)) return 'stale';
  }
  if (row.rider_id === null) return 'rider_unavailable';
  if (row.erased) return 'rider_erased';
  if (row.notify_channel === 'none') return 'preference_none';
  if (row.notify_consent !== true) return 'no_consent';
  if (row.notify_channel === 'sms') {
    if (row.sms_opted_out) return 'sms_opted_out';
    if (!row.phone) return 'no_phone';
    // SMS pumping (S28): never text a number outside the allowed calling codes, whatever the event.
    if (!smsDestinationAllowed(row.phone, settings.smsAllowedCallingCodes ?? DEFAULT_SMS_ALLOWED_CALLING_CODES)) {
      return 'sms_destination_not_allowed';
    }
  }
  if (row.notify_channel === 'email' && !row.email) return 'no_email';
  return undefined;
}

async function send(deps: NotifierDependencies, channel: Channel, event: NotificationEvent, row: OutboxForDelivery,
  fields: TemplateFields): Promise<ChannelResult> {
  if (channel === 'sms') {
    return deps.sms.sendSms({ to: row.phone as string, body: renderSms(event, fields) });
  }
  return deps.email.sendEmail({ to: row.email as string, ...renderEmail(event, fields) });
}

/** Decides and (when it should) sends one locked row; never throws for a provider problem. */
async function attempt(deps: NotifierDependencies, row: OutboxForDelivery): Promise<DeliveryOutcome> {
  if (row.status !== 'pending') return { kind: 'already_final', status: row.status };
  if (!isEvent(row.event_type)) return { kind: 'failed', reason: 'unknown_event' };
  const event = row.event_type;
  const channel: Channel | undefined = row.notify_channel === 'sms' || row.notify_channel === 'email' ? row.notify_channel : undefined;
  const skip = skipReason(row, event, deps.settings);
  if (skip) return { kind: 'skipped', reason: skip, channel };
  if (row.contactUnreadable) return { kind: 'failed', reason: 'contact_unreadable', channel };
  const fields = templateFieldsFor(event, row.payload, deps.settings);
  if (!fields || !channel) return { kind: 'failed', reason: 'invalid_payload', channel };

  const result = await send(deps, channel, event, row, fields);
  if (result.ok) return { kind: 'sent', channel, messageId: result.messageId };
  if (result.permanent) return { kind: 'failed', reason: result.reason, channel };
  return { kind: 'retry', reason: result.reason, channel };
}

interface RecordedOutcome {
  id: string;
  status: 'sent' | 'skipped' | 'failed' | 'pending';
  channel: Channel | null;
  message_id: string | null;
  reason: string | null;
}

function recordedOutcome(id: string, outcome: DeliveryOutcome): RecordedOutcome | undefined {
  switch (outcome.kind) {
    case 'sent':
      return { id, status: 'sent', channel: outcome.channel, message_id: outcome.messageId, reason: null };
    case 'skipped':
    case 'failed':
      return { id, status: outcome.kind, channel: outcome.channel ?? null, message_id: null, reason: outcome.reason };
    case 'retry':
      // Still pending; the reason tells an operator why the row is waiting.
      return { id, status: 'pending', channel: outcome.channel ?? null, message_id: null, reason: `retry:${outcome.reason}` };
    default:
      return undefined;
  }
}

async function eachWithConcurrency<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Opens the contact each pending row will be sent to — the phone for SMS, the email for email —
 * and nothing else. Keys come from the caches: one key-service call per tenant at most.
 */
async function openContacts(pii: PiiCrypto, tx: Queryable, rows: OutboxRow[]): Promise<OutboxForDelivery[]> {
  const opened: OutboxForDelivery[] = [];
  for (const row of rows) {
    const delivery: OutboxForDelivery = { ...row, phone: null, email: null, contactUnreadable: false };
    const column = row.notify_channel === 'sms' ? 'phone_enc' : row.notify_channel === 'email' ? 'email_enc' : undefined;
    const sealed = column ? row[column] : null;
    if (row.status === 'pending' && row.rider_id && !row.erased && column && sealed) {
      const key = await pii.openRiderKey(tx, row.facility_id, row.rider_id, row.data_key);
      const field = pii.openField(key, { table: 'riders', column, rowId: row.rider_id, facilityId: row.facility_id }, sealed);
      if (field.ok) delivery[column === 'phone_enc' ? 'phone' : 'email'] = field.value;
      else delivery.contactUnreadable = true;
    }
    opened.push(delivery);
  }
  return opened;
}

/**
 * Delivers outbox rows, at most once per row however often their messages arrive. One
 * transaction locks the rows FOR UPDATE (in id order, so concurrent batches cannot deadlock),
 * sends what is due, and records every outcome in one statement. A duplicate delivery running at
 * the same time waits for the lock and then finds its row final. (If the process dies, or the
 * database goes, after a provider accepted a message but before the commit, the redelivery sends
 * it again: at-least-once is the best a provider API without idempotency keys allows. That window
 * is the batch's slowest send, one UPDATE and the COMMIT; each provider call is bounded, see
 * PROVIDER_CLIENT_CONFIG.)
 */
export async function deliverOutboxRows(deps: NotifierDependencies, outboxIds: readonly string[]): Promise<Map<string, DeliveryOutcome>> {
  const ids = [...new Set(outboxIds)];
  return deps.db.transaction(async (tx) => {
    const { rows: locked } = await tx.query<OutboxRow>(
      `SELECT o.id, o.facility_id, o.status, o.event_type, o.payload, o.created_at, r.id AS rider_id, r.data_key,
              r.erased_at IS NOT NULL AS erased, r.phone_enc, r.email_enc, r.notify_channel, r.notify_consent, r.sms_opted_out,
              f.notify_driver_en_route, f.notify_ride_reminder
         FROM notification_outbox o
         JOIN facilities f ON f.id = o.facility_id
         LEFT JOIN riders r ON r.facility_id = o.facility_id AND r.id = o.rider_id
        WHERE o.id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))
        ORDER BY o.id
          FOR UPDATE OF o`,
      [JSON.stringify(ids)],
    );
    const rows = await openContacts(deps.pii, tx, locked);
    const outcomes = new Map<string, DeliveryOutcome>(ids.map((id) => [id, { kind: 'not_found' }]));
    await eachWithConcurrency(rows, deps.settings.concurrency ?? DEFAULT_CONCURRENCY, async (row) => {
      outcomes.set(row.id, await attempt(deps, row));
    });

    const recorded = [...outcomes].flatMap(([id, outcome]) => recordedOutcome(id, outcome) ?? []);
    if (recorded.length > 0) {
      await tx.query(
        `UPDATE notification_outbox o
            SET status = v.status, channel = v.channel, provider_message_id = v.message_id, outcome_reason = v.reason,
                sent_at = CASE WHEN v.status = 'sent' THEN now() END
           FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, status text, channel text, message_id text, reason text)
          WHERE o.id = v.id`,
        [JSON.stringify(recorded)],
      );
    }
    // The rider replied STOP to the provider: remember it, so nothing is attempted again.
    const optedOut = rows.filter((row) => {
      const outcome = outcomes.get(row.id);
      return outcome?.kind === 'failed' && outcome.reason === 'sms_opted_out' && row.rider_id;
    }).map((row) => row.rider_id);
    if (optedOut.length > 0) {
      await tx.query('UPDATE riders SET sms_opted_out = true WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))',
        [JSON.stringify(optedOut)]);
    }
    return outcomes;
  });
}

/**
 * One SQS batch with partial batch failure: a record is reported for another delivery only when
 * trying again can help (transient provider trouble, database errors, an unreadable message that
 * should reach the dead-letter queue). Sent, skipped and permanently failed rows are acknowledged.
 */
export async function processBatch(deps: NotifierDependencies, event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  const readable: { outboxId: string; sqsMessageId: string; receiveCount?: string }[] = [];
  for (const sqsRecord of event.Records) {
    const outboxId = parseOutboxMessage(sqsRecord.body);
    if (outboxId) {
      readable.push({ outboxId, sqsMessageId: sqsRecord.messageId, receiveCount: sqsRecord.attributes?.ApproximateReceiveCount });
    } else {
      logger.error('unreadable notification message', { sqsMessageId: sqsRecord.messageId });
      batchItemFailures.push({ itemIdentifier: sqsRecord.messageId });
    }
  }
  if (readable.length === 0) return { batchItemFailures };

  let outcomes: Map<string, DeliveryOutcome>;
  try {
    outcomes = await deliverOutboxRows(deps, readable.map((message) => message.outboxId));
  } catch (error) {
    logger.error('notification batch failed', { outboxIds: readable.map((message) => message.outboxId),
      errorName: (error as Error)?.name });
    for (const message of readable) batchItemFailures.push({ itemIdentifier: message.sqsMessageId });
    return { batchItemFailures };
  }
  for (const message of readable) {
    const outcome = outcomes.get(message.outboxId) ?? { kind: 'not_found' };
    const entry = { ...outcome, ...message };
    if (outcome.kind === 'retry') {
      logger.warn('notification will be retried', entry);
      batchItemFailures.push({ itemIdentifier: message.sqsMessageId });
    } else if (outcome.kind === 'failed' || outcome.kind === 'not_found') {
      logger.error('notification not delivered', entry);
    } else {
      logger.info('notification processed', entry);
    }
  }
  return { batchItemFailures };
}

/** The SQS-triggered handler (batch size 10, ReportBatchItemFailures on the event source). */
export function createNotifyHandler(deps: NotifierDependencies) {
  return middy<SQSEvent, SQSBatchResponse>().handler((event) => processBatch(deps, event));
}
