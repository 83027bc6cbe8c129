import type { Queryable } from '../../shared/db/port';
import { Problems } from '../../shared/http/problem';
import { missingForService, VEHICLE_KIND_LABELS } from '../../shared/domain/vehicles';
import type { LegRow } from '../data/legs';
import { capabilitiesOf, findVehicle, levelOfServiceOf, readingOf, type VehicleRow } from '../data/vehicles';

/**
 * The checks made when a vehicle is chosen and when a leg is completed, said in words. The
 * database makes the same refusals (schema/0022) and stays the judge when two changes race.
 */

const miles = (value: number) => `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })} mi`;

/** The vehicle, if it is in service and can carry the leg's trip; the refusal in words otherwise. */
export async function vehicleFor(tx: Queryable, leg: Pick<LegRow, 'facility_id' | 'trip_request_id'>, vehicleId: string):
  Promise<VehicleRow> {
  const vehicle = await findVehicle(tx, vehicleId);
  if (!vehicle) throw Problems.validation([{ path: 'vehicleId', message: 'No such vehicle' }]);
  if (vehicle.status === 'retired') throw Problems.vehicleOutOfService(`${vehicle.name} is retired.`);
  if (vehicle.status === 'out_of_service') {
    throw Problems.vehicleOutOfService(`${vehicle.name} is out of service: ${vehicle.out_of_service_reason ?? 'no reason given'}.`);
  }
  const service = await levelOfServiceOf(tx, leg);
  const missing = service && missingForService(capabilitiesOf(vehicle), service);
  if (missing) {
    throw Problems.vehicleLacksServiceLevel(
      `${vehicle.name} (${VEHICLE_KIND_LABELS[vehicle.kind]}) cannot carry this trip: it needs ${missing}.`);
  }
  return vehicle;
}

/**
 * A completion's odometer against the vehicle's last reading: never below it (422
 * odometer-below-last-reading), and no jump, from that reading or within the leg, larger than
 * `maxJump` miles (422 odometer-jump-too-large: most likely a typo).
 */
export async function assertOdometerPlausible(tx: Queryable, leg: Pick<LegRow, 'vehicle_id'>,
  odometer: { start: number; end: number }, maxJump: number): Promise<void> {
  if (odometer.end - odometer.start > maxJump) {
    throw Problems.odometerJumpTooLarge(`This leg would be ${miles(odometer.end - odometer.start)} long, more than ${miles(maxJump)}: check the odometer `
      + 'figures (a digit too many?).', 'odometerEnd');
  }
  const vehicle = leg.vehicle_id === null ? undefined : await findVehicle(tx, leg.vehicle_id);
  const last = vehicle ? readingOf(vehicle) : null;
  if (!vehicle || last === null) return;
  if (odometer.start < last) {
    throw Problems.odometerBelowLastReading(`The odometer start, ${miles(odometer.start)}, is below ${vehicle.name}'s last reading, `
      + `${miles(last)}. Check the figure, or ask a dispatcher to correct the vehicle's reading.`);
  }
  if (odometer.start - last > maxJump) {
    throw Problems.odometerJumpTooLarge(`The odometer start, ${miles(odometer.start)}, is ${miles(odometer.start - last)} above ${vehicle.name}'s last `
      + `reading, ${miles(last)}, more than ${miles(maxJump)}: check the figure, or ask a dispatcher to correct the vehicle's reading.`,
    'odometerStart');
  }
}
