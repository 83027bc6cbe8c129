import * as z from 'zod';

/** Building blocks shared by every route's schemas: strict, bounded, explicit. */
export const Uuid = z.uuid();

// PostgreSQL refuses offsets beyond ±15:59, year 0 and NUL characters (SQLSTATE 22009, 22008,
// 22021), and instants outside years 1–9999 do not survive the trip back; refuse them here,
// with a path, instead of answering 500 from the database.
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');
const MAX_OFFSET_MINUTES = 14 * 60;

function storableInstant(value: string): boolean {
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(value);
  if (offset && Number(offset[2]) * 60 + Number(offset[3]) > MAX_OFFSET_MINUTES) return false;
  const instant = Date.parse(value);
  return instant >= FIRST_INSTANT && instant <= LAST_INSTANT;
}

const noNul = (value: string) => !value.includes('\u0000');

// Each check stops the ones after it (`abort`), so a bad value gets one message, the first that applies.
export const IsoDateTime = z.iso
  .datetime({ offset: true, abort: true, error: 'An ISO 8601 date and time with its offset, e.g. 2030-03-04T15:00:00-05:00' })
  .max(64, { abort: true, error: 'At most 64 characters' })
  .refine(storableInstant, { message: 'Offset within ±14:00 and a year from 0001 to 9999', abort: true });
export const IsoDate = z.iso
  .date({ abort: true, error: 'An ISO 8601 date, e.g. 2030-03-04' })
  .refine((value) => !value.startsWith('0000'), { message: 'Year from 0001', abort: true });

/**
 * How far in the past an "upcoming" time may be and still be taken: a client's clock a little
 * ahead of ours, or a form sent a moment before the hour it names, is not a time in the past.
 */
export const CLOCK_SKEW_MINUTES = 5;

let pastTimesTaken = false;

/**
 * Runs a (synchronous) parse that takes times already past: a retried request whose first try
 * was committed must get its stored answer, even when the time it named has passed meanwhile.
 */
export function parsedEvenIfPast<T>(parse: () => T): T {
  pastTimesTaken = true;
  try {
    return parse();
  } finally {
    pastTimesTaken = false;
  }
}

/**
 * An appointment or pickup being requested or scheduled: one already over is refused (422 at its
 * path). Only what a client asks for is checked; answers carry whatever times the records hold.
 */
export const UpcomingDateTime = IsoDateTime.refine(
  (value) => pastTimesTaken || Date.parse(value) >= Date.now() - CLOCK_SKEW_MINUTES * 60_000,
  { message: 'This time is already past; give one that is still to come', abort: true },
).describe(`Not in the past (up to ${CLOCK_SKEW_MINUTES} minutes earlier is taken, for clock skew)`);
export const E164Phone = z.string().max(16).regex(/^\+[1-9][0-9]{6,14}$/, 'E.164 phone number, e.g. +15551234567');
export const Email = z.email().max(254);

export const text = (max: number) => z.string().trim().min(1).max(max).refine(noNul, 'Must not contain NUL characters');
export const Address = text(500);
export const Note = z.string().max(2000).refine(noNul, 'Must not contain NUL characters');
export const Mobility = z.enum(['ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher'])
  .describe('The level of service: ambulatory, wheelchair, wheelchair_xl (bariatric wheelchair) or stretcher');
/** With the trip's mobility, its level of service (docs/architecture.md, "Vehicles and level of service"). */
export const Oxygen = z.boolean().describe('The rider travels with oxygen: the vehicle must carry it');
export const Companions = z.number().int().min(0).max(3).describe('Escorts or companions riding along (0 to 3), each needing a seat');
export const NotifyChannel = z.enum(['sms', 'email', 'none']);
export const ReturnTrip = z.enum(['none', 'scheduled', 'will_call']);
export const CancellationReasonCode = z.enum(['booked_by_mistake', 'changed_plans', 'unable_to_make_trip', 'other']);

/**
 * Protected fields that could not be shown, by field name: "erased" (the rider was erased: the
 * key is destroyed) or "unreadable" (the stored value failed its integrity check). The field
 * itself is then null.
 */
export const Unavailable = z.record(z.string(), z.enum(['erased', 'unreadable']));

/** Opaque keyset cursor, validated again when decoded. */
export const Cursor = z.string().max(200).regex(/^[A-Za-z0-9_-]{1,200}$/);
export const Limit = z.coerce.number().int().min(1).max(100).default(50);
export const PageQuery = { cursor: Cursor.optional(), limit: Limit };

export const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), nextCursor: Cursor.nullable() });

export const NoBody = z.strictObject({});
