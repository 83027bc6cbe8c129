import * as z from 'zod';
import {
  Address, CancellationReasonCode, Companions, Cursor, IsoDate, IsoDateTime, Mobility, Note, Oxygen, PageQuery, ReturnTrip, text, Unavailable, UpcomingDateTime,
  Uuid,
} from './common';

export const TripRequestStatus = z.enum(['requested', 'scheduled', 'in_progress', 'completed', 'rejected', 'cancelled']);
export const LegStatus = z.enum(['unassigned', 'assigned', 'en_route', 'arrived', 'picked_up', 'completed', 'no_show', 'cancelled']);

export const TripRequestParams = z.strictObject({ tripRequestId: Uuid });

/** Facility roles: the tenant comes from the token, so `facilityId` is refused. Dispatchers must name it. */
export const TripRequestCreate = z.strictObject({
  facilityId: Uuid.optional(),
  riderId: Uuid,
  contactId: Uuid.optional(),
  pickupAddress: Address,
  dropoffAddress: Address,
  appointmentAt: UpcomingDateTime,
  requestedPickupAt: UpcomingDateTime.optional(),
  returnTrip: ReturnTrip.default('none'),
  requestedReturnAt: UpcomingDateTime.optional(),
  /** The rider's mobility unless stated. */
  mobility: Mobility.optional(),
  oxygen: Oxygen.default(false),
  companions: Companions.default(0),
  clinicalNotes: Note.optional(),
});

export const TripRequestUpdate = z
  .strictObject({
    contactId: Uuid.nullable().optional(),
    pickupAddress: Address.optional(),
    dropoffAddress: Address.optional(),
    appointmentAt: UpcomingDateTime.optional(),
    requestedPickupAt: UpcomingDateTime.nullable().optional(),
    returnTrip: ReturnTrip.optional(),
    requestedReturnAt: UpcomingDateTime.nullable().optional(),
    mobility: Mobility.optional(),
    oxygen: Oxygen.optional(),
    companions: Companions.optional(),
    clinicalNotes: Note.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change');

/**
 * `include=rider` adds the rider's name, phone and mobility to each item, for the roles that may
 * read riders (Dispatcher and facility roles). Billing may not read riders at all (every rider
 * route answers it 403, minimum necessary), so Billing asking for them is refused the same way: 403.
 */
export const Include = z.enum(['rider']).describe('rider: add the rider\'s name, phone and mobility to each item');

export const TripRequestListQuery = z.strictObject({
  status: TripRequestStatus.optional(),
  facilityId: Uuid.optional(),
  standingOrderId: Uuid.optional().describe("Only the trips made for this standing order's days"),
  appointmentDate: IsoDate.optional().describe("Only the trips whose appointment falls on this day (YYYY-MM-DD) in the provider's time zone"),
  order: z.enum(['newest', 'oldest']).default('newest')
    .describe('newest (default) or oldest first, by creation; a cursor continues only the order it came from (else 400)'),
  include: Include.optional()
    .describe('rider: add `rider` { fullName, phone, mobility } to each item. Dispatcher and facility roles; Billing gets 403 '
      + '(Billing never reads riders: minimum necessary)'),
  ...PageQuery,
});

/** The rider as a list item carries it (`include=rider`): null with `unavailable` once the rider was erased. */
export const RiderSummary = z.object({
  fullName: z.string().nullable(),
  phone: z.string().nullable(),
  mobility: Mobility,
  unavailable: Unavailable.optional(),
});

export const TripRequest = z.object({
  id: Uuid,
  facilityId: Uuid,
  referenceCode: z.string(),
  riderId: Uuid,
  source: z.enum(['facility', 'dispatcher', 'intake']),
  submittedBy: Uuid.nullable(),
  contactId: Uuid.nullable(),
  status: TripRequestStatus,
  pickupAddress: z.string(),
  dropoffAddress: z.string(),
  appointmentAt: IsoDateTime,
  requestedPickupAt: IsoDateTime.nullable(),
  returnTrip: ReturnTrip,
  requestedReturnAt: IsoDateTime.nullable(),
  mobility: Mobility,
  oxygen: z.boolean(),
  companions: z.number().int(),
  /** Absent for Billing (minimum necessary); null with `unavailable.clinicalNotes` once the rider is erased. */
  clinicalNotes: z.string().nullable().optional(),
  unavailable: Unavailable.optional(),
  /** Only with `include=rider`. */
  rider: RiderSummary.optional(),
  rejectionReason: z.string().nullable(),
  standingOrderId: Uuid.nullable().describe('The standing order this trip is an occurrence of, or null'),
  occurrenceDate: IsoDate.nullable().describe("The series' day this trip is for, or null"),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  version: z.number().int(),
});

const LegTimes = z.strictObject({
  pickupAt: UpcomingDateTime,
  dropoffAt: IsoDateTime,
  pickupAddress: Address.optional(),
  dropoffAddress: Address.optional(),
});

export const ScheduleBody = z.strictObject({
  outbound: LegTimes,
  /** Omit when the request has no return trip; `{ willCall: true }` leaves the time open. */
  return: z.union([LegTimes, z.strictObject({ willCall: z.literal(true) })]).optional(),
});

export const RejectBody = z.strictObject({ reason: text(500) });

export const CancelBody = z.strictObject({ reasonCode: CancellationReasonCode, reasonText: text(500).optional() });

export const CancellationRequestCreate = CancelBody;
export const CancellationParams = z.strictObject({ cancellationRequestId: Uuid });
export const CancellationDecisionBody = z.strictObject({ reason: text(500).optional() });
export const CancellationDenyBody = z.strictObject({ reason: text(500) });
export const CancellationListQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'denied']).optional(),
  tripRequestId: Uuid.optional(),
  ...PageQuery,
});
export const CancellationRequest = z.object({
  id: Uuid,
  facilityId: Uuid,
  tripRequestId: Uuid,
  status: z.enum(['pending', 'approved', 'denied']),
  reasonCode: CancellationReasonCode,
  reasonText: z.string().nullable(),
  requestedBy: Uuid,
  decidedBy: Uuid.nullable(),
  decisionReason: z.string().nullable(),
  decidedAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
  version: z.number().int(),
});

export const LegParams = z.strictObject({ legId: Uuid });
export const LegListQuery = z.strictObject({
  status: LegStatus.optional(),
  tripRequestId: Uuid.optional(),
  driverId: Uuid.optional(),
  from: IsoDateTime.optional().describe('Scheduled pickup at or after this instant; not with `date` (400)'),
  to: IsoDateTime.optional().describe('Scheduled pickup before this instant; not with `date` (400)'),
  date: IsoDate.optional()
    .describe("Legs whose scheduled pickup falls on this day in the provider's time zone (GET /v1/me: provider.timeZone), "
      + 'whatever its length (23 or 25 hours on DST days); not with `from`/`to` (400)'),
  include: Include.optional()
    .describe('rider: add `rider` { fullName, phone, mobility } to each leg. Dispatchers only (403 otherwise: drivers already '
      + 'get riderName, riderPhone and mobility; facility roles see status-only legs)'),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('Up to 1,000 legs a page: a busy day of the board in one answer'),
});
export const LegUpdate = z
  .strictObject({
    /** null clears the window of a will-call return (back to waiting for the facility's call). */
    scheduledPickupAt: UpcomingDateTime.nullable().optional(),
    scheduledDropoffAt: IsoDateTime.nullable().optional(),
    pickupAddress: Address.optional(),
    dropoffAddress: Address.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change');
/** A leg is assigned to a driver and a vehicle (per leg, not per shift: docs/architecture.md). */
export const AssignmentBody = z.strictObject({ driverId: Uuid, vehicleId: Uuid });

/**
 * Extension member of the 409 `urn:nemt:problem:driver-double-booked` and `…:vehicle-double-booked`
 * problems, sent to Dispatchers only (the only role that assigns or times legs): the driver's (or
 * vehicle's) leg the change overlaps.
 */
export const DoubleBookingClash = z.object({
  legId: Uuid,
  tripRequestId: Uuid,
  referenceCode: z.string(),
  scheduledPickupAt: IsoDateTime,
  scheduledDropoffAt: IsoDateTime,
}).describe("urn:nemt:problem:driver-double-booked and vehicle-double-booked only (Dispatchers): the driver's or vehicle's leg "
  + 'the change overlaps');
export const LegStatusEventBody = z.discriminatedUnion('status', [
  z.strictObject({ status: z.enum(['en_route', 'arrived', 'picked_up']) }),
  z.strictObject({ status: z.literal('no_show'), reason: text(500) }),
]);
export const CompletionBody = z.strictObject({
  actualPickupAt: IsoDateTime,
  actualDropoffAt: IsoDateTime,
  odometerStart: z.number().min(0).max(9_999_999),
  odometerEnd: z.number().min(0).max(9_999_999),
  notes: Note.optional(),
});

/** What each audience may see of a leg: dispatchers everything, drivers the minimum to do the job, facilities the status. */
export const ServiceLevel = z.object({ mobility: Mobility, oxygen: Oxygen, companions: Companions });
export const LegForDispatcher = z.object({
  id: Uuid,
  facilityId: Uuid,
  tripRequestId: Uuid,
  /** The trip's reference code, as riders and facilities know it. */
  referenceCode: z.string(),
  /** What the trip needs of the vehicle (its level of service), as the assignment checks it. */
  service: ServiceLevel.nullable(),
  riderId: Uuid,
  kind: z.enum(['outbound', 'return']),
  willCall: z.boolean(),
  status: LegStatus,
  driverId: Uuid.nullable(),
  vehicleId: Uuid.nullable(),
  pickupAddress: z.string(),
  dropoffAddress: z.string(),
  scheduledPickupAt: IsoDateTime.nullable(),
  scheduledDropoffAt: IsoDateTime.nullable(),
  actualPickupAt: IsoDateTime.nullable(),
  actualDropoffAt: IsoDateTime.nullable(),
  odometerStart: z.number().nullable(),
  odometerEnd: z.number().nullable(),
  mileage: z.number().nullable(),
  completionNotes: z.string().nullable(),
  noShowReason: z.string().nullable(),
  unavailable: Unavailable.optional(),
  /** Only with `include=rider`. */
  rider: RiderSummary.optional(),
  version: z.number().int(),
});
export const LegForDriver = z.object({
  id: Uuid,
  kind: z.enum(['outbound', 'return']),
  willCall: z.boolean(),
  status: LegStatus,
  pickupAddress: z.string(),
  dropoffAddress: z.string(),
  scheduledPickupAt: IsoDateTime.nullable(),
  scheduledDropoffAt: IsoDateTime.nullable(),
  /** null with `unavailable.riderName` when the rider was erased. */
  riderName: z.string().nullable(),
  riderPhone: z.string().nullable(),
  /** What the trip needs of the vehicle (its level of service): the mobility, oxygen and companions. */
  mobility: Mobility,
  oxygen: Oxygen,
  companions: Companions,
  /** The vehicle the leg is driven with (null for a leg assigned before vehicles were recorded). */
  vehicleId: Uuid.nullable(),
  unavailable: Unavailable.optional(),
  version: z.number().int(),
});
export const LegForFacility = z.object({
  id: Uuid,
  tripRequestId: Uuid,
  kind: z.enum(['outbound', 'return']),
  willCall: z.boolean(),
  status: LegStatus,
  scheduledPickupAt: IsoDateTime.nullable(),
  scheduledDropoffAt: IsoDateTime.nullable(),
  version: z.number().int(),
});
export const Leg = z.union([LegForDispatcher, LegForDriver, LegForFacility]);

export const AuditEvent = z.object({
  seq: z.number().int(),
  occurredAt: IsoDateTime,
  actorSub: Uuid.nullable(),
  actorRole: z.string(),
  entityType: z.string(),
  entityId: Uuid,
  action: z.string(),
  fromState: z.string().nullable(),
  toState: z.string().nullable(),
  requestId: z.string().nullable(),
});
export const TripHistory = z.strictObject({ tripRequestId: Uuid, events: z.array(AuditEvent) });
