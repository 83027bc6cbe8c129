import { z } from 'zod';

/** Building blocks shared by every route's schemas: strict, bounded, explicit. */
export const Uuid = z.uuid();
export const IsoDateTime = z.iso.datetime({ offset: true });
export const IsoDate = z.iso.date();
export const E164Phone = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'E.164 phone number, e.g. +15551234567');
export const Email = z.email().max(254);

export const text = (max: number) => z.string().trim().min(1).max(max);
export const Address = text(500);
export const Note = z.string().max(2000);
export const Mobility = z.enum(['ambulatory', 'wheelchair', 'stretcher']);
export const NotifyChannel = z.enum(['sms', 'email', 'none']);
export const ReturnTrip = z.enum(['none', 'scheduled', 'will_call']);
export const CancellationReasonCode = z.enum(['booked_by_mistake', 'changed_plans', 'unable_to_make_trip', 'other']);

/** Opaque keyset cursor, validated again when decoded. */
export const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/);
export const Limit = z.coerce.number().int().min(1).max(100).default(50);
export const PageQuery = { cursor: Cursor.optional(), limit: Limit };

export const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), nextCursor: Cursor.nullable() });

export const NoBody = z.strictObject({});
