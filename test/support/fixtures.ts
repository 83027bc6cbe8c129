import { randomInt, randomUUID } from 'node:crypto';
import { type Database, DatabaseError, type Queryable, type SqlParam } from '../../lambdas/shared/db/port';
import type { Actor, FacilityActor, FacilityRole, Role, StaffActor, StaffRole } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { insertRider } from '../../lambdas/api/data/riders';
import { testPii } from './keys';

/**
 * Test data factories. They write as the migrating owner (`db().owner`), which bypasses
 * row-level security but not triggers or constraints, so every row they make is one the schema
 * accepts and every state is reached through the lifecycle's own transitions.
 */

export type FacilityKind = 'facility' | 'individual';
export type TripRequestStatus = 'requested' | 'scheduled' | 'in_progress' | 'completed' | 'rejected' | 'cancelled';
export type LegKind = 'outbound' | 'return';
export type Mobility = 'ambulatory' | 'wheelchair' | 'wheelchair_xl' | 'stretcher';
export type LegStatus = 'unassigned' | 'assigned' | 'en_route' | 'arrived' | 'picked_up' | 'completed' | 'no_show' | 'cancelled';
export type BillingStatus = 'pending' | 'ready' | 'invoiced' | 'paid' | 'denied' | 'on_hold' | 'written_off';
export type CancellationReason = 'booked_by_mistake' | 'changed_plans' | 'unable_to_make_trip' | 'other';
export type AuditActorRole = Role | 'Public' | 'System';

function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** A syntactically valid E.164 number in the 555 range, unique enough for one test database. */
export function phoneNumber(): string {
  return `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}

function one<Row>(rows: Row[], what: string): Row {
  const row = rows[0];
  if (rows.length !== 1 || row === undefined) throw new Error(`fixture expected one ${what} row, got ${rows.length}`);
  return row;
}

// ---- facilities, contacts, users, riders ---------------------------------------------------

export interface FacilityRow {
  id: string;
  kind: FacilityKind;
  name: string;
}

export async function createFacility(
  owner: Queryable,
  input: { kind?: FacilityKind; name?: string; notifyDriverEnRoute?: boolean; notifyRideReminder?: boolean } = {},
): Promise<FacilityRow> {
  const { rows } = await owner.query<FacilityRow>(
    `INSERT INTO facilities (kind, name, notify_driver_en_route, notify_ride_reminder) VALUES ($1, $2, $3, $4)
     RETURNING id, kind, name`,
    [input.kind ?? 'facility', input.name ?? `Facility ${uniqueSuffix()}`, input.notifyDriverEnRoute ?? false,
      input.notifyRideReminder ?? false],
  );
  return one(rows, 'facility');
}

export interface ContactRow {
  id: string;
  facilityId: string;
  fullName: string;
  phone: string | null;
  email: string | null;
}

export async function createContact(
  owner: Queryable,
  input: { facilityId: string; fullName?: string; phone?: string | null; email?: string | null },
): Promise<ContactRow> {
  const { rows } = await owner.query<ContactRow>(
    `INSERT INTO contacts (facility_id, full_name, phone, email) VALUES ($1, $2, $3, $4)
     RETURNING id, facility_id AS "facilityId", full_name AS "fullName", phone, email`,
    [input.facilityId, input.fullName ?? `Contact ${uniqueSuffix()}`, input.phone ?? null, input.email ?? null],
  );
  return one(rows, 'contact');
}

export interface UserRow {
  /** The Cognito `sub`. */
  id: string;
  role: Role;
  facilityId: string | null;
  contactId: string | null;
  email: string;
  active: boolean;
}

async function insertUser(
  owner: Queryable,
  input: { id?: string; role: Role; facilityId: string | null; contactId: string | null; active?: boolean; disabledAt?: Date },
): Promise<UserRow> {
  const id = input.id ?? randomUUID();
  const active = input.active ?? true;
  const { rows } = await owner.query<UserRow>(
    `INSERT INTO users (id, role, facility_id, contact_id, email, display_name, active, disabled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     RETURNING id, role, facility_id AS "facilityId", contact_id AS "contactId", email, active`,
    [id, input.role, input.facilityId, input.contactId, `${input.role.toLowerCase()}-${id}@example.test`,
      `${input.role} ${id.slice(0, 8)}`, active, active ? null : (input.disabledAt ?? new Date())],
  );
  return one(rows, 'user');
}

/** Dispatcher, Driver or Billing: provider staff, who belong to no tenant. */
export function createStaffUser(
  owner: Queryable,
  role: StaffRole,
  input: { id?: string; active?: boolean; disabledAt?: Date } = {},
): Promise<UserRow> {
  return insertUser(owner, { ...input, role, facilityId: null, contactId: null });
}

export function createFacilityUser(
  owner: Queryable,
  role: FacilityRole,
  facilityId: string,
  input: { id?: string; contactId?: string; active?: boolean; disabledAt?: Date } = {},
): Promise<UserRow> {
  return insertUser(owner, { ...input, role, facilityId, contactId: input.contactId ?? null });
}

export interface RiderRow {
  id: string;
  facilityId: string;
  fullName: string;
  phone: string | null;
}

/**
 * A rider sealed exactly as the API seals one (same code, the test file's master key): a data
 * key wrapped by the tenant key (created on first use), sealed fields and blind indexes.
 */
export async function createRider(
  owner: Queryable,
  input: {
    facilityId: string;
    fullName?: string;
    phone?: string | null;
    email?: string | null;
    dateOfBirth?: string | null;
    homeAddress?: string | null;
    careNotes?: string | null;
    mobility?: 'ambulatory' | 'wheelchair' | 'stretcher';
    notifyChannel?: 'sms' | 'email' | 'none';
    notifyConsent?: boolean;
  },
): Promise<RiderRow> {
  const fullName = input.fullName ?? `Rider ${uniqueSuffix()}`;
  const phone = input.phone === undefined ? phoneNumber() : input.phone;
  const { row } = await insertRider(testPii(), owner, input.facilityId, {
    fullName, phone, email: input.email ?? null, dateOfBirth: input.dateOfBirth ?? null, homeAddress: input.homeAddress ?? null,
    careNotes: input.careNotes ?? null, mobility: input.mobility ?? 'ambulatory', notifyChannel: input.notifyChannel ?? 'sms',
    notifyConsent: input.notifyConsent ?? true,
  });
  return { id: row.id, facilityId: row.facility_id, fullName, phone };
}

/** Seals text with a rider's data key as the handlers do (trip clinical notes, leg completion notes). */
export async function sealForRider(
  owner: Queryable,
  target: { table: 'trip_requests' | 'trip_legs'; column: 'clinical_notes_enc' | 'completion_notes_enc'; rowId: string;
    facilityId: string; riderId: string },
  value: string,
): Promise<Buffer> {
  const pii = testPii();
  const { rows } = await owner.query<{ data_key: Buffer | null }>('SELECT data_key FROM riders WHERE facility_id = $1 AND id = $2',
    [target.facilityId, target.riderId]);
  const key = await pii.openRiderKey(owner, target.facilityId, target.riderId, rows[0]?.data_key ?? null);
  if (typeof key === 'string') throw new Error(`rider ${target.riderId} key is ${key}`);
  const sealed = pii.sealField(key, { table: target.table, column: target.column, rowId: target.rowId, facilityId: target.facilityId },
    value);
  if (!sealed) throw new Error('unreachable: a value seals to a value');
  return sealed;
}

/** Gives a trip sealed clinical notes (only while it may still change: requested or scheduled). */
export async function setClinicalNotes(owner: Queryable, trip: Pick<TripRequestRow, 'id' | 'facilityId' | 'riderId'>, notes: string) {
  const sealed = await sealForRider(owner, { table: 'trip_requests', column: 'clinical_notes_enc', rowId: trip.id,
    facilityId: trip.facilityId, riderId: trip.riderId }, notes);
  await owner.query('UPDATE trip_requests SET clinical_notes_enc = $2 WHERE id = $1', [trip.id, sealed]);
}

// ---- trip requests ---------------------------------------------------------------------------

/** Who submitted a request: a facility user or a dispatcher (both recorded), or the public intake. */
export type TripSource =
  | { source: 'facility'; submittedBy: string }
  | { source: 'dispatcher'; submittedBy: string }
  | { source: 'intake' };

export type CreateTripRequestInput = TripSource & {
  facilityId: string;
  riderId: string;
  contactId?: string | null;
  appointmentAt?: Date;
  returnTrip?: 'none' | 'scheduled' | 'will_call';
  /** The level of service (schema/0022); ambulatory, no oxygen, no companion by default. */
  mobility?: Mobility;
  oxygen?: boolean;
  companions?: number;
  /** Reached through the lifecycle's transitions after the insert (see moveTripRequest). */
  status?: TripRequestStatus;
};

export interface TripRequestRow {
  id: string;
  facilityId: string;
  riderId: string;
  referenceCode: string;
  source: 'facility' | 'dispatcher' | 'intake';
  submittedBy: string | null;
  contactId: string | null;
  status: TripRequestStatus;
  appointmentAt: string;
  version: number;
}

const TRIP_COLUMNS = `id, facility_id AS "facilityId", rider_id AS "riderId", reference_code AS "referenceCode",
  source, submitted_by AS "submittedBy", contact_id AS "contactId", status, appointment_at AS "appointmentAt", version`;

export async function getTripRequest(owner: Queryable, id: string): Promise<TripRequestRow> {
  const { rows } = await owner.query<TripRequestRow>(`SELECT ${TRIP_COLUMNS} FROM trip_requests WHERE id = $1`, [id]);
  return one(rows, 'trip request');
}

export async function createTripRequest(owner: Queryable, input: CreateTripRequestInput): Promise<TripRequestRow> {
  const submittedBy = input.source === 'intake' ? null : input.submittedBy;
  const { rows } = await owner.query<TripRequestRow>(
    `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, contact_id, pickup_address,
                                dropoff_address, appointment_at, return_trip, mobility, oxygen, companions)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     RETURNING ${TRIP_COLUMNS}`,
    [input.facilityId, input.riderId, input.source, submittedBy, input.contactId ?? null, '1 Pickup Street',
      '2 Clinic Road', input.appointmentAt ?? new Date('2030-03-01T15:00:00Z'), input.returnTrip ?? 'none',
      input.mobility ?? 'ambulatory', input.oxygen ?? false, input.companions ?? 0],
  );
  const trip = one(rows, 'trip request');
  return input.status && input.status !== 'requested' ? moveTripRequest(owner, trip.id, input.status) : trip;
}

const TRIP_PATHS: Record<TripRequestStatus, TripRequestStatus[]> = {
  requested: [],
  scheduled: ['scheduled'],
  in_progress: ['scheduled', 'in_progress'],
  completed: ['scheduled', 'in_progress', 'completed'],
  rejected: ['rejected'],
  cancelled: ['cancelled'],
};

/** Walks a `requested` trip request to `target`, one lifecycle transition per UPDATE. */
export async function moveTripRequest(owner: Queryable, id: string, target: TripRequestStatus): Promise<TripRequestRow> {
  for (const status of TRIP_PATHS[target]) {
    await owner.query(
      `UPDATE trip_requests SET status = $2, rejection_reason = CASE WHEN $2 = 'rejected' THEN 'Outside service area' END
       WHERE id = $1`,
      [id, status],
    );
  }
  return getTripRequest(owner, id);
}

// ---- vehicles --------------------------------------------------------------------------------

export type VehicleKind = 'sedan' | 'minivan' | 'wheelchair_van' | 'stretcher_van';
export type VehicleStatus = 'in_service' | 'out_of_service' | 'retired';

export interface VehicleInput {
  name?: string;
  plate?: string;
  kind?: VehicleKind;
  ambulatorySeats?: number;
  wheelchairPositions?: number;
  bariatric?: boolean;
  stretcher?: boolean;
  oxygen?: boolean;
  odometer?: number | null;
}

export interface VehicleRow {
  id: string;
  name: string;
  plate: string;
  kind: VehicleKind;
  status: VehicleStatus;
  outOfServiceReason: string | null;
  odometer: string | null;
  version: number;
}

const VEHICLE_COLUMNS = `id, name, plate, kind, status, out_of_service_reason AS "outOfServiceReason", odometer, version`;

/** A plate no other live vehicle of the test run holds. */
export function vehiclePlate(): string {
  return `T${randomUUID().replace(/-/g, '').slice(0, 9).toUpperCase()}`;
}

/** In service; by default a van that serves every level of service (so it fits any leg). */
export async function createVehicle(owner: Queryable, input: VehicleInput = {}): Promise<VehicleRow> {
  const { rows } = await owner.query<VehicleRow>(
    `INSERT INTO vehicles (name, plate, kind, ambulatory_seats, wheelchair_positions, bariatric, stretcher, oxygen, odometer)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${VEHICLE_COLUMNS}`,
    [input.name ?? 'Test van', input.plate ?? vehiclePlate(), input.kind ?? 'stretcher_van', input.ambulatorySeats ?? 6,
      input.wheelchairPositions ?? 2, input.bariatric ?? true, input.stretcher ?? true, input.oxygen ?? true,
      input.odometer ?? null],
  );
  return one(rows, 'vehicle');
}

export async function getVehicle(owner: Queryable, id: string): Promise<VehicleRow> {
  const { rows } = await owner.query<VehicleRow>(`SELECT ${VEHICLE_COLUMNS} FROM vehicles WHERE id = $1`, [id]);
  return one(rows, 'vehicle');
}

export async function moveVehicle(owner: Queryable, id: string, to: VehicleStatus, reason?: string): Promise<VehicleRow> {
  await owner.query('UPDATE vehicles SET status = $2, out_of_service_reason = $3 WHERE id = $1',
    [id, to, to === 'in_service' ? null : (reason ?? (to === 'out_of_service' ? 'Brakes' : null))]);
  return getVehicle(owner, id);
}

// ---- legs ------------------------------------------------------------------------------------

export interface LegWindow {
  pickupAt: Date;
  dropoffAt: Date;
}

/** A window starting at `start` lasting `minutes`. */
export function legWindow(start: string | Date, minutes: number): LegWindow {
  const pickupAt = new Date(start);
  return { pickupAt, dropoffAt: new Date(pickupAt.getTime() + minutes * 60_000) };
}

let nextDefaultSlot = 0;
/** Default windows never overlap each other, so a test only names windows when overlap matters. */
function defaultWindow(): LegWindow {
  const slot = nextDefaultSlot++;
  return legWindow(new Date(Date.UTC(2031, 0, 1) + slot * 2 * 3_600_000), 45);
}

export interface LegRow {
  id: string;
  facilityId: string;
  tripRequestId: string;
  riderId: string;
  kind: LegKind;
  willCall: boolean;
  status: LegStatus;
  driverId: string | null;
  vehicleId: string | null;
  scheduledPickupAt: string | null;
  scheduledDropoffAt: string | null;
  version: number;
}

const LEG_COLUMNS = `id, facility_id AS "facilityId", trip_request_id AS "tripRequestId", rider_id AS "riderId", kind,
  will_call AS "willCall", status, driver_id AS "driverId", vehicle_id AS "vehicleId", scheduled_pickup_at AS "scheduledPickupAt",
  scheduled_dropoff_at AS "scheduledDropoffAt", version`;

export async function getLeg(owner: Queryable, id: string): Promise<LegRow> {
  const { rows } = await owner.query<LegRow>(`SELECT ${LEG_COLUMNS} FROM trip_legs WHERE id = $1`, [id]);
  return one(rows, 'leg');
}

export async function createLeg(
  owner: Queryable,
  trip: Pick<TripRequestRow, 'id' | 'facilityId' | 'riderId'>,
  input: { kind?: LegKind; willCall?: boolean; window?: LegWindow | null } = {},
): Promise<LegRow> {
  const willCall = input.willCall ?? false;
  const window = input.window === undefined ? (willCall ? null : defaultWindow()) : input.window;
  const { rows } = await owner.query<LegRow>(
    `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, will_call, pickup_address, dropoff_address,
                            scheduled_pickup_at, scheduled_dropoff_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     RETURNING ${LEG_COLUMNS}`,
    [trip.facilityId, trip.id, trip.riderId, input.kind ?? 'outbound', willCall, '1 Pickup Street', '2 Clinic Road',
      window?.pickupAt ?? null, window?.dropoffAt ?? null],
  );
  return one(rows, 'leg');
}

/**
 * Assigns a driver and a vehicle (schema/0022: a new assignment needs both). Without a vehicle, a
 * fresh one that serves every level of service, so tests about something else never clash on it.
 */
export async function assignLeg(owner: Queryable, legId: string, driverId: string, vehicleId?: string): Promise<LegRow> {
  const vehicle = vehicleId ?? (await createVehicle(owner)).id;
  await owner.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2, vehicle_id = $3 WHERE id = $1`,
    [legId, driverId, vehicle]);
  return getLeg(owner, legId);
}

export async function cancelLeg(owner: Queryable, legId: string): Promise<LegRow> {
  await owner.query(`UPDATE trip_legs SET status = 'cancelled' WHERE id = $1`, [legId]);
  return getLeg(owner, legId);
}

export interface Completion {
  actualPickupAt: Date;
  actualDropoffAt: Date;
  odometerStart: number;
  odometerEnd: number;
  notes: string | null;
}

/** Mileage 12.5 unless a test needs other figures. */
export function defaultCompletion(overrides: Partial<Completion> = {}): Completion {
  return {
    actualPickupAt: new Date('2031-06-01T09:05:00Z'),
    actualDropoffAt: new Date('2031-06-01T09:40:00Z'),
    odometerStart: 1000,
    odometerEnd: 1012.5,
    notes: null,
    ...overrides,
  };
}

const DRIVER_STEPS: Record<'en_route' | 'arrived' | 'picked_up' | 'completed' | 'no_show', LegStatus[]> = {
  en_route: ['en_route'],
  arrived: ['en_route', 'arrived'],
  picked_up: ['en_route', 'arrived', 'picked_up'],
  completed: ['en_route', 'arrived', 'picked_up', 'completed'],
  no_show: ['en_route', 'arrived', 'no_show'],
};

/**
 * Drives a leg forward as its driver would: assigns it first if it is unassigned, then records
 * each status in turn. Status steps run in a Driver context (still as the owner), because the
 * database accepts completion data from the assigned driver only.
 */
export async function driveLeg(
  owner: Database,
  legId: string,
  target: keyof typeof DRIVER_STEPS,
  options: { driverId: string; completion?: Completion; noShowReason?: string },
): Promise<LegRow> {
  let leg = await getLeg(owner, legId);
  if (leg.status === 'unassigned') leg = await assignLeg(owner, legId, options.driverId);
  const driverId = leg.driverId ?? options.driverId;
  const steps = DRIVER_STEPS[target];
  const remaining = steps.slice(steps.indexOf(leg.status) + 1);
  const completion = options.completion ?? defaultCompletion();
  const notes = completion.notes === null ? null : await sealForRider(owner, { table: 'trip_legs', column: 'completion_notes_enc',
    rowId: legId, facilityId: leg.facilityId, riderId: leg.riderId }, completion.notes);
  await owner.transaction(
    async (tx) => {
      for (const status of remaining) {
        if (status === 'completed') {
          await tx.query(
            `UPDATE trip_legs SET status = 'completed', actual_pickup_at = $2, actual_dropoff_at = $3,
                    odometer_start = $4, odometer_end = $5, completion_notes_enc = $6
             WHERE id = $1`,
            [legId, completion.actualPickupAt, completion.actualDropoffAt, completion.odometerStart,
              completion.odometerEnd, notes],
          );
        } else if (status === 'no_show') {
          await tx.query(`UPDATE trip_legs SET status = 'no_show', no_show_reason = $2 WHERE id = $1`,
            [legId, options.noShowReason ?? 'Rider not at pickup']);
        } else {
          await tx.query('UPDATE trip_legs SET status = $2 WHERE id = $1', [legId, status]);
        }
      }
    },
    { settings: { 'app.role': 'Driver', 'app.sub': driverId } },
  );
  return getLeg(owner, legId);
}

export function completeLeg(owner: Database, legId: string, driverId: string, completion?: Completion): Promise<LegRow> {
  return driveLeg(owner, legId, 'completed', { driverId, completion });
}

// ---- cancellations, billing ------------------------------------------------------------------

export interface CancellationRequestRow {
  id: string;
  facilityId: string;
  tripRequestId: string;
  status: 'pending' | 'approved' | 'denied';
  requestedBy: string;
}

export async function createCancellationRequest(
  owner: Queryable,
  input: { trip: Pick<TripRequestRow, 'id' | 'facilityId'>; requestedBy: string; reasonCode?: CancellationReason; reasonText?: string },
): Promise<CancellationRequestRow> {
  const reasonCode = input.reasonCode ?? 'changed_plans';
  const { rows } = await owner.query<CancellationRequestRow>(
    `INSERT INTO cancellation_requests (facility_id, trip_request_id, reason_code, reason_text, requested_by)
     VALUES ($1, $2, $3, $4, $5)
     RETURNING id, facility_id AS "facilityId", trip_request_id AS "tripRequestId", status, requested_by AS "requestedBy"`,
    [input.trip.facilityId, input.trip.id, reasonCode,
      input.reasonText ?? (reasonCode === 'other' ? 'Family will drive' : null), input.requestedBy],
  );
  return one(rows, 'cancellation request');
}

export async function decideCancellationRequest(
  owner: Queryable,
  id: string,
  input: { decision: 'approved' | 'denied'; decidedBy: string; reason?: string },
): Promise<void> {
  await owner.query(
    `UPDATE cancellation_requests SET status = $2, decided_by = $3, decision_reason = $4, decided_at = now() WHERE id = $1`,
    [id, input.decision, input.decidedBy, input.reason ?? (input.decision === 'denied' ? 'Trip already under way' : null)],
  );
}

export interface BillingRecordRow {
  id: string;
  facilityId: string;
  tripLegId: string;
  tripRequestId: string;
  status: BillingStatus;
  heldFrom: BillingStatus | null;
  legOutcome: 'completed' | 'no_show';
  mileage: string | null;
}

const BILLING_COLUMNS = `id, facility_id AS "facilityId", trip_leg_id AS "tripLegId", trip_request_id AS "tripRequestId",
  status, held_from AS "heldFrom", leg_outcome AS "legOutcome", mileage`;

/** The billing records the database created for a leg (there must never be more than one). */
export async function billingRecordsForLeg(owner: Queryable, legId: string): Promise<BillingRecordRow[]> {
  const { rows } = await owner.query<BillingRecordRow>(`SELECT ${BILLING_COLUMNS} FROM billing_records WHERE trip_leg_id = $1`,
    [legId]);
  return rows;
}

export async function getBillingRecord(owner: Queryable, id: string): Promise<BillingRecordRow> {
  const { rows } = await owner.query<BillingRecordRow>(`SELECT ${BILLING_COLUMNS} FROM billing_records WHERE id = $1`, [id]);
  return one(rows, 'billing record');
}

/** One transition; a hold records where it came from, a release clears it. */
export async function moveBillingRecord(owner: Queryable, id: string, to: BillingStatus): Promise<BillingRecordRow> {
  await owner.query(
    `UPDATE billing_records SET status = $2, held_from = CASE WHEN $2 = 'on_hold' THEN status END WHERE id = $1`,
    [id, to],
  );
  return getBillingRecord(owner, id);
}

// ---- audit, outbox, idempotency ----------------------------------------------------------------

export async function createAuditEvent(
  owner: Queryable,
  input: { facilityId: string | null; tripRequestId?: string | null; actorSub: string | null; actorRole: AuditActorRole;
    entityId?: string; action?: string },
): Promise<{ id: string; seq: string }> {
  const { rows } = await owner.query<{ id: string; seq: string }>(
    `INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id, action)
     VALUES ($1, $2, $3, $4, 'trip_request', $5, $6) RETURNING id, seq`,
    [input.facilityId, input.tripRequestId ?? null, input.actorSub, input.actorRole,
      input.entityId ?? input.tripRequestId ?? randomUUID(), input.action ?? 'trip_request.viewed'],
  );
  return one(rows, 'audit event');
}

export async function createOutboxRow(
  owner: Queryable,
  input: { facilityId: string; riderId: string; tripRequestId?: string | null },
): Promise<{ id: string }> {
  const { rows } = await owner.query<{ id: string }>(
    `INSERT INTO notification_outbox (facility_id, rider_id, trip_request_id, event_type, payload)
     VALUES ($1, $2, $3, 'trip_scheduled', '{"referenceCode":"TEST"}'::jsonb) RETURNING id`,
    [input.facilityId, input.riderId, input.tripRequestId ?? null],
  );
  return one(rows, 'outbox');
}

export async function createIdempotencyKey(
  owner: Queryable,
  input: { actorSub: string; facilityId: string | null; key?: string },
): Promise<{ actorSub: string; key: string }> {
  const key = input.key ?? `key-${randomUUID()}`;
  await owner.query(
    `INSERT INTO idempotency_keys (actor_sub, idempotency_key, facility_id, route_id, request_hash, response_status, response_body)
     VALUES ($1, $2, $3, 'POST /v1/trip-requests', 'hash', 201, '{}'::jsonb)`,
    [input.actorSub, key, input.facilityId],
  );
  return { actorSub: input.actorSub, key };
}

// ---- a whole tenant --------------------------------------------------------------------------

/**
 * One tenant with a row in every tenant table: an admin, a user with a contact, a rider, a trip
 * the user submitted (outbound leg completed by `driver`, so a billing record exists, return leg
 * unassigned), a second requested trip with a pending cancellation, audit, outbox and
 * idempotency rows for both facility users.
 */
export interface TenantWorld {
  facility: FacilityRow;
  contact: ContactRow;
  admin: UserRow;
  user: UserRow;
  rider: RiderRow;
  trip: TripRequestRow;
  outbound: LegRow;
  returnLeg: LegRow;
  billingRecord: BillingRecordRow;
  pendingTrip: TripRequestRow;
  cancellation: CancellationRequestRow;
  auditEventId: string;
  outboxId: string;
  idempotencyKeys: { actorSub: string; key: string }[];
  /** A pending series the user submitted for the rider. */
  standingOrder: StandingOrderRow;
}

export async function seedTenant(owner: Database, input: { driver: UserRow; name?: string }): Promise<TenantWorld> {
  const facility = await createFacility(owner, { name: input.name });
  const contact = await createContact(owner, { facilityId: facility.id });
  const admin = await createFacilityUser(owner, 'FacilityAdmin', facility.id);
  const user = await createFacilityUser(owner, 'FacilityUser', facility.id, { contactId: contact.id });
  const rider = await createRider(owner, { facilityId: facility.id });
  const scheduled = await createTripRequest(owner, {
    facilityId: facility.id, riderId: rider.id, source: 'facility', submittedBy: user.id, contactId: contact.id,
    returnTrip: 'scheduled', status: 'scheduled',
  });
  const outbound = await completeLeg(owner, (await createLeg(owner, scheduled, { kind: 'outbound' })).id, input.driver.id);
  const returnLeg = await createLeg(owner, scheduled, { kind: 'return' });
  const [billingRecord] = await billingRecordsForLeg(owner, outbound.id);
  if (!billingRecord) throw new Error('completing a leg did not create its billing record');
  const pendingTrip = await createTripRequest(owner, {
    facilityId: facility.id, riderId: rider.id, source: 'facility', submittedBy: user.id,
  });
  const cancellation = await createCancellationRequest(owner, { trip: pendingTrip, requestedBy: user.id });
  const audit = await createAuditEvent(owner, {
    facilityId: facility.id, tripRequestId: scheduled.id, actorSub: user.id, actorRole: 'FacilityUser',
  });
  const outbox = await createOutboxRow(owner, { facilityId: facility.id, riderId: rider.id, tripRequestId: scheduled.id });
  const idempotencyKeys = [
    await createIdempotencyKey(owner, { actorSub: admin.id, facilityId: facility.id }),
    await createIdempotencyKey(owner, { actorSub: user.id, facilityId: facility.id }),
  ];
  const standingOrder = await createStandingOrder(owner, {
    facilityId: facility.id, riderId: rider.id, submittedBy: user.id, contactId: contact.id,
  });
  return {
    facility, contact, admin, user, rider, trip: await getTripRequest(owner, scheduled.id), outbound, returnLeg,
    billingRecord, pendingTrip, cancellation, auditEventId: audit.id, outboxId: outbox.id, idempotencyKeys, standingOrder,
  };
}

// ---- standing orders -----------------------------------------------------------------------------

export type StandingOrderStatus = 'pending' | 'active' | 'paused' | 'rejected' | 'ended';

export interface StandingOrderRow {
  id: string;
  facilityId: string;
  riderId: string;
  status: StandingOrderStatus;
  version: number;
}

export interface StandingOrderInput {
  facilityId: string;
  riderId: string;
  submittedBy: string;
  contactId?: string | null;
  source?: 'facility' | 'dispatcher';
  /** ISO weekdays, 1 = Monday. Every weekday unless stated. */
  daysOfWeek?: number[];
  pickupTime?: string;
  appointmentTime?: string;
  returnMode?: 'none' | 'timed' | 'will_call';
  returnPickupTime?: string | null;
  startDate?: string;
  endDate?: string | null;
  excludedDates?: string[];
  /** Reached through the lifecycle's own transitions from pending. */
  status?: StandingOrderStatus;
}

export async function createStandingOrder(owner: Queryable, input: StandingOrderInput): Promise<StandingOrderRow> {
  const { rows } = await owner.query<StandingOrderRow>(
    `INSERT INTO standing_orders (facility_id, rider_id, submitted_by, contact_id, source, days_of_week, pickup_time,
       appointment_time, pickup_address, dropoff_address, mobility, return_mode, return_pickup_time, start_date, end_date,
       excluded_dates)
     VALUES ($1, $2, $3, $4, $5, $6::smallint[], $7, $8, '1 Pickup Street', '2 Dialysis Centre', 'ambulatory', $9, $10, $11, $12,
       $13::date[])
     RETURNING id, facility_id AS "facilityId", rider_id AS "riderId", status, version`,
    [input.facilityId, input.riderId, input.submittedBy, input.contactId ?? null, input.source ?? 'facility',
      `{${(input.daysOfWeek ?? [1, 2, 3, 4, 5]).join(',')}}`, input.pickupTime ?? '07:00', input.appointmentTime ?? '08:00',
      input.returnMode ?? 'none', input.returnPickupTime ?? null, input.startDate ?? '2030-01-07', input.endDate ?? null,
      `{${(input.excludedDates ?? []).join(',')}}`],
  );
  const created = one(rows, 'standing order');
  const path: Record<StandingOrderStatus, StandingOrderStatus[]> = {
    pending: [], active: ['active'], paused: ['active', 'paused'], rejected: ['rejected'], ended: ['ended'],
  };
  let current = created;
  for (const step of path[input.status ?? 'pending']) {
    const moved = await owner.query<StandingOrderRow>(
      `UPDATE standing_orders SET status = $2, rejection_reason = CASE WHEN $2 = 'rejected' THEN 'Not served' END
        WHERE id = $1 RETURNING id, facility_id AS "facilityId", rider_id AS "riderId", status, version`,
      [created.id, step],
    );
    current = one(moved.rows, 'standing order');
  }
  return current;
}

// ---- actors ------------------------------------------------------------------------------------

export function staff(role: StaffRole, sub: string): StaffActor {
  return { role, sub };
}

export function facilityActor(role: FacilityRole, facilityId: string, sub: string, contactId?: string): FacilityActor {
  return contactId === undefined ? { role, facilityId, sub } : { role, facilityId, sub, contactId };
}

/** The actor a user's verified token would produce. */
export function actorOf(user: UserRow): Actor {
  if (user.role === 'FacilityAdmin' || user.role === 'FacilityUser') {
    if (!user.facilityId) throw new Error('facility user without facility');
    return facilityActor(user.role, user.facilityId, user.id, user.contactId ?? undefined);
  }
  return staff(user.role, user.id);
}

class RolledBack<T> {
  constructor(readonly value: T) {}
}

/** Runs work as the actor and rolls it back, so a probe that succeeds leaves nothing behind. */
export async function withActorRolledBack<T>(db: Database, actor: Actor, work: (tx: Queryable) => Promise<T>): Promise<T> {
  try {
    await withActor(db, actor, async (tx) => {
      throw new RolledBack(await work(tx));
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.value as T;
    throw error;
  }
  throw new Error('unreachable: the work always rolls back');
}

// ---- assertions on database refusals -------------------------------------------------------------

export interface ExpectedSqlError {
  code: string;
  message?: string | RegExp;
  constraint?: string;
}

/** Awaits `work` and asserts it failed with this SQLSTATE (and message/constraint when given). */
export async function expectSqlError(work: Promise<unknown> | (() => Promise<unknown>), expected: ExpectedSqlError): Promise<DatabaseError> {
  let failure: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    failure = error;
  }
  if (failure === undefined) throw new Error(`expected SQLSTATE ${expected.code} but the statement succeeded`);
  if (!(failure instanceof DatabaseError)) throw failure;
  expect({ code: failure.code, message: failure.message }).toEqual({
    code: expected.code,
    message: expected.message === undefined ? expect.any(String)
      : typeof expected.message === 'string' ? expected.message : expect.stringMatching(expected.message),
  });
  if (expected.constraint !== undefined) expect(failure.constraint).toBe(expected.constraint);
  return failure;
}

/** The refusal of a row-level-security WITH CHECK (42501). */
export function rlsRefusal(table: string): ExpectedSqlError {
  return { code: '42501', message: `new row violates row-level security policy for table "${table}"` };
}

/** The refusal of a missing table privilege (42501). */
export function privilegeRefusal(table: string): ExpectedSqlError {
  return { code: '42501', message: `permission denied for table ${table}` };
}

export async function countRows(tx: Queryable, sql: string, params: readonly SqlParam[] = []): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS counted`, params);
  return one(rows, 'count').n;
}

// ---- the two-tenant world most API tests start from ------------------------------------------

export interface TwoTenants {
  facilityA: string;
  facilityB: string;
  /** A contact of tenant A; userA is that contact's user when `userAContact` is set. */
  contactA: string;
  dispatcher: UserRow;
  driver: UserRow;
  billing: UserRow;
  adminA: UserRow;
  userA: UserRow;
  adminB: UserRow;
  riderA: string;
  riderB: string;
}

/** Tenants A and B, one staff user per staff role, A's admin and user, B's admin, a rider each. */
export async function seedTwoTenants(owner: Queryable, options: { userAContact?: boolean } = {}): Promise<TwoTenants> {
  const facilityA = (await createFacility(owner)).id;
  const facilityB = (await createFacility(owner)).id;
  const contactA = (await createContact(owner, { facilityId: facilityA })).id;
  return {
    facilityA,
    facilityB,
    contactA,
    dispatcher: await createStaffUser(owner, 'Dispatcher'),
    driver: await createStaffUser(owner, 'Driver'),
    billing: await createStaffUser(owner, 'Billing'),
    adminA: await createFacilityUser(owner, 'FacilityAdmin', facilityA),
    userA: await createFacilityUser(owner, 'FacilityUser', facilityA, options.userAContact ? { contactId: contactA } : {}),
    adminB: await createFacilityUser(owner, 'FacilityAdmin', facilityB),
    riderA: (await createRider(owner, { facilityId: facilityA })).id,
    riderB: (await createRider(owner, { facilityId: facilityB })).id,
  };
}
