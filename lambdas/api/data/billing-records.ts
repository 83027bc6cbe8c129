import type { Queryable } from '../../shared/db/port';
import type { BillingStatus } from '../../shared/domain/lifecycles';
import type { LevelOfService } from './billing-codes';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, selectOne } from '../handlers/support';

export interface BillingRecordRow {
  id: string;
  facility_id: string;
  trip_request_id: string;
  trip_leg_id: string;
  status: BillingStatus;
  held_from: BillingStatus | null;
  leg_outcome: 'completed' | 'no_show';
  /** numeric arrives as text (full precision). */
  mileage: string | null;
  amount_cents: number | null;
  invoice_number: string | null;
  note: string | null;
  level_of_service: LevelOfService | null;
  vehicle_kind: VehicleKind | null;
  created_at: string;
  updated_at: string;
  version: number;
  cursor_at: string;
  /** The trip's code and the leg's pickup (actual, else scheduled): what a clerk matches a claim by. */
  reference_code: string;
  service_at: string | null;
}

export type VehicleKind = 'sedan' | 'minivan' | 'wheelchair_van' | 'stretcher_van';

/**
 * Subqueries rather than a join so the same list serves SELECT, the page and UPDATE … RETURNING;
 * each names the record's facility, as every tenant-scoped read does.
 */
export const BILLING_RECORD_COLUMNS = `id, facility_id, trip_request_id, trip_leg_id, status, held_from, leg_outcome, mileage,
  amount_cents, invoice_number, note, level_of_service, vehicle_kind, created_at, updated_at, version,
  created_at::text AS cursor_at,
  (SELECT t.reference_code FROM trip_requests t
    WHERE t.facility_id = billing_records.facility_id AND t.id = billing_records.trip_request_id) AS reference_code,
  (SELECT coalesce(l.actual_pickup_at, l.scheduled_pickup_at) FROM trip_legs l
    WHERE l.facility_id = billing_records.facility_id AND l.id = billing_records.trip_leg_id) AS service_at`;

export function toBillingRecord(row: BillingRecordRow) {
  return {
    id: row.id,
    facilityId: row.facility_id,
    tripRequestId: row.trip_request_id,
    tripLegId: row.trip_leg_id,
    status: row.status,
    heldFrom: row.held_from,
    referenceCode: row.reference_code,
    serviceAt: row.service_at,
    legOutcome: row.leg_outcome,
    mileage: row.mileage === null ? null : Number(row.mileage),
    amountCents: row.amount_cents,
    invoiceNumber: row.invoice_number,
    note: row.note,
    levelOfService: row.level_of_service,
    vehicleKind: row.vehicle_kind,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export async function findBillingRecord(
  tx: Queryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<BillingRecordRow | undefined> {
  const where = new Where().add('id = ?', id);
  return selectOne<BillingRecordRow>(tx, { columns: BILLING_RECORD_COLUMNS, from: 'billing_records', where, forUpdate: options.forUpdate });
}

export interface BillingFilters {
  status?: BillingStatus;
  facilityId?: string;
  /** Record creation time, inclusive lower and exclusive upper bound. */
  from?: string;
  to?: string;
}

function filtered(filters: BillingFilters, column = (name: string) => name): Where {
  const where = new Where();
  if (filters.status) where.add(`${column('status')} = ?`, filters.status);
  if (filters.facilityId) where.add(`${column('facility_id')} = ?`, filters.facilityId);
  if (filters.from) where.add(`${column('created_at')} >= ?::timestamptz`, filters.from);
  if (filters.to) where.add(`${column('created_at')} < ?::timestamptz`, filters.to);
  return where;
}

/** Newest first, keyset on (created_at, id). */
export function listBillingRecords(tx: Queryable, filters: BillingFilters, page: PageRequest): Promise<BillingRecordRow[]> {
  return selectPage<BillingRecordRow>(tx, { columns: BILLING_RECORD_COLUMNS, from: 'billing_records', where: filtered(filters), page });
}

/** One export line: what a claim needs, nothing about the rider or the trip's clinical side. */
export interface BillingExportRow {
  id: string;
  facility_id: string;
  trip_request_id: string;
  trip_leg_id: string;
  reference_code: string;
  leg_outcome: 'completed' | 'no_show';
  service_at: string | null;
  mileage: string | null;
  amount_cents: number | null;
  invoice_number: string | null;
  status: BillingStatus;
  created_at: string;
  updated_at: string;
  level_of_service: LevelOfService | null;
  vehicle_kind: VehicleKind | null;
  /** From billing_codes as it stands when the export runs. */
  base_code: string | null;
  mileage_code: string | null;
  /** Pickup to drop-off; none for a no-show. */
  loaded_miles: string | null;
}

/**
 * Fetches up to `limit` rows, oldest first so an export reads like a ledger. The codes are looked
 * up now, by the record's level of service: an edited mapping applies to every later export.
 */
export async function exportBillingRecords(tx: Queryable, filters: BillingFilters, limit: number): Promise<BillingExportRow[]> {
  const where = filtered(filters, (name) => `b.${name}`);
  const { rows } = await tx.query<BillingExportRow>(
    `SELECT b.id, b.facility_id, b.trip_request_id, b.trip_leg_id, t.reference_code, b.leg_outcome,
            coalesce(l.actual_pickup_at, l.scheduled_pickup_at) AS service_at, b.mileage, b.amount_cents,
            b.invoice_number, b.status, b.created_at, b.updated_at, b.level_of_service, b.vehicle_kind, c.base_code,
            c.mileage_code, CASE WHEN b.leg_outcome = 'completed' THEN b.mileage END AS loaded_miles
       FROM billing_records b
       JOIN trip_requests t ON t.facility_id = b.facility_id AND t.id = b.trip_request_id
       JOIN trip_legs l ON l.facility_id = b.facility_id AND l.id = b.trip_leg_id
       LEFT JOIN billing_codes c ON c.level_of_service = b.level_of_service
     ${where.sql()}
     ORDER BY b.created_at ASC, b.id ASC LIMIT ${where.param(limit)}`,
    where.values as never,
  );
  return rows;
}

/** Changes the record of the named tenant only: no row (undefined) when the record is not that tenant's. */
export async function updateBillingRecord(
  tx: Queryable,
  record: Pick<BillingRecordRow, 'id' | 'facility_id'>,
  changes: Partial<Pick<BillingRecordRow, 'status' | 'held_from' | 'amount_cents' | 'invoice_number' | 'note'>>,
): Promise<BillingRecordRow | undefined> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}`);
  const { rows } = await tx.query<BillingRecordRow>(
    `UPDATE billing_records SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(record.facility_id)} AND id = ${where.param(record.id)} RETURNING ${BILLING_RECORD_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}
