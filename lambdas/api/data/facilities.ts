import type { Queryable } from '../../shared/db/port';
import type { Actor } from '../../shared/tenancy/actor';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, scopeToActor, selectOne } from '../handlers/support';

export type FacilityKind = 'facility' | 'individual';

export interface FacilityRow {
  id: string;
  kind: FacilityKind;
  name: string;
  address: string | null;
  notify_driver_en_route: boolean;
  notify_ride_reminder: boolean;
  active: boolean;
  created_at: string;
  version: number;
  cursor_at: string;
}

export const FACILITY_COLUMNS = 'id, kind, name, address, notify_driver_en_route, notify_ride_reminder, active, created_at, version, created_at::text AS cursor_at';

export function toFacility(row: FacilityRow) {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    address: row.address,
    notifyDriverEnRoute: row.notify_driver_en_route,
    notifyRideReminder: row.notify_ride_reminder,
    active: row.active,
    createdAt: row.created_at,
    version: row.version,
  };
}

/** Facility roles see only their own tenant; the tenant's own id is the scoping column here. */
export async function findFacility(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<FacilityRow | undefined> {
  const where = scopeToActor(new Where(), actor, 'id').add('id = ?', id);
  return selectOne<FacilityRow>(tx, { columns: FACILITY_COLUMNS, from: 'facilities', where, forUpdate: options.forUpdate });
}

/** Newest first, keyset on (created_at, id); a facility role's list holds only its own tenant. */
export function listFacilities(tx: Queryable, actor: Actor, filters: { kind?: FacilityKind }, page: PageRequest): Promise<FacilityRow[]> {
  const where = scopeToActor(new Where(), actor, 'id');
  if (filters.kind) where.add('kind = ?', filters.kind);
  return selectPage<FacilityRow>(tx, { columns: FACILITY_COLUMNS, from: 'facilities', where, page });
}

export async function insertFacility(
  tx: Queryable,
  input: { kind: FacilityKind; name: string; address?: string; notifyDriverEnRoute: boolean; notifyRideReminder: boolean },
): Promise<FacilityRow> {
  const { rows } = await tx.query<FacilityRow>(
    `INSERT INTO facilities (kind, name, address, notify_driver_en_route, notify_ride_reminder) VALUES ($1, $2, $3, $4, $5)
     RETURNING ${FACILITY_COLUMNS}`,
    [input.kind, input.name, input.address ?? null, input.notifyDriverEnRoute, input.notifyRideReminder],
  );
  return rows[0] as FacilityRow;
}

export type FacilityChanges = Partial<Pick<FacilityRow, 'name' | 'address' | 'notify_driver_en_route' | 'notify_ride_reminder' | 'active'>>;

/** A facility's own id is its tenant: the named facility changes, no other; no row (undefined) when it does not exist. */
export async function updateFacility(
  tx: Queryable,
  facility: Pick<FacilityRow, 'id'>,
  changes: FacilityChanges,
): Promise<FacilityRow | undefined> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}`);
  const { rows } = await tx.query<FacilityRow>(
    `UPDATE facilities SET ${assignments.join(', ')} WHERE id = ${where.param(facility.id)} RETURNING ${FACILITY_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}
