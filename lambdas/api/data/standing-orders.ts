import type { Queryable } from '../../shared/db/port';
import { SERIES_COLUMNS, type SeriesRow } from '../../shared/standing-orders/materialise';
import type { Actor } from '../../shared/tenancy/actor';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { selectOne, Where } from '../handlers/support';
import { tripScope } from './trip-requests';

export type StandingOrderRow = SeriesRow & { cursor_at: string };

const COLUMNS = `${SERIES_COLUMNS}, created_at::text AS cursor_at`;

/**
 * The explicit predicate for what this actor may see of standing orders (RLS enforces the same):
 * the trip requests' rule, since a series is submitted like a trip (by a user, for a contact).
 */
const seriesScope: (actor: Actor, where?: Where) => Where = tripScope;

export function findStandingOrder(tx: Queryable, actor: Actor, id: string, options: { forUpdate?: boolean } = {}):
  Promise<StandingOrderRow | undefined> {
  return selectOne<StandingOrderRow>(tx, { columns: COLUMNS, from: 'standing_orders', where: seriesScope(actor).add('id = ?', id),
    forUpdate: options.forUpdate });
}

export function listStandingOrders(tx: Queryable, actor: Actor,
  filters: { status?: string; facilityId?: string; riderId?: string }, page: PageRequest): Promise<StandingOrderRow[]> {
  const where = seriesScope(actor);
  if (filters.facilityId) where.add('facility_id = ?', filters.facilityId);
  if (filters.status) where.add('status = ?', filters.status);
  if (filters.riderId) where.add('rider_id = ?', filters.riderId);
  return selectPage(tx, { columns: COLUMNS, from: 'standing_orders', where, page });
}

/** Column values by name; arrays go in as literals cast by the column's type. */
export type StandingOrderChanges = Partial<Record<
  'contact_id' | 'status' | 'days_of_week' | 'pickup_time' | 'appointment_time' | 'pickup_address' | 'dropoff_address' | 'mobility'
  | 'oxygen' | 'companions' | 'return_mode' | 'return_pickup_time' | 'start_date' | 'end_date' | 'excluded_dates'
  | 'rejection_reason', string | number | boolean | null>>;

const CASTS: Record<string, string> = { days_of_week: '::smallint[]', excluded_dates: '::date[]' };

/** Changes the series of the named tenant only. */
export async function updateStandingOrder(tx: Queryable, series: Pick<SeriesRow, 'id' | 'facility_id'>, changes: StandingOrderChanges):
  Promise<StandingOrderRow | undefined> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}${CASTS[column] ?? ''}`);
  const { rows } = await tx.query<StandingOrderRow>(
    `UPDATE standing_orders SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(series.facility_id)} AND id = ${where.param(series.id)} RETURNING ${COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}

export function insertStandingOrder(tx: Queryable, values: Record<string, string | number | boolean | null>):
  Promise<StandingOrderRow | undefined> {
  const columns = Object.keys(values);
  const where = new Where();
  const placeholders = columns.map((column) => `${where.param(values[column] ?? null)}${CASTS[column] ?? ''}`);
  return tx.query<StandingOrderRow>(
    `INSERT INTO standing_orders (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${COLUMNS}`,
    where.values as never,
  ).then((result) => result.rows[0]);
}

export interface StandingOrderBody {
  id: string;
  facilityId: string;
  riderId: string;
  contactId: string | null;
  source: SeriesRow['source'];
  status: SeriesRow['status'];
  daysOfWeek: number[];
  appointmentTime: string;
  pickupTime: string;
  pickupAddress: string;
  dropoffAddress: string;
  mobility: string;
  oxygen: boolean;
  companions: number;
  returnMode: SeriesRow['return_mode'];
  returnPickupTime: string | null;
  startDate: string;
  endDate: string | null;
  excludedDates: string[];
  rejectionReason: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function toStandingOrder(row: SeriesRow): StandingOrderBody {
  return {
    id: row.id, facilityId: row.facility_id, riderId: row.rider_id, contactId: row.contact_id, source: row.source,
    status: row.status, daysOfWeek: [...row.days_of_week].sort(), appointmentTime: row.appointment_time,
    pickupTime: row.pickup_time, pickupAddress: row.pickup_address, dropoffAddress: row.dropoff_address,
    mobility: row.mobility, oxygen: row.oxygen, companions: row.companions, returnMode: row.return_mode,
    returnPickupTime: row.return_pickup_time, startDate: row.start_date, endDate: row.end_date,
    excludedDates: [...row.excluded_dates].sort(), rejectionReason: row.rejection_reason, createdAt: row.created_at,
    updatedAt: row.updated_at, version: row.version,
  };
}
