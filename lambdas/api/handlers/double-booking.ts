import { DatabaseError, SqlState } from '../../shared/db/port';
import type { Queryable } from '../../shared/db/port';
import { type HttpProblem, Problems } from '../../shared/http/problem';
import type { Actor } from '../../shared/tenancy/actor';
import { findDriverClash } from '../data/legs';
import { RefusalToExplain } from '../handler-types';

/** A booking the database may refuse: this leg, this driver, this window. */
export interface BookingAttempt {
  legId: string;
  driverId: string;
  pickupAt: string;
  dropoffAt: string;
}

/**
 * The 409 for a refused double booking. Dispatchers (the only role that assigns or times legs)
 * learn which of the driver's legs clashes: its ids, reference code and window, with the window in
 * the provider's time zone in the detail. Any other actor gets the plain problem: the clashing leg
 * may be another tenant's. If the clash is gone by the time it is read (unassigned meanwhile),
 * the answer says to try again.
 */
export async function driverDoubleBookedProblem(tx: Queryable, actor: Actor, attempt: BookingAttempt, timeZone: string):
  Promise<HttpProblem> {
  if (actor.role !== 'Dispatcher') return Problems.driverDoubleBooked();
  const clash = await findDriverClash(tx, attempt);
  if (!clash) return Problems.driverDoubleBooked('The driver had a leg in that time window a moment ago; try again.');
  const window = new Intl.DateTimeFormat('en-US', {
    timeZone, weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  }).formatRange(new Date(clash.scheduledPickupAt), new Date(clash.scheduledDropoffAt))
    // ICU spaces times with narrow and thin no-break spaces; a detail is plain text.
    .replace(/[\u2009\u202f]/g, ' ');
  return Problems.driverDoubleBooked(`The driver already has trip ${clash.referenceCode} at ${window}.`, clash);
}

/**
 * For `.catch` on the UPDATE the exclusion constraint may refuse: the database stays the judge
 * (of two concurrent bookings exactly one wins); its refusal is explained after the rollback.
 */
export function explainDoubleBooking(actor: Actor, attempt: BookingAttempt | undefined, timeZone: string) {
  return (error: unknown): never => {
    if (attempt && error instanceof DatabaseError && error.code === SqlState.exclusionViolation) {
      throw new RefusalToExplain(error, (tx) => driverDoubleBookedProblem(tx, actor, attempt, timeZone));
    }
    throw error;
  };
}
