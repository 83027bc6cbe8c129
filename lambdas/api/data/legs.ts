import type { FieldRef, PiiCrypto, RiderKeyState, Unavailable } from '../../shared/crypto/pii';
import type { Queryable } from '../../shared/db/port';
import type { LegStatus } from '../../shared/domain/lifecycles';
import type { Mobility } from '../../shared/domain/vehicles';
import type { Actor } from '../../shared/tenancy/actor';
import { Where, scopeToActor, selectOne, withinDay } from '../handlers/support';
import type { CursorKey } from '../handlers/pagination';
import { openRiderSummary, RIDER_SUMMARY_COLUMNS, type RiderSummary, type RiderSummaryColumns } from './trip-requests';

export interface LegRow {
  id: string;
  facility_id: string;
  trip_request_id: string;
  rider_id: string;
  kind: 'outbound' | 'return';
  will_call: boolean;
  status: LegStatus;
  driver_id: string | null;
  /** Set with the driver at assignment (schema/0022); null before, and on legs assigned before vehicles were recorded. */
  vehicle_id: string | null;
  pickup_address: string;
  dropoff_address: string;
  scheduled_pickup_at: string | null;
  scheduled_dropoff_at: string | null;
  actual_pickup_at: string | null;
  actual_dropoff_at: string | null;
  /** numeric columns arrive as text (full precision). */
  odometer_start: string | null;
  odometer_end: string | null;
  mileage: string | null;
  /** Sealed with the rider's data key (schema/0010). */
  completion_notes_enc: Buffer | null;
  no_show_reason: string | null;
  version: number;
  /** scheduled_pickup_at as text at full precision, the keyset sort key (null for will-call). */
  cursor_at: string | null;
  /** The rider's wrapped data key: for drivers always (they see the rider's name), else only when there are notes. */
  rider_data_key: Buffer | null;
  /** The trip's reference code: selected for dispatchers' reads (and every change, which only dispatchers and drivers make). */
  reference_code?: string;
  /** The trip's level of service (fixed once it is scheduled, so every leg's): selected with the reference code. */
  trip_service?: { mobility: Mobility; oxygen: boolean; companions: number } | null;
}

/** What a driver needs to find and carry the rider; selected only for Driver reads, sealed until opened. */
export interface RiderForDriver {
  rider_name_enc: Buffer | null;
  rider_phone_enc: Buffer | null;
  rider_mobility: Mobility;
}

export type LegRead = LegRow & Partial<RiderForDriver> & Partial<RiderSummaryColumns>;

/** A leg with its protected fields opened, or the reasons they cannot be shown. */
export interface LegView extends LegRead {
  completion_notes: string | null;
  rider_name: string | null;
  rider_phone: string | null;
  unavailable: { completionNotes?: Unavailable; riderName?: Unavailable; riderPhone?: Unavailable };
  /** Dispatchers' `include=rider` only. */
  rider?: RiderSummary;
}

const LEG_FIELDS = `id, facility_id, trip_request_id, rider_id, kind, will_call, status, driver_id, vehicle_id, pickup_address,
  dropoff_address, scheduled_pickup_at, scheduled_dropoff_at, actual_pickup_at, actual_dropoff_at, odometer_start,
  odometer_end, mileage, completion_notes_enc, no_show_reason, version`;

const riderKeyWhenNotes = (leg: string) => `CASE WHEN ${leg}.completion_notes_enc IS NOT NULL THEN (SELECT rk.data_key FROM riders rk
  WHERE rk.facility_id = ${leg}.facility_id AND rk.id = ${leg}.rider_id) END AS rider_data_key`;

const referenceCodeOf = (leg: string) => `(SELECT t.reference_code FROM trip_requests t
  WHERE t.facility_id = ${leg}.facility_id AND t.id = ${leg}.trip_request_id) AS reference_code,
  (SELECT jsonb_build_object('mobility', t.mobility, 'oxygen', t.oxygen, 'companions', t.companions) FROM trip_requests t
  WHERE t.facility_id = ${leg}.facility_id AND t.id = ${leg}.trip_request_id) AS trip_service`;

export const LEG_COLUMNS = `${LEG_FIELDS}, scheduled_pickup_at::text AS cursor_at, ${riderKeyWhenNotes('trip_legs')},
  ${referenceCodeOf('trip_legs')}`;

const QUALIFIED_LEG_COLUMNS = `${LEG_FIELDS.split(',').map((column) => `l.${column.trim()}`).join(', ')},
  l.scheduled_pickup_at::text AS cursor_at`;

// Only the rider's name, phone and mobility: never care notes, date of birth or home address.
const DRIVER_RIDER_COLUMNS = `r.data_key AS rider_data_key, r.full_name_enc AS rider_name_enc, r.phone_enc AS rider_phone_enc,
  r.mobility AS rider_mobility, leg_service_level(l.id) AS trip_service`;

const asNumber = (value: string | null) => (value === null ? null : Number(value));

const unavailableOf = (leg: LegView, fields: (keyof LegView['unavailable'])[]) => {
  const entries = fields.flatMap((field) => (leg.unavailable[field] ? [[field, leg.unavailable[field]] as const] : []));
  return entries.length > 0 ? { unavailable: Object.fromEntries(entries) } : {};
};

export const completionNotesRef = (leg: Pick<LegRow, 'id' | 'facility_id'>): FieldRef =>
  ({ table: 'trip_legs', column: 'completion_notes_enc', rowId: leg.id, facilityId: leg.facility_id });

/** A protected value of a leg view: where it is sealed, and where its opened value (or its absence) goes. */
interface LegSealedField {
  readonly property: 'completion_notes' | 'rider_name' | 'rider_phone';
  readonly field: keyof LegView['unavailable'];
  readonly ref: FieldRef;
  readonly sealed: Buffer | null;
}

function sealedFieldsFor(actor: Actor, row: LegRead): LegSealedField[] {
  const riderRef = (column: string): FieldRef => ({ table: 'riders', column, rowId: row.rider_id, facilityId: row.facility_id });
  if (actor.role === 'Driver') {
    return [
      { property: 'rider_name', field: 'riderName', ref: riderRef('full_name_enc'), sealed: row.rider_name_enc ?? null },
      { property: 'rider_phone', field: 'riderPhone', ref: riderRef('phone_enc'), sealed: row.rider_phone_enc ?? null },
    ];
  }
  if (actor.role === 'Dispatcher') {
    return [{ property: 'completion_notes', field: 'completionNotes', ref: completionNotesRef(row), sealed: row.completion_notes_enc }];
  }
  return [];
}

/**
 * Opens what this audience sees of each leg: drivers the rider's name and phone, dispatchers the
 * completion notes, facilities nothing protected. The keys are fetched here, from the caches (one
 * key-service call per tenant at most); the returned function does the CPU-only rest, which lists
 * run while their COMMIT travels (see RouteResult.body).
 */
export async function prepareLegs(pii: PiiCrypto, tx: Queryable, actor: Actor, rows: LegRead[], known?: RiderKeyState): Promise<() => LegView[]> {
  const legs = rows.map((row) => ({ row, fields: sealedFieldsFor(actor, row).filter((field) => field.sealed !== null) }));
  // A dispatcher's `include=rider` joined the rider's key to every row, and every row needs it.
  const withRider = (row: LegRead) => actor.role === 'Dispatcher' && row.rider_key !== undefined;
  const keys = await pii.openRiderKeysFor(tx, legs, ({ row, fields }) => {
    if (withRider(row)) return { facilityId: row.facility_id, riderId: row.rider_id, wrapped: row.rider_key ?? null };
    return fields.length > 0 ? { facilityId: row.facility_id, riderId: row.rider_id, wrapped: row.rider_data_key } : undefined;
  }, known);
  // A day's board meets the same rider on many legs (out and back, every ride of a regular):
  // each rider's summary is opened once per page and shared, read-only, by their legs.
  const summaries = new Map<string, RiderSummary>();
  const summaryOf = (row: LegRead, key: RiderKeyState | undefined): RiderSummary => {
    let summary = summaries.get(row.rider_id);
    if (!summary) {
      summary = openRiderSummary(pii, key, row as LegRead & RiderSummaryColumns, 'ambulatory');
      summaries.set(row.rider_id, summary);
    }
    return summary;
  };
  return () => legs.map(({ row, fields }, index) => {
    const view: LegView = { ...row, completion_notes: null, rider_name: null, rider_phone: null, unavailable: {} };
    if (withRider(row)) view.rider = summaryOf(row, keys[index]);
    // An erased rider's details are gone from the rider row itself; say so rather than show nothing.
    if (actor.role === 'Driver' && row.rider_data_key === null) view.unavailable = { riderName: 'erased', riderPhone: 'erased' };
    const key = keys[index];
    if (key === undefined) return view;
    for (const { property, field, ref, sealed } of fields) {
      const opened = pii.openField(key, ref, sealed);
      view[property] = opened.ok ? opened.value : null;
      if (!opened.ok) view.unavailable[field] = opened.reason;
    }
    return view;
  });
}

export async function openLegs(pii: PiiCrypto, tx: Queryable, actor: Actor, rows: LegRead[], known?: RiderKeyState): Promise<LegView[]> {
  return (await prepareLegs(pii, tx, actor, rows, known))();
}

/** Minimum necessary per audience (PRODUCT.md §3): dispatchers everything, drivers the job, facilities the status. */
export function toLeg(row: LegView, actor: Actor) {
  if (actor.role === 'Driver') {
    return {
      id: row.id,
      kind: row.kind,
      willCall: row.will_call,
      status: row.status,
      pickupAddress: row.pickup_address,
      dropoffAddress: row.dropoff_address,
      scheduledPickupAt: row.scheduled_pickup_at,
      scheduledDropoffAt: row.scheduled_dropoff_at,
      riderName: row.rider_name,
      riderPhone: row.rider_phone,
      mobility: row.trip_service?.mobility ?? row.rider_mobility ?? 'ambulatory',
      oxygen: row.trip_service?.oxygen ?? false,
      companions: row.trip_service?.companions ?? 0,
      vehicleId: row.vehicle_id,
      ...unavailableOf(row, ['riderName', 'riderPhone']),
      version: row.version,
    };
  }
  if (actor.role === 'FacilityAdmin' || actor.role === 'FacilityUser') {
    return {
      id: row.id,
      tripRequestId: row.trip_request_id,
      kind: row.kind,
      willCall: row.will_call,
      status: row.status,
      scheduledPickupAt: row.scheduled_pickup_at,
      scheduledDropoffAt: row.scheduled_dropoff_at,
      version: row.version,
    };
  }
  return toDispatcherLeg(row);
}

/** Everything about a leg: what dispatchers see, and what a rider's export holds. */
export function toDispatcherLeg(row: LegView) {
  return {
    id: row.id,
    facilityId: row.facility_id,
    tripRequestId: row.trip_request_id,
    referenceCode: row.reference_code ?? '',
    service: row.trip_service ?? null,
    riderId: row.rider_id,
    kind: row.kind,
    willCall: row.will_call,
    status: row.status,
    driverId: row.driver_id,
    vehicleId: row.vehicle_id,
    pickupAddress: row.pickup_address,
    dropoffAddress: row.dropoff_address,
    scheduledPickupAt: row.scheduled_pickup_at,
    scheduledDropoffAt: row.scheduled_dropoff_at,
    actualPickupAt: row.actual_pickup_at,
    actualDropoffAt: row.actual_dropoff_at,
    odometerStart: asNumber(row.odometer_start),
    odometerEnd: asNumber(row.odometer_end),
    mileage: asNumber(row.mileage),
    completionNotes: row.completion_notes,
    noShowReason: row.no_show_reason,
    ...unavailableOf(row, ['completionNotes']),
    ...(row.rider ? { rider: row.rider } : {}),
    version: row.version,
  };
}

/**
 * The explicit predicate for the legs this actor may see (RLS enforces the same): a driver only
 * the legs assigned to them, a facility admin their facility's, a facility user the legs of trips
 * they submitted or that name their contact.
 */
export function legScope(actor: Actor, where = new Where()): Where {
  scopeToActor(where, actor, 'l.facility_id');
  if (actor.role === 'Driver') where.add('l.driver_id = ?', actor.sub);
  if (actor.role === 'FacilityUser') {
    const submitter = where.param(actor.sub);
    const contact = actor.contactId ? ` OR t.contact_id = ${where.param(actor.contactId)}` : '';
    where.clauses.push(
      `EXISTS (SELECT 1 FROM trip_requests t WHERE t.facility_id = l.facility_id AND t.id = l.trip_request_id
         AND (t.submitted_by = ${submitter}${contact}))`,
    );
  }
  return where;
}

function fromClause(actor: Actor, options: { includeRider?: boolean } = {}): { columns: string; from: string } {
  if (actor.role === 'Dispatcher') {
    const columns = `${QUALIFIED_LEG_COLUMNS}, ${riderKeyWhenNotes('l')}, ${referenceCodeOf('l')}`;
    if (!options.includeRider) return { columns, from: 'trip_legs l' };
    return {
      columns: `${columns}, ${RIDER_SUMMARY_COLUMNS}`,
      from: 'trip_legs l LEFT JOIN riders r ON r.facility_id = l.facility_id AND r.id = l.rider_id',
    };
  }
  if (actor.role !== 'Driver') return { columns: `${QUALIFIED_LEG_COLUMNS}, ${riderKeyWhenNotes('l')}`, from: 'trip_legs l' };
  return {
    columns: `${QUALIFIED_LEG_COLUMNS}, ${DRIVER_RIDER_COLUMNS}`,
    from: 'trip_legs l JOIN riders r ON r.facility_id = l.facility_id AND r.id = l.rider_id',
  };
}

export async function findLeg(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<LegRead | undefined> {
  const where = legScope(actor).add('l.id = ?', id);
  const { columns, from } = fromClause(actor);
  // OF l: lock the leg only; a driver may read, not lock, the rider row.
  return selectOne<LegRead>(tx, { columns, from, where, forUpdate: options.forUpdate, lockOf: 'l' });
}

export interface LegFilters {
  status?: LegStatus;
  tripRequestId?: string;
  driverId?: string;
  from?: string;
  to?: string;
  /** A calendar day (YYYY-MM-DD) in `timeZone`: its first instant up to the next day's first instant. */
  day?: { date: string; timeZone: string };
  /** Dispatchers: the rider's name, phone and mobility with each leg. */
  includeRider?: boolean;
}

/**
 * Pickup time ascending, will-call legs (no time yet) last, then id. The keyset condition spells
 * out the NULL tail: after a timed row come later times, equal times with a larger id, and every
 * untimed row; after an untimed row only untimed rows with a larger id.
 */
export async function listLegs(
  tx: Queryable,
  actor: Actor,
  filters: LegFilters,
  page: { after: CursorKey | undefined; limit: number },
): Promise<LegRead[]> {
  const where = legScope(actor);
  if (filters.status) where.add('l.status = ?', filters.status);
  if (filters.tripRequestId) where.add('l.trip_request_id = ?', filters.tripRequestId);
  if (filters.driverId) where.add('l.driver_id = ?', filters.driverId);
  if (filters.from) where.add('l.scheduled_pickup_at >= ?::timestamptz', filters.from);
  if (filters.to) where.add('l.scheduled_pickup_at < ?::timestamptz', filters.to);
  if (filters.day) withinDay(where, 'l.scheduled_pickup_at', filters.day);
  if (page.after) {
    const [at, id] = page.after;
    if (at === null) {
      where.add('(l.scheduled_pickup_at IS NULL AND l.id > ?::uuid)', id);
    } else {
      const time = where.param(at);
      const afterId = where.param(id);
      where.clauses.push(
        `(l.scheduled_pickup_at > ${time}::timestamptz
          OR (l.scheduled_pickup_at = ${time}::timestamptz AND l.id > ${afterId}::uuid)
          OR l.scheduled_pickup_at IS NULL)`,
      );
    }
  }
  const { columns, from } = fromClause(actor, { includeRider: filters.includeRider });
  const { rows } = await tx.query<LegRead>(
    `SELECT ${columns} FROM ${from} ${where.sql()}
     ORDER BY l.scheduled_pickup_at ASC NULLS LAST, l.id ASC LIMIT ${where.param(page.limit + 1)}`,
    where.values as never,
  );
  return rows;
}

type LegChanges = Partial<
  Pick<
    LegRow,
    | 'status' | 'driver_id' | 'vehicle_id' | 'pickup_address' | 'dropoff_address' | 'scheduled_pickup_at' | 'scheduled_dropoff_at'
    | 'actual_pickup_at' | 'actual_dropoff_at' | 'completion_notes_enc' | 'no_show_reason'
  > & { odometer_start: number; odometer_end: number }
>;

/** Column names come from the typed keys above, never from input. */
export async function updateLeg(tx: Queryable, leg: Pick<LegRow, 'id' | 'facility_id'>, changes: LegChanges): Promise<LegRow | undefined> {
  const where = new Where();
  const assignments = Object.entries(changes).map(([column, value]) => `${column} = ${where.param(value)}`);
  const { rows } = await tx.query<LegRow>(
    `UPDATE trip_legs SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(leg.facility_id)} AND id = ${where.param(leg.id)}
      RETURNING ${LEG_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}

/** The trip's reference code when the tenant wants riders told their driver set off (schema/0009). */
export async function enRouteNotice(
  tx: Queryable,
  legId: string,
): Promise<{ facility_id: string; rider_id: string; trip_request_id: string; reference_code: string } | undefined> {
  const { rows } = await tx.query<{ facility_id: string; rider_id: string; trip_request_id: string; reference_code: string }>(
    'SELECT facility_id, rider_id, trip_request_id, reference_code FROM leg_en_route_notice($1)',
    [legId],
  );
  return rows[0];
}

/** The driver's or vehicle's leg a refused booking overlaps (the extension member `clash` of a 409 …-double-booked). */
export interface LegClash {
  legId: string;
  tripRequestId: string;
  referenceCode: string;
  scheduledPickupAt: string;
  scheduledDropoffAt: string;
}

/**
 * The driver's (or vehicle's) live leg whose window overlaps [pickupAt, dropoffAt), other than the
 * leg being changed: the rows the exclusion constraint trip_legs_driver_no_overlap (or
 * trip_legs_vehicle_no_overlap) compared, by the same condition (so its GiST index answers). Read
 * after the refusal, in a new transaction.
 */
export async function findClash(
  tx: Queryable,
  holder: { column: 'driver_id' | 'vehicle_id'; id: string },
  attempt: { legId: string; pickupAt: string; dropoffAt: string },
): Promise<LegClash | undefined> {
  const { rows } = await tx.query<{ id: string; trip_request_id: string; reference_code: string; scheduled_pickup_at: string;
    scheduled_dropoff_at: string }>(
    `SELECT l.id, l.trip_request_id, t.reference_code, l.scheduled_pickup_at, l.scheduled_dropoff_at
       FROM trip_legs l JOIN trip_requests t ON t.facility_id = l.facility_id AND t.id = l.trip_request_id
      WHERE l.${holder.column} = $1 AND l.id <> $2 AND l.scheduled_pickup_at IS NOT NULL AND l.status <> 'cancelled'
        AND l.scheduled_window && tstzrange($3::timestamptz, $4::timestamptz, '[)')
      ORDER BY l.scheduled_pickup_at, l.id LIMIT 1`,
    [holder.id, attempt.legId, attempt.pickupAt, attempt.dropoffAt],
  );
  const row = rows[0];
  return row && { legId: row.id, tripRequestId: row.trip_request_id, referenceCode: row.reference_code,
    scheduledPickupAt: row.scheduled_pickup_at, scheduledDropoffAt: row.scheduled_dropoff_at };
}
