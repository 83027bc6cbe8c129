import { DatabaseError, SqlState } from '../../shared/db/port';
import type { Queryable } from '../../shared/db/port';
import { type HttpProblem, Problems } from '../../shared/http/problem';
import type { Actor } from '../../shared/tenancy/actor';
import { findClash, type LegClash } from '../data/legs';
import { RefusalToExplain } from '../handler-types';

/** A booking the database may refuse: this leg, this driver (and vehicle), this window. */
export interface BookingAttempt {
  legId: string;
  driverId: string;
  /** Absent on a leg assigned before vehicles were recorded. */
  vehicleId?: string | null;
  pickupAt: string;
  dropoffAt: string;
}

const VEHICLE_OVERLAP = 'trip_legs_vehicle_no_overlap';

function windowOf(clash: LegClash, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone, weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  }).formatRange(new Date(clash.scheduledPickupAt), new Date(clash.scheduledDropoffAt))
    // ICU spaces times with narrow and thin no-break spaces; a detail is plain text.
    .replace(/[\u2009\u202f]/g, ' ');
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
  const clash = await findClash(tx, { column: 'driver_id', id: attempt.driverId }, attempt);
  if (!clash) return Problems.driverDoubleBooked('The driver had a leg in that time window a moment ago; try again.');
  return Problems.driverDoubleBooked(`The driver already has trip ${clash.referenceCode} at ${windowOf(clash, timeZone)}.`, clash);
}

/** The same answer for the vehicle (schema/0022), naming the vehicle as dispatchers know it. */
export async function vehicleDoubleBookedProblem(tx: Queryable, actor: Actor, attempt: BookingAttempt & { vehicleId: string },
  timeZone: string): Promise<HttpProblem> {
  if (actor.role !== 'Dispatcher') return Problems.vehicleDoubleBooked();
  const { rows } = await tx.query<{ name: string }>('SELECT name FROM vehicles WHERE id = $1', [attempt.vehicleId]);
  const name = rows[0]?.name ?? 'The vehicle';
  const clash = await findClash(tx, { column: 'vehicle_id', id: attempt.vehicleId }, attempt);
  if (!clash) return Problems.vehicleDoubleBooked(`${name} had a leg in that time window a moment ago; try again.`);
  return Problems.vehicleDoubleBooked(`${name} already has trip ${clash.referenceCode} at ${windowOf(clash, timeZone)}.`, clash);
}

/**
 * For `.catch` on the UPDATE an exclusion constraint may refuse: the database stays the judge
 * (of two concurrent bookings exactly one wins); its refusal is explained after the rollback,
 * by the constraint that refused it (the driver's or the vehicle's).
 */
export function explainDoubleBooking(actor: Actor, attempt: BookingAttempt | undefined, timeZone: string) {
  return (error: unknown): never => {
    if (attempt && error instanceof DatabaseError && error.code === SqlState.exclusionViolation) {
      const vehicleId = attempt.vehicleId;
      if (error.constraint === VEHICLE_OVERLAP && vehicleId) {
        throw new RefusalToExplain(error, (tx) => vehicleDoubleBookedProblem(tx, actor, { ...attempt, vehicleId }, timeZone));
      }
      if (error.constraint !== VEHICLE_OVERLAP) {
        throw new RefusalToExplain(error, (tx) => driverDoubleBookedProblem(tx, actor, attempt, timeZone));
      }
    }
    throw error;
  };
}
