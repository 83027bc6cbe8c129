import * as z from 'zod';
import { Address, Companions, IsoDate, IsoDateTime, Mobility, Oxygen, PageQuery, Uuid } from './common';

/** Standing orders: recurring trips (docs/architecture.md, "Standing orders"). */
export const StandingOrderStatus = z.enum(['pending', 'active', 'paused', 'rejected', 'ended']);
export const ReturnMode = z.enum(['none', 'timed', 'will_call'])
  .describe('none, timed (returnPickupTime required) or will_call (the return leg waits for the rider\'s call)');
export const StandingOrderParams = z.strictObject({ standingOrderId: Uuid });

/** A local wall-clock time in the provider's zone (GET /v1/me: provider.timeZone). */
export const LocalTime = z.string().max(5).regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A local time HH:MM (24-hour), e.g. 07:30')
  .describe("A local time HH:MM in the provider's time zone; stays the same wall-clock time across daylight saving");
const DaysOfWeek = z.array(z.number().int().min(1).max(7)).min(1).max(7)
  .refine((days) => new Set(days).size === days.length, 'Each day at most once')
  .describe('ISO weekdays: 1 = Monday … 7 = Sunday');
const ExcludedDates = z.array(IsoDate).max(366).describe('Days without a ride (holidays), at most 366');

interface SeriesFields {
  pickupTime?: string;
  appointmentTime?: string;
  returnMode?: string;
  returnPickupTime?: string | null;
  startDate?: string;
  endDate?: string | null;
}

/** The rules between fields, checked when the fields are all in the same body (the database checks the stored whole). */
function consistent(body: SeriesFields, context: z.RefinementCtx): void {
  if (body.pickupTime && body.appointmentTime && body.pickupTime >= body.appointmentTime) {
    context.addIssue({ code: 'custom', path: ['pickupTime'], message: 'Must be before appointmentTime' });
  }
  if (body.returnMode === 'timed' && body.returnPickupTime === undefined) {
    context.addIssue({ code: 'custom', path: ['returnPickupTime'], message: 'Required for a timed return' });
  }
  if (body.returnMode !== undefined && body.returnMode !== 'timed' && body.returnPickupTime) {
    context.addIssue({ code: 'custom', path: ['returnPickupTime'], message: 'Only for a timed return' });
  }
  if (body.returnPickupTime && body.appointmentTime && body.returnPickupTime <= body.appointmentTime) {
    context.addIssue({ code: 'custom', path: ['returnPickupTime'], message: 'Must be after appointmentTime' });
  }
  if (body.startDate && body.endDate && body.endDate < body.startDate) {
    context.addIssue({ code: 'custom', path: ['endDate'], message: 'Must not be before startDate' });
  }
}

/** Facility roles: the tenant comes from the token, so `facilityId` is refused. Dispatchers must name it. */
export const StandingOrderCreate = z.strictObject({
  facilityId: Uuid.optional(),
  riderId: Uuid,
  contactId: Uuid.optional(),
  daysOfWeek: DaysOfWeek,
  pickupTime: LocalTime,
  appointmentTime: LocalTime,
  pickupAddress: Address,
  dropoffAddress: Address,
  /** The rider's mobility unless stated. */
  mobility: Mobility.optional(),
  oxygen: Oxygen.default(false),
  companions: Companions.default(0),
  returnMode: ReturnMode.default('none'),
  returnPickupTime: LocalTime.optional(),
  startDate: IsoDate.describe("The first day rides may happen (not before today in the provider's zone)"),
  endDate: IsoDate.optional(),
  excludedDates: ExcludedDates.default([]),
}).superRefine(consistent);

export const StandingOrderUpdate = z.strictObject({
  contactId: Uuid.nullable().optional(),
  daysOfWeek: DaysOfWeek.optional(),
  pickupTime: LocalTime.optional(),
  appointmentTime: LocalTime.optional(),
  pickupAddress: Address.optional(),
  dropoffAddress: Address.optional(),
  mobility: Mobility.optional(),
  oxygen: Oxygen.optional(),
  companions: Companions.optional(),
  returnMode: ReturnMode.optional(),
  returnPickupTime: LocalTime.nullable().optional(),
  startDate: IsoDate.optional(),
  endDate: IsoDate.nullable().optional(),
  excludedDates: ExcludedDates.optional(),
}).superRefine(consistent).refine((body) => Object.keys(body).length > 0, 'at least one field to change');

export const StandingOrderAcceptBody = z.strictObject({
  pickupTime: LocalTime.optional(),
  appointmentTime: LocalTime.optional(),
  returnPickupTime: LocalTime.optional(),
}).superRefine(consistent).describe('Optional time adjustments made while accepting');

export const StandingOrderSkipBody = z.strictObject({
  date: IsoDate.describe("One of the series' days, today or later: its trip is cancelled (the rider told) and the day excluded"),
});

export const StandingOrderListQuery = z.strictObject({
  status: StandingOrderStatus.optional(),
  facilityId: Uuid.optional(),
  riderId: Uuid.optional(),
  ...PageQuery,
});

export const StandingOrderPreviewQuery = z.strictObject({
  count: z.coerce.number().int().min(1).max(60).default(10),
});

export const StandingOrder = z.object({
  id: Uuid,
  facilityId: Uuid,
  riderId: Uuid,
  contactId: Uuid.nullable(),
  source: z.enum(['facility', 'dispatcher']),
  status: StandingOrderStatus,
  daysOfWeek: z.array(z.number().int()),
  appointmentTime: z.string(),
  pickupTime: z.string(),
  pickupAddress: z.string(),
  dropoffAddress: z.string(),
  mobility: Mobility,
  oxygen: z.boolean(),
  companions: z.number().int(),
  returnMode: ReturnMode,
  returnPickupTime: z.string().nullable(),
  startDate: IsoDate,
  endDate: IsoDate.nullable(),
  excludedDates: z.array(IsoDate),
  rejectionReason: z.string().nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  version: z.number().int(),
});

export const LeftAlone = z.object({
  occurrenceDate: IsoDate,
  tripId: Uuid,
  reason: z.enum(['assigned', 'started', 'cancelled']),
});

/** The series after a change, and the future occurrences the change did not touch because somebody already had. */
export const StandingOrderChanged = StandingOrder.extend({
  leftAlone: z.array(LeftAlone)
    .describe('Future occurrences left as they were: a driver was assigned, the ride started, or it was cancelled'),
});

export const StandingOrderPreview = z.object({
  occurrences: z.array(z.object({
    date: IsoDate,
    pickupAt: IsoDateTime,
    appointmentAt: IsoDateTime,
    returnPickupAt: IsoDateTime.nullable(),
  })),
});
