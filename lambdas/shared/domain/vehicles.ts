/**
 * Vehicles and level of service (docs/architecture.md). The capability rule here is the one
 * vehicle_serves() applies in the database (schema/0022); this copy exists to say in words why a
 * vehicle cannot carry a trip, and test/db/vehicles.test.ts keeps the two in agreement.
 */
export const MOBILITIES = ['ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher'] as const;
export type Mobility = (typeof MOBILITIES)[number];

export const VEHICLE_KINDS = ['sedan', 'minivan', 'wheelchair_van', 'stretcher_van'] as const;
export type VehicleKind = (typeof VEHICLE_KINDS)[number];

export const VEHICLE_KIND_LABELS: Record<VehicleKind, string> = {
  sedan: 'sedan',
  minivan: 'minivan',
  wheelchair_van: 'wheelchair van',
  stretcher_van: 'stretcher van',
};

export interface VehicleCapabilities {
  ambulatorySeats: number;
  wheelchairPositions: number;
  bariatric: boolean;
  stretcher: boolean;
  oxygen: boolean;
}

/** What a trip needs of the vehicle: the rider's mobility, oxygen on board, escorts riding along. */
export interface LevelOfService {
  mobility: Mobility;
  oxygen: boolean;
  companions: number;
}

const seats = (count: number) => (count === 1 ? '1 seat' : `${count} seats`);
const forCompanions = (companions: number) => (companions === 1 ? 'for its companion' : `for its ${companions} companions`);

/**
 * What the vehicle lacks to carry the trip, as the end of "it needs …", or undefined when it
 * serves it. Every missing thing is named, in the order a dispatcher would look for them.
 */
export function missingForService(vehicle: VehicleCapabilities, service: LevelOfService): string | undefined {
  const missing: string[] = [];
  const { mobility, companions } = service;
  if (mobility === 'ambulatory') {
    if (vehicle.ambulatorySeats < 1 + companions) {
      missing.push(companions === 0 ? 'a seat' : `${seats(1 + companions)} (the rider and ${companions === 1 ? '1 companion' : `${companions} companions`})`);
    }
  } else {
    if (mobility === 'wheelchair_xl' && !(vehicle.wheelchairPositions >= 1 && vehicle.bariatric)) {
      missing.push('a bariatric wheelchair position');
    }
    if (mobility === 'wheelchair' && vehicle.wheelchairPositions < 1) missing.push('a wheelchair position');
    if (mobility === 'stretcher' && !vehicle.stretcher) missing.push('a stretcher');
    if (vehicle.ambulatorySeats < companions) missing.push(`${seats(companions)} ${forCompanions(companions)}`);
  }
  if (service.oxygen && !vehicle.oxygen) missing.push('oxygen on board');
  if (missing.length === 0) return undefined;
  return missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
}

export const DEFAULT_MAX_ODOMETER_JUMP_MILES = 300;

/** MAX_ODOMETER_JUMP_MILES, a positive number of miles (default 300); anything else fails the cold start. */
export function maxOdometerJumpMilesFrom(env: Readonly<Record<string, string | undefined>>): number {
  const miles = Number(env.MAX_ODOMETER_JUMP_MILES || DEFAULT_MAX_ODOMETER_JUMP_MILES);
  if (!Number.isFinite(miles) || miles <= 0) throw new Error('invalid configuration: MAX_ODOMETER_JUMP_MILES');
  return miles;
}
