import * as z from 'zod';
import { VEHICLE_KINDS } from '../../shared/domain/vehicles';
import { IsoDateTime, PageQuery, text, Uuid } from './common';

/** Vehicles: provider-owned staff data (docs/architecture.md, "Vehicles and level of service"). */
export const VehicleStatus = z.enum(['in_service', 'out_of_service', 'retired']);
export const VehicleKind = z.enum(VEHICLE_KINDS);
export const VehicleParams = z.strictObject({ vehicleId: Uuid });

const Plate = z.string().min(1).max(12).regex(/^[A-Z0-9 -]{1,12}$/, 'Capital letters, digits, spaces and hyphens, e.g. NEMT-07');
/** Miles, as the odometer shows them (stored to the tenth). */
const OdometerReading = z.number().min(0).max(9_999_999);

export const VehicleCapabilities = z.strictObject({
  ambulatorySeats: z.number().int().min(0).max(20).describe('Seats for riders who walk on, and for companions'),
  wheelchairPositions: z.number().int().min(0).max(6).describe('Secured wheelchair positions (with a lift or ramp)'),
  bariatric: z.boolean().describe('A bariatric (XL) wheelchair lift and position; needs wheelchairPositions >= 1'),
  stretcher: z.boolean(),
  oxygen: z.boolean().describe('Carries oxygen for riders who need it'),
}).refine((capabilities) => !capabilities.bariatric || capabilities.wheelchairPositions >= 1,
  { path: ['bariatric'], message: 'A bariatric lift needs a wheelchair position' });

export const VehicleCreate = z.strictObject({
  name: text(60).describe('The name or fleet number dispatchers and drivers use, e.g. "Van 7"'),
  plate: Plate,
  kind: VehicleKind,
  capabilities: VehicleCapabilities,
});

export const VehicleUpdate = z
  .strictObject({
    name: text(60).optional(),
    plate: Plate.optional(),
    kind: VehicleKind.optional(),
    capabilities: VehicleCapabilities.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change');

export const VehicleTransitionBody = z.strictObject({
  to: VehicleStatus,
  reason: text(500).optional().describe('Required to take a vehicle out of service (e.g. "brakes"); optional to retire it'),
});

export const OdometerCorrectionBody = z.strictObject({
  reading: OdometerReading.describe('The reading the odometer really shows'),
  reason: text(500),
});

export const VehicleListQuery = z.strictObject({
  status: VehicleStatus.optional(),
  ...PageQuery,
});

export const Vehicle = z.object({
  id: Uuid,
  name: z.string(),
  plate: z.string(),
  kind: VehicleKind,
  capabilities: z.object({
    ambulatorySeats: z.number().int(),
    wheelchairPositions: z.number().int(),
    bariatric: z.boolean(),
    stretcher: z.boolean(),
    oxygen: z.boolean(),
  }),
  status: VehicleStatus,
  outOfServiceReason: z.string().nullable(),
  /** The last recorded reading: the end of the vehicle's last completed leg, or a Dispatcher's correction. */
  odometer: z.number().nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  version: z.number().int(),
});
