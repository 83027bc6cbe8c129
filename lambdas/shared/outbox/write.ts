import { randomUUID } from 'node:crypto';
import { type AuditEvent, auditEventInsert, type NumberedStatement } from '../audit/record';
import type { Queryable } from '../db/port';

/**
 * Outbox rows carry only receipt-level fields — a typed allow-list, never a trip or rider
 * object — so nothing clinical can reach a template (PRODUCT.md §6, SECURITY S21).
 */
export const NOTIFICATION_EVENTS = [
  'request_received',
  'trip_scheduled',
  'cancellation_approved',
  'cancellation_denied',
  'request_rejected',
  'driver_en_route',
  /** A standing order was accepted: its days and local pickup time (PRODUCT.md §10), once per series. */
  'series_confirmed',
  /** The evening before a ride, for tenants that opt in (facilities.notify_ride_reminder). */
  'ride_reminder',
  /** A standing order paused, resumed or ended: once per change, never per ride (PRODUCT.md §10). */
  'series_paused',
  'series_resumed',
  'series_ended',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationFields {
  /** Every message about a trip carries its code; a series confirmation may have none. */
  referenceCode?: string;
  /** ISO-8601 instants; templates format them in the provider's time zone. */
  appointmentAt?: string;
  pickupWindowStart?: string;
  pickupWindowEnd?: string;
  /** Series events: ISO weekdays (1 = Monday … 7 = Sunday) the series runs on. */
  daysOfWeek?: number[];
  /** Series events: the local pickup time, `HH:MM` in the provider's zone. */
  pickupTime?: string;
  /** series_confirmed: the first day of the series, `YYYY-MM-DD` (a local date). */
  startDate?: string;
  /** series_paused: the first day without a ride; series_resumed: the first day with one again (local dates). */
  fromDate?: string;
  /** series_ended: the last ride still to happen (a local date); absent when there is none. */
  lastRideDate?: string;
}

export interface OutboxMessage {
  facilityId: string;
  riderId: string;
  /** Null for a message about a whole series (series_confirmed, series_paused, …). */
  tripRequestId: string | null;
  event: NotificationEvent;
  fields: NotificationFields;
}

/**
 * The row's INSERT with placeholders from `$first` (the only copy of its column list) and the id it
 * names (a new one unless the caller recorded it elsewhere first).
 */
export function outboxInsert(message: OutboxMessage, first = 1, id: string = randomUUID()): NumberedStatement & { id: string } {
  const fields: NotificationFields = {
    ...(message.fields.referenceCode ? { referenceCode: message.fields.referenceCode } : {}),
    ...(message.fields.appointmentAt ? { appointmentAt: message.fields.appointmentAt } : {}),
    ...(message.fields.pickupWindowStart ? { pickupWindowStart: message.fields.pickupWindowStart } : {}),
    ...(message.fields.pickupWindowEnd ? { pickupWindowEnd: message.fields.pickupWindowEnd } : {}),
    ...(message.fields.daysOfWeek ? { daysOfWeek: [...message.fields.daysOfWeek] } : {}),
    ...(message.fields.pickupTime ? { pickupTime: message.fields.pickupTime } : {}),
    ...(message.fields.startDate ? { startDate: message.fields.startDate } : {}),
    ...(message.fields.fromDate ? { fromDate: message.fields.fromDate } : {}),
    ...(message.fields.lastRideDate ? { lastRideDate: message.fields.lastRideDate } : {}),
  };
  const at = (offset: number) => `$${first + offset}`;
  return {
    id,
    sql: `INSERT INTO notification_outbox (facility_id, id, rider_id, trip_request_id, event_type, payload)
     VALUES (${at(0)}::uuid, ${at(1)}::uuid, ${at(2)}::uuid, ${at(3)}::uuid, ${at(4)}, ${at(5)}::jsonb)`,
    params: [message.facilityId, id, message.riderId, message.tripRequestId, message.event, JSON.stringify(fields)],
  };
}

/** Inserts the row in the caller's transaction and returns its id for the after-commit hand-off. */
export async function writeOutbox(tx: Queryable, message: OutboxMessage): Promise<string> {
  const insert = outboxInsert(message);
  await tx.query(insert.sql, insert.params);
  return insert.id;
}

/**
 * The audit event and the outbox row in one statement (a data-modifying CTE): one round trip
 * instead of two on the write path (docs/performance.md, P5). Both inserts still pass their own
 * policies, and the chain trigger still fills in the event; the outbox has no trigger on insert,
 * so which of the two Postgres runs first changes nothing. Returns the outbox id.
 */
export async function writeOutboxWithAudit(tx: Queryable, event: AuditEvent, message: OutboxMessage): Promise<string> {
  const audit = auditEventInsert(event);
  const outbox = outboxInsert(message, audit.params.length + 1);
  await tx.query(`WITH audit_event AS (${audit.sql}) ${outbox.sql}`, [...audit.params, ...outbox.params]);
  return outbox.id;
}
