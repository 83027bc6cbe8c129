import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Queryable } from '../../lambdas/shared/db/port';
import type { NotificationEvent, NotificationFields } from '../../lambdas/shared/outbox/write';
import { outboxMessageBody } from '../../lambdas/shared/queue/port';

/** Outbox rows and SQS events for the notification tests (rows written as the owner, like the fixtures). */

export const REFERENCE_CODE = 'ABCDE-FGHJK';

export const FULL_PAYLOAD: NotificationFields = {
  referenceCode: REFERENCE_CODE,
  appointmentAt: '2030-03-04T15:00:00Z',
  pickupWindowStart: '2030-03-04T14:00:00Z',
  pickupWindowEnd: '2030-03-04T14:30:00Z',
  // Read by the series events only (series_confirmed, _paused, _resumed, _ended); every other event ignores them.
  daysOfWeek: [1, 3, 5],
  pickupTime: '07:00',
  startDate: '2030-03-04',
  fromDate: '2030-03-11',
  lastRideDate: '2030-03-08',
};

export async function insertOutbox(
  owner: Queryable,
  input: { facilityId: string; riderId: string; event?: NotificationEvent; payload?: unknown; createdAt?: Date },
): Promise<string> {
  const { rows } = await owner.query<{ id: string }>(
    `INSERT INTO notification_outbox (facility_id, rider_id, event_type, payload, created_at)
     VALUES ($1, $2, $3, $4::jsonb, coalesce($5, now())) RETURNING id`,
    [input.facilityId, input.riderId, input.event ?? 'trip_scheduled', JSON.stringify(input.payload ?? FULL_PAYLOAD),
      input.createdAt ?? null],
  );
  const row = rows[0];
  if (!row) throw new Error('outbox insert returned nothing');
  return row.id;
}

export interface OutboxState {
  status: string;
  channel: string | null;
  provider_message_id: string | null;
  outcome_reason: string | null;
  sent_at: string | null;
  dispatched_at: string | null;
  attempts: number;
}

export async function outboxState(owner: Queryable, id: string): Promise<OutboxState> {
  const { rows } = await owner.query<OutboxState>(
    `SELECT status, channel, provider_message_id, outcome_reason, sent_at, dispatched_at, attempts
       FROM notification_outbox WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

export function sqsRecord(body: string, messageId: string = randomUUID()): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:notifications',
    awsRegion: 'us-east-1',
  };
}

/** An SQS event carrying one message per outbox id, as the event source mapping would deliver it. */
export function sqsEventFor(outboxIds: readonly string[]): SQSEvent {
  return { Records: outboxIds.map((id) => sqsRecord(outboxMessageBody(id))) };
}

export const LAMBDA_CONTEXT = { awsRequestId: 'test-request', functionName: 'notify' } as Context;
