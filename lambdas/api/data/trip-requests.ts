import type { FieldRef, PiiCrypto, RiderKey, RiderKeyState, Unavailable } from '../../shared/crypto/pii';
import type { Queryable } from '../../shared/db/port';
import type { TripRequestStatus } from '../../shared/domain/lifecycles';
import type { Mobility } from '../../shared/domain/vehicles';
import type { Actor } from '../../shared/tenancy/actor';
import { Problems } from '../../shared/http/problem';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, scopeToActor, selectOne, withinDay } from '../handlers/support';

export interface TripRequestRow {
  id: string;
  facility_id: string;
  reference_code: string;
  rider_id: string;
  source: 'facility' | 'dispatcher' | 'intake';
  submitted_by: string | null;
  contact_id: string | null;
  status: TripRequestStatus;
  pickup_address: string;
  dropoff_address: string;
  appointment_at: string;
  requested_pickup_at: string | null;
  return_trip: 'none' | 'scheduled' | 'will_call';
  requested_return_at: string | null;
  mobility: Mobility;
  /** With mobility, the trip's level of service (schema/0022). */
  oxygen: boolean;
  companions: number;
  /** Sealed with the rider's data key (schema/0010). */
  clinical_notes_enc: Buffer | null;
  /** The rider's wrapped data key, selected only when there are notes to open. */
  rider_data_key: Buffer | null;
  rejection_reason: string | null;
  /** The series and day this trip is an occurrence of (schema/0024), or null. */
  standing_order_id: string | null;
  occurrence_date: string | null;
  created_at: string;
  updated_at: string;
  version: number;
  cursor_at: string;
}

// The rider's key rides along in the same statement (no extra round trip per page), and only for
// rows that have notes to open.
export const TRIP_REQUEST_COLUMNS = `id, facility_id, reference_code, rider_id, source, submitted_by, contact_id, status,
  pickup_address, dropoff_address, appointment_at, requested_pickup_at, return_trip, requested_return_at, mobility,
  oxygen, companions, clinical_notes_enc, CASE WHEN clinical_notes_enc IS NOT NULL THEN (SELECT r.data_key FROM riders r
    WHERE r.facility_id = trip_requests.facility_id AND r.id = trip_requests.rider_id) END AS rider_data_key,
  rejection_reason, standing_order_id, occurrence_date::text AS occurrence_date, created_at, updated_at, version,
  created_at::text AS cursor_at`;

/** The rider's sealed name and phone, selected only for `include=rider`. */
export interface RiderSummaryColumns {
  rider_key: Buffer | null;
  rider_full_name_enc: Buffer | null;
  rider_phone_enc: Buffer | null;
  rider_mobility: Mobility | null;
  rider_erased: boolean | null;
}

/** A list item's rider (`include=rider`): what the board shows beside a request or a leg. */
export interface RiderSummary {
  fullName: string | null;
  phone: string | null;
  mobility: Mobility;
  unavailable?: { fullName?: Unavailable; phone?: Unavailable };
}

/**
 * The rider columns for `include=rider`, from the rider row joined as `r`: the wrapped key, the
 * sealed name and phone, mobility, and whether the rider was erased (then nothing is sealed).
 */
export const RIDER_SUMMARY_COLUMNS = `r.data_key AS rider_key, r.full_name_enc AS rider_full_name_enc,
  r.phone_enc AS rider_phone_enc, r.mobility AS rider_mobility, r.erased_at IS NOT NULL AS rider_erased`;

/** Opens a rider summary with the rider's key; an erased rider's name and phone are null and say so. */
export function openRiderSummary(
  pii: PiiCrypto,
  key: RiderKeyState | undefined,
  row: RiderSummaryColumns & { facility_id: string; rider_id: string },
  fallbackMobility: RiderSummary['mobility'],
): RiderSummary {
  const mobility = row.rider_mobility ?? fallbackMobility;
  if (row.rider_erased !== false || key === undefined) {
    // Erased (or, with a LEFT JOIN, not visible): nothing to open.
    return { fullName: null, phone: null, mobility, unavailable: { fullName: 'erased', phone: 'erased' } };
  }
  const summary: RiderSummary = { fullName: null, phone: null, mobility };
  const unavailable: NonNullable<RiderSummary['unavailable']> = {};
  const ref = (column: string): FieldRef => ({ table: 'riders', column, rowId: row.rider_id, facilityId: row.facility_id });
  const name = pii.openField(key, ref('full_name_enc'), row.rider_full_name_enc);
  if (name.ok) summary.fullName = name.value;
  else unavailable.fullName = name.reason;
  const phone = pii.openField(key, ref('phone_enc'), row.rider_phone_enc);
  if (phone.ok) summary.phone = phone.value;
  else unavailable.phone = phone.reason;
  if (unavailable.fullName || unavailable.phone) summary.unavailable = unavailable;
  return summary;
}

/** A trip request with its clinical notes opened (or the reason they cannot be shown). */
export interface TripRequestView extends TripRequestRow, Partial<RiderSummaryColumns> {
  clinical_notes: string | null;
  unavailable: { clinicalNotes?: Unavailable };
  /** Only with `include=rider`. */
  rider?: RiderSummary;
}

export const clinicalNotesRef = (trip: Pick<TripRequestRow, 'id' | 'facility_id'>) =>
  ({ table: 'trip_requests', column: 'clinical_notes_enc', rowId: trip.id, facilityId: trip.facility_id }) as const;

/**
 * Fetches the rider keys a set of trip requests needs (in the transaction: a key the caches miss
 * is read through it; the tenant key costs one key-service call per tenant at most) and returns the
 * CPU-only rest: opening the sealed notes. Lists run that rest while their COMMIT travels (see
 * RouteResult.body). Billing never gets the notes, so no key is even fetched for it.
 */
export async function prepareTripRequests(
  pii: PiiCrypto,
  tx: Queryable,
  actor: Actor,
  rows: (TripRequestRow & Partial<RiderSummaryColumns>)[],
  known?: RiderKeyState,
): Promise<() => TripRequestView[]> {
  // With the rider included (never for Billing), every row needs its rider's key: the joined one.
  const withRider = actor.role !== 'Billing' && rows.length > 0 && rows[0]?.rider_key !== undefined;
  const keys = await pii.openRiderKeysFor(tx, rows, (row) => {
    if (actor.role === 'Billing') return undefined;
    if (withRider) return { facilityId: row.facility_id, riderId: row.rider_id, wrapped: row.rider_key ?? null };
    return row.clinical_notes_enc !== null ? { facilityId: row.facility_id, riderId: row.rider_id, wrapped: row.rider_data_key } : undefined;
  }, known);
  return () => {
    // Each row (the query's own object) becomes its view in place: copying a page of rows was a
    // visible share of a list request's time (docs/performance.md, P2).
    const views = rows as TripRequestView[];
    views.forEach((view, index) => {
      const key = keys[index];
      const sealed = view.clinical_notes_enc;
      view.clinical_notes = null;
      view.unavailable = {};
      if (withRider) view.rider = openRiderSummary(pii, key, view as TripRequestView & RiderSummaryColumns, view.mobility);
      if (key === undefined || sealed === null) return;
      const opened = pii.openField(key, clinicalNotesRef(view), sealed);
      if (opened.ok) view.clinical_notes = opened.value;
      else view.unavailable = { clinicalNotes: opened.reason };
    });
    return views;
  };
}

/** prepareTripRequests, opened at once. */
export async function openTripRequests(
  pii: PiiCrypto,
  tx: Queryable,
  actor: Actor,
  rows: TripRequestRow[],
  known?: RiderKeyState,
): Promise<TripRequestView[]> {
  return (await prepareTripRequests(pii, tx, actor, rows, known))();
}

export async function openTripRequest(pii: PiiCrypto, tx: Queryable, actor: Actor, row: TripRequestRow): Promise<TripRequestView> {
  return (await openTripRequests(pii, tx, actor, [row]))[0] as TripRequestView;
}

/** Refuses a trip for a rider this actor cannot see (404) or who was erased (409). */
export async function assertRiderBookable(tx: Queryable, facilityId: string, riderId: string): Promise<void> {
  const { rows } = await tx.query<{ erased: boolean }>(
    // FOR SHARE: holds off an erasure until the trip this check guards is written (or refused).
    'SELECT erased_at IS NOT NULL AS erased FROM riders WHERE facility_id = $1 AND id = $2 FOR SHARE', [facilityId, riderId]);
  const rider = rows[0];
  if (!rider) throw Problems.notFound('rider');
  if (rider.erased) throw Problems.conflict('rider-erased', 'The rider was erased; no new trips can be booked for them.');
}

/** The rider's data key for sealing new notes about them; refuses (409) for an erased or unreadable rider. */
export async function riderKeyForSealing(pii: PiiCrypto, tx: Queryable, facilityId: string, riderId: string): Promise<RiderKey> {
  const { rows } = await tx.query<{ data_key: Buffer | null }>('SELECT data_key FROM riders WHERE facility_id = $1 AND id = $2',
    [facilityId, riderId]);
  const key = await pii.openRiderKey(tx, facilityId, riderId, rows[0]?.data_key ?? null);
  if (key === 'erased') throw Problems.conflict('rider-erased', 'The rider was erased; nothing new can be recorded about them.');
  if (key === 'unreadable') {
    throw Problems.conflict('rider-unreadable', "The rider's stored key failed its integrity check; an operator must restore it first.");
  }
  return key;
}

/** A trip request as the API answers it. */
export interface TripRequestBody {
  id: string;
  facilityId: string;
  referenceCode: string;
  riderId: string;
  source: TripRequestRow['source'];
  submittedBy: string | null;
  contactId: string | null;
  status: TripRequestStatus;
  pickupAddress: string;
  dropoffAddress: string;
  appointmentAt: string;
  requestedPickupAt: string | null;
  returnTrip: TripRequestRow['return_trip'];
  requestedReturnAt: string | null;
  mobility: TripRequestRow['mobility'];
  oxygen: boolean;
  companions: number;
  /** Absent for Billing. */
  clinicalNotes?: string | null;
  unavailable?: { clinicalNotes: Unavailable };
  /** Only with `include=rider`, never for Billing. */
  rider?: RiderSummary;
  rejectionReason: string | null;
  standingOrderId: string | null;
  occurrenceDate: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/**
 * Billing sees trips without clinical notes (minimum necessary, PRODUCT.md §3). Built field by
 * field rather than with conditional spreads, which push a 50-row page onto a slow path
 * (docs/performance.md, P2); the keys keep the same order.
 */
export function toTripRequest(row: TripRequestView, actor: Actor): TripRequestBody {
  const body: TripRequestBody = {
    id: row.id,
    facilityId: row.facility_id,
    referenceCode: row.reference_code,
    riderId: row.rider_id,
    source: row.source,
    submittedBy: row.submitted_by,
    contactId: row.contact_id,
    status: row.status,
    pickupAddress: row.pickup_address,
    dropoffAddress: row.dropoff_address,
    appointmentAt: row.appointment_at,
    requestedPickupAt: row.requested_pickup_at,
    returnTrip: row.return_trip,
    requestedReturnAt: row.requested_return_at,
    mobility: row.mobility,
    oxygen: row.oxygen,
    companions: row.companions,
  } as TripRequestBody;
  if (actor.role !== 'Billing') {
    body.clinicalNotes = row.clinical_notes;
    if (row.unavailable.clinicalNotes) body.unavailable = { clinicalNotes: row.unavailable.clinicalNotes };
    if (row.rider !== undefined) body.rider = row.rider;
  }
  body.rejectionReason = row.rejection_reason;
  body.standingOrderId = row.standing_order_id;
  body.occurrenceDate = row.occurrence_date;
  body.createdAt = row.created_at;
  body.updatedAt = row.updated_at;
  body.version = row.version;
  return body;
}

/** The explicit predicate for what this actor may see of trip requests (RLS enforces the same). */
export function tripScope(actor: Actor, where = new Where()): Where {
  scopeToActor(where, actor);
  if (actor.role === 'FacilityUser') {
    if (actor.contactId) where.add('(submitted_by = ? OR contact_id = ?)', actor.sub, actor.contactId);
    else where.add('submitted_by = ?', actor.sub);
  }
  return where;
}

export async function findTripRequest(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<TripRequestRow | undefined> {
  const where = tripScope(actor).add('id = ?', id);
  return selectOne<TripRequestRow>(tx, { columns: TRIP_REQUEST_COLUMNS, from: 'trip_requests', where, forUpdate: options.forUpdate });
}

export interface TripRequestFilters {
  facilityId?: string;
  status?: TripRequestStatus;
  standingOrderId?: string;
  /** Trips whose appointment falls on this calendar day of the provider's zone. */
  appointmentDay?: { date: string; timeZone: string };
  /** Each request's rider (sealed): `include=rider`, never for Billing. */
  includeRider?: boolean;
}

/** A page of the trip requests this actor may see, by creation time either way; the rider is joined to the page only. */
export function listTripRequests(
  tx: Queryable,
  actor: Actor,
  filters: TripRequestFilters,
  page: PageRequest,
): Promise<(TripRequestRow & Partial<RiderSummaryColumns>)[]> {
  const where = tripScope(actor);
  if (filters.facilityId) where.add('facility_id = ?', filters.facilityId);
  if (filters.status) where.add('status = ?', filters.status);
  if (filters.standingOrderId) where.add('standing_order_id = ?', filters.standingOrderId);
  if (filters.appointmentDay) withinDay(where, 'appointment_at', filters.appointmentDay);
  const joined = filters.includeRider
    ? { columns: RIDER_SUMMARY_COLUMNS, join: 'LEFT JOIN riders r ON r.facility_id = page.facility_id AND r.id = page.rider_id' }
    : undefined;
  return selectPage(tx, { columns: TRIP_REQUEST_COLUMNS, from: 'trip_requests', where, page, joined });
}

/** Changes the trip of the named tenant only: no row (undefined) when the trip is not that tenant's. */
export async function updateTripRequest(
  tx: Queryable,
  trip: Pick<TripRequestRow, 'id' | 'facility_id'>,
  changes: Partial<Omit<TripRequestRow, 'id' | 'facility_id' | 'created_at' | 'updated_at' | 'version' | 'cursor_at' | 'rider_data_key'
    | 'standing_order_id' | 'occurrence_date'>>,
): Promise<TripRequestRow | undefined> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}`);
  const { rows } = await tx.query<TripRequestRow>(
    `UPDATE trip_requests SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(trip.facility_id)} AND id = ${where.param(trip.id)} RETURNING ${TRIP_REQUEST_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}
