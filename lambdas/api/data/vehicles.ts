import type { Queryable } from '../../shared/db/port';
import type { VehicleStatus } from '../../shared/domain/lifecycles';
import type { LevelOfService, VehicleCapabilities, VehicleKind } from '../../shared/domain/vehicles';
import type { CursorKey } from '../handlers/pagination';
import { selectOne, Where } from '../handlers/support';

/**
 * Vehicles are provider-level staff data (schema/0022): no tenant predicate applies, and row-level
 * security shows them to staff only; the routes already refuse facility roles.
 */
export interface VehicleRow {
  id: string;
  name: string;
  plate: string;
  kind: VehicleKind;
  ambulatory_seats: number;
  wheelchair_positions: number;
  bariatric: boolean;
  stretcher: boolean;
  oxygen: boolean;
  status: VehicleStatus;
  out_of_service_reason: string | null;
  /** numeric arrives as text (full precision). */
  odometer: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

const VEHICLE_COLUMNS = `id, name, plate, kind, ambulatory_seats, wheelchair_positions, bariatric, stretcher, oxygen, status,
  out_of_service_reason, odometer, created_at, updated_at, version`;

export const capabilitiesOf = (row: VehicleRow): VehicleCapabilities => ({
  ambulatorySeats: row.ambulatory_seats,
  wheelchairPositions: row.wheelchair_positions,
  bariatric: row.bariatric,
  stretcher: row.stretcher,
  oxygen: row.oxygen,
});

export const readingOf = (row: Pick<VehicleRow, 'odometer'>): number | null => (row.odometer === null ? null : Number(row.odometer));

export function toVehicle(row: VehicleRow) {
  return {
    id: row.id,
    name: row.name,
    plate: row.plate,
    kind: row.kind,
    capabilities: capabilitiesOf(row),
    status: row.status,
    outOfServiceReason: row.out_of_service_reason,
    odometer: readingOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export function findVehicle(tx: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<VehicleRow | undefined> {
  return selectOne<VehicleRow>(tx, { columns: VEHICLE_COLUMNS, from: 'vehicles', where: new Where().add('id = ?', id),
    forUpdate: options.forUpdate });
}

/** By name, then id (a fleet is read as a list of names); keyset on the two. */
export async function listVehicles(tx: Queryable, filters: { status?: VehicleStatus },
  page: { after: CursorKey | undefined; limit: number }): Promise<VehicleRow[]> {
  const where = new Where();
  if (filters.status) where.add('status = ?', filters.status);
  if (page.after) where.add('(name, id) > (?, ?::uuid)', page.after[0] ?? '', page.after[1]);
  const { rows } = await tx.query<VehicleRow>(
    `SELECT ${VEHICLE_COLUMNS} FROM vehicles ${where.sql()} ORDER BY name, id LIMIT ${where.param(page.limit + 1)}`,
    where.values as never,
  );
  return rows;
}

export type VehicleColumns = Pick<VehicleRow, 'name' | 'plate' | 'kind' | 'ambulatory_seats' | 'wheelchair_positions' | 'bariatric'
  | 'stretcher' | 'oxygen'>;

export function columnsOf(capabilities: VehicleCapabilities): Omit<VehicleColumns, 'name' | 'plate' | 'kind'> {
  return {
    ambulatory_seats: capabilities.ambulatorySeats,
    wheelchair_positions: capabilities.wheelchairPositions,
    bariatric: capabilities.bariatric,
    stretcher: capabilities.stretcher,
    oxygen: capabilities.oxygen,
  };
}

export async function insertVehicle(tx: Queryable, input: VehicleColumns): Promise<VehicleRow> {
  const { rows } = await tx.query<VehicleRow>(
    `INSERT INTO vehicles (name, plate, kind, ambulatory_seats, wheelchair_positions, bariatric, stretcher, oxygen)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${VEHICLE_COLUMNS}`,
    [input.name, input.plate, input.kind, input.ambulatory_seats, input.wheelchair_positions, input.bariatric, input.stretcher,
      input.oxygen],
  );
  const row = rows[0];
  if (!row) throw new Error('unreachable: INSERT … RETURNING gave no row');
  return row;
}

export type VehicleChanges = Partial<VehicleColumns & Pick<VehicleRow, 'status' | 'out_of_service_reason'> & { odometer: number }>;

/** Column names come from the typed keys above, never from input. */
export async function updateVehicle(tx: Queryable, vehicle: Pick<VehicleRow, 'id'>, changes: VehicleChanges): Promise<VehicleRow | undefined> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}`);
  const { rows } = await tx.query<VehicleRow>(
    `UPDATE vehicles SET ${assignments.join(', ')} WHERE id = ${where.param(vehicle.id)} RETURNING ${VEHICLE_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}

/**
 * Legs holding the vehicle that have not started: assigned, pickup still to come (or a will-call
 * return not yet timed). A vehicle leaves service only once they have another vehicle.
 */
export async function legsAheadFor(tx: Queryable, vehicleId: string, limit: number): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM trip_legs
      WHERE vehicle_id = $1 AND status = 'assigned' AND (scheduled_pickup_at IS NULL OR scheduled_pickup_at > now())
      ORDER BY scheduled_pickup_at NULLS LAST, id LIMIT $2`,
    [vehicleId, limit],
  );
  return rows.map((row) => row.id);
}

/** The level of service of the leg's trip (frozen since the trip was scheduled). */
export async function levelOfServiceOf(tx: Queryable, leg: { facility_id: string; trip_request_id: string }):
  Promise<LevelOfService | undefined> {
  const { rows } = await tx.query<LevelOfService>(
    'SELECT mobility, oxygen, companions FROM trip_requests WHERE facility_id = $1 AND id = $2',
    [leg.facility_id, leg.trip_request_id],
  );
  return rows[0];
}

/** One correction, with its reason (schema/0022: free text stays out of the audit trail). */
export async function recordOdometerCorrection(tx: Queryable,
  correction: { vehicleId: string; before: string | null; after: string; reason: string; correctedBy: string }): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO vehicle_odometer_corrections (vehicle_id, reading_before, reading_after, reason, corrected_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [correction.vehicleId, correction.before, correction.after, correction.reason, correction.correctedBy],
  );
  const row = rows[0];
  if (!row) throw new Error('unreachable: INSERT … RETURNING gave no row');
  return row.id;
}
