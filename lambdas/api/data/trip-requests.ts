import type { Queryable } from '../../shared/db/port';
import type { TripRequestStatus } from '../../shared/domain/lifecycles';
import type { Actor } from '../../shared/tenancy/actor';
import { Where, scopeToActor } from '../handlers/support';

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
  mobility: 'ambulatory' | 'wheelchair' | 'stretcher';
  clinical_notes: string | null;
  rejection_reason: string | null;
  created_at: string;
  updated_at: string;
  version: number;
  cursor_at: string;
}

export const TRIP_REQUEST_COLUMNS = `id, facility_id, reference_code, rider_id, source, submitted_by, contact_id, status,
  pickup_address, dropoff_address, appointment_at, requested_pickup_at, return_trip, requested_return_at, mobility,
  clinical_notes, rejection_reason, created_at, updated_at, version, created_at::text AS cursor_at`;

/** Billing sees trips without clinical notes (minimum necessary, PRODUCT.md §3). */
export function toTripRequest(row: TripRequestRow, actor: Actor) {
  return {
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
    ...(actor.role === 'Billing' ? {} : { clinicalNotes: row.clinical_notes }),
    rejectionReason: row.rejection_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
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
  const { rows } = await tx.query<TripRequestRow>(
    `SELECT ${TRIP_REQUEST_COLUMNS} FROM trip_requests ${where.sql()}${options.forUpdate ? ' FOR UPDATE' : ''}`,
    where.values as never,
  );
  return rows[0];
}

export async function updateTripRequest(
  tx: Queryable,
  id: string,
  changes: Partial<Omit<TripRequestRow, 'id' | 'facility_id' | 'created_at' | 'updated_at' | 'version' | 'cursor_at'>>,
): Promise<TripRequestRow> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}`);
  const { rows } = await tx.query<TripRequestRow>(
    `UPDATE trip_requests SET ${assignments.join(', ')} WHERE id = ${where.param(id)} RETURNING ${TRIP_REQUEST_COLUMNS}`,
    where.values as never,
  );
  return rows[0] as TripRequestRow;
}
