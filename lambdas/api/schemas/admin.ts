import * as z from 'zod';
import { CancellationRequest, LegForDispatcher, TripRequest } from './trips';
import { VehicleKind } from './vehicles';
import {
  Address, E164Phone, Email, IsoDate, IsoDateTime, Mobility, Note, NotifyChannel, PageQuery, text, Unavailable,
  Uuid,
} from './common';

export const FacilityParams = z.strictObject({ facilityId: Uuid });
export const ONLY_FACILITIES_HAVE_AN_ADDRESS = "Only a facility has an address: an individual's is their rider record's";
export const FacilityCreate = z.strictObject({
  kind: z.enum(['facility', 'individual']),
  name: text(200),
  address: Address.optional().describe("The facility's street address: its schedulers' default drop-off. Facilities only."),
  notifyDriverEnRoute: z.boolean().default(false),
  notifyRideReminder: z.boolean().default(false),
}).refine((body) => body.kind === 'facility' || body.address === undefined,
  { path: ['address'], message: ONLY_FACILITIES_HAVE_AN_ADDRESS });
export const FacilityUpdate = z
  .strictObject({
    name: text(200).optional(), notifyDriverEnRoute: z.boolean().optional(), notifyRideReminder: z.boolean().optional(),
    active: z.boolean().optional(),
    address: Address.nullable().optional().describe('null removes it. Facilities only.'),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change');
export const FacilityListQuery = z.strictObject({ kind: z.enum(['facility', 'individual']).optional(), ...PageQuery });
export const Facility = z.object({
  id: Uuid,
  kind: z.enum(['facility', 'individual']),
  name: z.string(),
  address: z.string().nullable(),
  notifyDriverEnRoute: z.boolean(),
  notifyRideReminder: z.boolean(),
  active: z.boolean(),
  createdAt: IsoDateTime,
  version: z.number().int(),
});

export const ContactParams = z.strictObject({ contactId: Uuid });
export const ContactCreate = z.strictObject({
  facilityId: Uuid.optional(),
  fullName: text(200),
  phone: E164Phone.optional(),
  email: Email.optional(),
});
export const ContactUpdate = z
  .strictObject({ fullName: text(200).optional(), phone: E164Phone.nullable().optional(), email: Email.nullable().optional() })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change');
export const ContactListQuery = z.strictObject({ facilityId: Uuid.optional(), ...PageQuery });
export const Contact = z.object({
  id: Uuid,
  facilityId: Uuid,
  fullName: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  createdAt: IsoDateTime,
  version: z.number().int(),
});

export const RiderParams = z.strictObject({ riderId: Uuid });
export const RiderCreate = z.strictObject({
  facilityId: Uuid.optional(),
  fullName: text(200),
  phone: E164Phone.optional(),
  email: Email.optional(),
  dateOfBirth: IsoDate.optional(),
  homeAddress: text(500).optional(),
  careNotes: Note.optional(),
  mobility: Mobility.default('ambulatory'),
  notifyChannel: NotifyChannel.default('sms'),
  notifyConsent: z.boolean().default(false),
});
export const RiderUpdate = z
  .strictObject({
    fullName: text(200).optional(),
    phone: E164Phone.nullable().optional(),
    email: Email.nullable().optional(),
    dateOfBirth: IsoDate.nullable().optional(),
    homeAddress: text(500).nullable().optional(),
    careNotes: Note.nullable().optional(),
    mobility: Mobility.optional(),
    notifyChannel: NotifyChannel.optional(),
    notifyConsent: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change');
/** phone and email match exactly through blind indexes, which are per tenant: dispatchers name the facility. */
export const RiderListQuery = z.strictObject({
  facilityId: Uuid.optional(),
  phone: E164Phone.optional(),
  email: Email.optional(),
  ...PageQuery,
});
/**
 * PII fields are null when absent, and also when they cannot be shown: `unavailable` then says
 * why ("erased": the rider was erased; "unreadable": the stored value failed its integrity check).
 */
export const Rider = z.object({
  id: Uuid,
  facilityId: Uuid,
  fullName: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  dateOfBirth: IsoDate.nullable(),
  homeAddress: z.string().nullable(),
  careNotes: z.string().nullable(),
  mobility: Mobility,
  notifyChannel: NotifyChannel,
  notifyConsent: z.boolean(),
  smsOptedOut: z.boolean(),
  /** Set when a Dispatcher merged this rider, a duplicate from the public intake, into another. */
  mergedIntoRiderId: Uuid.nullable(),
  erased: z.boolean(),
  erasedAt: IsoDateTime.nullable(),
  unavailable: Unavailable.optional(),
  createdAt: IsoDateTime,
  version: z.number().int(),
});

/** Other private-pay riders with the same phone (the intake's provider-level index), not merged. */
export const RiderDuplicates = z.object({
  items: z.array(z.object({ id: Uuid, facilityId: Uuid, createdAt: IsoDateTime, tripCount: z.number().int() })),
});
export const RiderMergeBody = z.strictObject({ intoRiderId: Uuid });

export const RiderNotification = z.object({
  id: Uuid,
  tripRequestId: Uuid.nullable(),
  event: z.string(),
  status: z.enum(['pending', 'sent', 'skipped', 'failed']),
  channel: z.enum(['sms', 'email']).nullable(),
  /** The receipt-level fields the message carried (reference code, times). */
  fields: z.record(z.string(), z.string()),
  createdAt: IsoDateTime,
  sentAt: IsoDateTime.nullable(),
});

/** Everything held about one rider (GET /v1/riders/{riderId}/export); producing it is audited. */
export const RiderExport = z.object({
  exportedAt: IsoDateTime,
  rider: Rider,
  tripRequests: z.array(TripRequest),
  legs: z.array(LegForDispatcher),
  cancellationRequests: z.array(CancellationRequest),
  notifications: z.array(RiderNotification),
  /** True when a list reached the export's limit; ask the provider for the rest. */
  truncated: z.boolean(),
});

const RoleName = z.enum(['Dispatcher', 'Driver', 'Billing', 'FacilityAdmin', 'FacilityUser']);
export const UserParams = z.strictObject({ userId: Uuid });
export const UserCreate = z.strictObject({
  email: Email,
  displayName: text(200),
  role: RoleName,
  facilityId: Uuid.optional(),
  contactId: Uuid.optional(),
});
/** The user's new assignment, as a whole: staff roles name no facility, facility roles one (S30). */
export const UserRoleChange = z.strictObject({
  role: RoleName,
  facilityId: Uuid.optional(),
  contactId: Uuid.optional(),
});
export const UserListQuery = z.strictObject({ facilityId: Uuid.optional(), role: RoleName.optional(), ...PageQuery });
export const User = z.object({
  id: Uuid,
  email: z.string(),
  displayName: z.string(),
  role: RoleName,
  facilityId: Uuid.nullable(),
  contactId: Uuid.nullable(),
  active: z.boolean(),
  createdAt: IsoDateTime,
  version: z.number().int(),
});
export const Me = z.object({
  sub: Uuid,
  role: RoleName,
  facilityId: Uuid.nullable(),
  contactId: Uuid.nullable(),
  /** The transport provider: its name, and the IANA time zone its days (e.g. GET /v1/legs?date=) are counted in. */
  provider: z.object({ name: z.string(), timeZone: z.string() }),
});

/** A trip's required mobility (its level of service) is the key of the billing codes (schema/0023). */
const LevelOfService = Mobility;
export const BillingStatus = z.enum(['pending', 'ready', 'invoiced', 'paid', 'denied', 'on_hold', 'written_off']);
export const BillingParams = z.strictObject({ billingRecordId: Uuid });
export const BillingListQuery = z.strictObject({ status: BillingStatus.optional(), facilityId: Uuid.optional(), ...PageQuery });
export const BillingExportQuery = z.strictObject({
  status: BillingStatus.optional(),
  facilityId: Uuid.optional(),
  from: IsoDateTime.optional(),
  to: IsoDateTime.optional(),
});
/**
 * Letters and digits in groups joined by one space, `.`, `_`, `/` or `-` (INV-2030/001): nothing a
 * spreadsheet could split into a formula, whatever its list separator. The database holds the
 * same rule (schema/0021).
 */
export const INVOICE_NUMBER_PATTERN = /^[A-Za-z0-9]+(?:[ ._/-][A-Za-z0-9]+)*$/;
export const InvoiceNumber = z.string()
  .max(64, { abort: true })
  .regex(INVOICE_NUMBER_PATTERN, 'Letters and digits, in groups joined by one space, ".", "_", "/" or "-", e.g. INV-2030/001');
export const BillingTransitionBody = z.strictObject({
  to: BillingStatus,
  amountCents: z.number().int().min(0).max(100_000_000).optional(),
  invoiceNumber: InvoiceNumber.optional(),
  note: text(500).optional(),
});
export const BillingRecord = z.object({
  id: Uuid,
  facilityId: Uuid,
  tripRequestId: Uuid,
  tripLegId: Uuid,
  status: BillingStatus,
  /** Where an on_hold record came from: the only state it returns to (besides written_off). */
  heldFrom: BillingStatus.nullable(),
  referenceCode: z.string(),
  /** The leg's pickup, actual when recorded, else scheduled. */
  serviceAt: IsoDateTime.nullable(),
  legOutcome: z.enum(['completed', 'no_show']),
  mileage: z.number().nullable(),
  amountCents: z.number().int().nullable(),
  invoiceNumber: z.string().nullable(),
  note: z.string().nullable(),
  /** The trip's level of service and the leg's vehicle kind when the leg ended; null on records from before they were kept. */
  levelOfService: LevelOfService.nullable(),
  vehicleKind: VehicleKind.nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  version: z.number().int(),
});

/** An HCPCS Level II code: one capital letter and four digits (A0130). The database holds the same rule (schema/0023). */
export const HCPCS_CODE_PATTERN = /^[A-Z][0-9]{4}$/;
const HcpcsCode = z.string().max(5, { abort: true }).regex(HCPCS_CODE_PATTERN, 'One capital letter and four digits, e.g. A0130');
export const BillingCodeParams = z.strictObject({ levelOfService: LevelOfService });
export const BillingCodeUpdate = z.strictObject({ baseCode: HcpcsCode, mileageCode: HcpcsCode, description: text(200) });
export const BillingCode = z.object({
  levelOfService: LevelOfService,
  baseCode: z.string(),
  mileageCode: z.string(),
  description: z.string(),
  updatedAt: IsoDateTime,
  version: z.number().int(),
});
export const BillingCodeList = z.object({ items: z.array(BillingCode) });

export const AuditVerification = z.object({
  ok: z.boolean(),
  events: z.number().int(),
  chains: z.number().int().optional(),
  firstBreak: z
    .object({ chainKey: Uuid, seq: z.number().int(), eventId: z.string(), reason: z.string() })
    .optional(),
});

