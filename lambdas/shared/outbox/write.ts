import { randomUUID } from 'node:crypto';
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
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationFields {
  referenceCode: string;
  /** ISO-8601 instants; templates format them in the provider's time zone. */
  appointmentAt?: string;
  pickupWindowStart?: string;
  pickupWindowEnd?: string;
}

export interface OutboxMessage {
  facilityId: string;
  riderId: string;
  tripRequestId: string;
  event: NotificationEvent;
  fields: NotificationFields;
}

/** Inserts the row in the caller's transaction and returns its id for the after-commit hand-off. */
export async function writeOutbox(tx: Queryable, message: OutboxMessage): Promise<string> {
  const id = randomUUID();
  const fields: NotificationFields = {
    referenceCode: message.fields.referenceCode,
    ...(message.fields.appointmentAt ? { appointmentAt: message.fields.appointmentAt } : {}),
    ...(message.fields.pickupWindowStart ? { pickupWindowStart: message.fields.pickupWindowStart } : {}),
    ...(message.fields.pickupWindowEnd ? { pickupWindowEnd: message.fields.pickupWindowEnd } : {}),
  };
  await tx.query(
    `INSERT INTO notification_outbox (facility_id, id, rider_id, trip_request_id, event_type, payload)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
    [message.facilityId, id, message.riderId, message.tripRequestId, message.event, JSON.stringify(fields)],
  );
  return id;
}
