import type { Queryable } from '../../shared/db/port';
import type { CancellationStatus } from '../../shared/domain/lifecycles';
import type { Actor } from '../../shared/tenancy/actor';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, scopeToActor, selectOne } from '../handlers/support';

export type CancellationReasonCode = 'booked_by_mistake' | 'changed_plans' | 'unable_to_make_trip' | 'other';

export interface CancellationRequestRow {
  id: string;
  facility_id: string;
  trip_request_id: string;
  status: CancellationStatus;
  reason_code: CancellationReasonCode;
  reason_text: string | null;
  requested_by: string;
  decided_by: string | null;
  decision_reason: string | null;
  decided_at: string | null;
  created_at: string;
  version: number;
  cursor_at: string;
}

export const CANCELLATION_COLUMNS = `id, facility_id, trip_request_id, status, reason_code, reason_text, requested_by,
  decided_by, decision_reason, decided_at, created_at, version, created_at::text AS cursor_at`;

export function toCancellationRequest(row: CancellationRequestRow) {
  return {
    id: row.id,
    facilityId: row.facility_id,
    tripRequestId: row.trip_request_id,
    status: row.status,
    reasonCode: row.reason_code,
    reasonText: row.reason_text,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    decidedAt: row.decided_at,
    createdAt: row.created_at,
    version: row.version,
  };
}

/**
 * What this actor may see of cancellation requests: facility roles their own facility's, and a
 * FacilityUser only those on trips it may see (it submitted them, or they name its contact).
 * Row-level security enforces the same through the trip_requests policies.
 */
export function cancellationScope(actor: Actor, where = new Where()): Where {
  scopeToActor(where, actor);
  if (actor.role === 'FacilityUser') {
    const tripVisible = actor.contactId
      ? `(t.submitted_by = ${where.param(actor.sub)} OR t.contact_id = ${where.param(actor.contactId)})`
      : `t.submitted_by = ${where.param(actor.sub)}`;
    where.clauses.push(
      `EXISTS (SELECT 1 FROM trip_requests t WHERE t.facility_id = cancellation_requests.facility_id
                 AND t.id = cancellation_requests.trip_request_id AND ${tripVisible})`,
    );
  }
  return where;
}

export async function findCancellationRequest(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<CancellationRequestRow | undefined> {
  const where = cancellationScope(actor).add('id = ?', id);
  return selectOne<CancellationRequestRow>(tx, { columns: CANCELLATION_COLUMNS, from: 'cancellation_requests', where, forUpdate: options.forUpdate });
}

export interface CancellationFilters {
  status?: CancellationStatus;
  tripRequestId?: string;
}

/** Newest first, keyset on (created_at, id), within the actor's scope. */
export function listCancellationRequests(
  tx: Queryable,
  actor: Actor,
  filters: CancellationFilters,
  page: PageRequest,
): Promise<CancellationRequestRow[]> {
  const where = cancellationScope(actor);
  if (filters.status) where.add('status = ?', filters.status);
  if (filters.tripRequestId) where.add('trip_request_id = ?', filters.tripRequestId);
  return selectPage<CancellationRequestRow>(tx, { columns: CANCELLATION_COLUMNS, from: 'cancellation_requests', where, page });
}

export async function findPendingCancellation(tx: Queryable, facilityId: string, tripRequestId: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM cancellation_requests WHERE facility_id = $1 AND trip_request_id = $2 AND status = 'pending'`,
    [facilityId, tripRequestId],
  );
  return rows[0]?.id;
}

export async function insertCancellationRequest(
  tx: Queryable,
  input: { facilityId: string; tripRequestId: string; reasonCode: CancellationReasonCode; reasonText: string | null; requestedBy: string },
): Promise<CancellationRequestRow> {
  const { rows } = await tx.query<CancellationRequestRow>(
    `INSERT INTO cancellation_requests (facility_id, trip_request_id, reason_code, reason_text, requested_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${CANCELLATION_COLUMNS}`,
    [input.facilityId, input.tripRequestId, input.reasonCode, input.reasonText, input.requestedBy],
  );
  return rows[0] as CancellationRequestRow;
}

/** Records the decision; the lifecycle trigger refuses anything but pending → approved | denied. */
export async function decideCancellationRequest(
  tx: Queryable,
  request: Pick<CancellationRequestRow, 'id' | 'facility_id'>,
  decision: { status: 'approved' | 'denied'; decidedBy: string; reason: string | null },
): Promise<CancellationRequestRow | undefined> {
  const { rows } = await tx.query<CancellationRequestRow>(
    `UPDATE cancellation_requests SET status = $3, decided_by = $4, decision_reason = $5, decided_at = now()
      WHERE facility_id = $1 AND id = $2 RETURNING ${CANCELLATION_COLUMNS}`,
    [request.facility_id, request.id, decision.status, decision.decidedBy, decision.reason],
  );
  return rows[0];
}
