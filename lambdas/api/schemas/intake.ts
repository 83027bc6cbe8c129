import * as z from 'zod';
import { Companions, E164Phone, Email, IsoDate, Mobility, Note, NotifyChannel, Oxygen, text, UpcomingDateTime } from './common';

/**
 * The public intake's request and answers. A module of their own, importing only the common
 * types: the intake Lambda loads these and nothing of the signed-in API's schemas (P1).
 */
export const IntakeBody = z.strictObject({
  fullName: text(200),
  phone: E164Phone,
  email: Email.optional(),
  dateOfBirth: IsoDate.optional(),
  pickupAddress: text(500),
  dropoffAddress: text(500),
  appointmentAt: UpcomingDateTime,
  requestedPickupAt: UpcomingDateTime.optional(),
  returnTrip: z.enum(['none', 'scheduled', 'will_call']).default('none'),
  requestedReturnAt: UpcomingDateTime.optional(),
  mobility: Mobility.default('ambulatory'),
  oxygen: Oxygen.default(false),
  companions: Companions.default(0),
  notes: Note.optional(),
  notifyChannel: NotifyChannel.default('sms'),
  notifyConsent: z.boolean(),
  /** The solved proof of work: base64 of the JSON `{ algorithm, challenge, number, salt, signature }`. */
  altcha: z.string().min(1).max(4096)
    .describe('The solved challenge of GET /v1/intake/challenge: base64 of JSON { algorithm, challenge, number, salt, signature }'),
});
/** An ALTCHA challenge (altcha-lib createChallenge); the salt carries its expiry, 10 minutes after issue. */
export const IntakeChallenge = z.strictObject({
  algorithm: z.literal('SHA-256'),
  challenge: z.string(),
  maxnumber: z.number().int(),
  salt: z.string(),
  signature: z.string(),
});
export const IntakeReceipt = z.strictObject({ receiptCode: z.string() });
