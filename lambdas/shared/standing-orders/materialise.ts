import { type AuditActor, type AuditEvent, type NumberedStatement, recordAuditEvents, SYSTEM_ACTOR } from '../audit/record';
import { arrayLiteral } from '../db/array-literal';
import { logger } from '../log';
import type { Database, Queryable } from '../db/port';
import { type PlannedLeg, scheduleTrips } from '../trips/schedule';
import { addDays, localDate, type Occurrence, occurrences, type SeriesPattern, type SeriesTimes } from './occurrences';

/**
 * Standing orders become ordinary trips (docs/architecture.md, "Standing orders"): every occurrence in
 * the horizon is a trip, already scheduled with its legs, made exactly as the schedule route makes
 * them. The database keeps one live trip per series and day (trip_requests_occurrence), and every
 * run first locks its series row, so the nightly run, an edit and a second run take turns and each
 * day's trip is made once, from the series as it is when its turn comes.
 */

export interface MaterialiseDeps {
  /** The provider's IANA zone: the series' local times are wall-clock times there. */
  readonly timeZone: string;
  /** Who the audit events name: the API's caller, or the System for the nightly run. */
  readonly actor: AuditActor;
  /** Occurrences whose pickup is not after this are never made (default: now). */
  readonly now?: Date;
}

/** Calendar days in the provider's zone, both inclusive. */
export interface Horizon {
  readonly from: string;
  readonly through: string;
}

/** The days a series has trips for: `horizonDays` of them from today (shared/settings.ts reads the setting). */
export function horizonFrom(today: string, horizonDays: number): Horizon {
  return { from: today, through: addDays(today, Math.max(horizonDays, 1) - 1) };
}

/** Today in the provider's zone. */
export function providerToday(timeZone: string, now = new Date()): string {
  return localDate(now, timeZone);
}

export interface SeriesRow {
  id: string;
  facility_id: string;
  rider_id: string;
  contact_id: string | null;
  submitted_by: string;
  source: 'facility' | 'dispatcher';
  status: 'pending' | 'active' | 'paused' | 'rejected' | 'ended';
  days_of_week: number[];
  appointment_time: string;
  pickup_time: string;
  pickup_address: string;
  dropoff_address: string;
  mobility: string;
  oxygen: boolean;
  companions: number;
  return_mode: 'none' | 'timed' | 'will_call';
  return_pickup_time: string | null;
  start_date: string;
  end_date: string | null;
  excluded_dates: string[];
  rejection_reason: string | null;
  materialised_through: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export const SERIES_COLUMNS = `id, facility_id, rider_id, contact_id, submitted_by, source, status,
  days_of_week::int[] AS days_of_week, to_char(appointment_time, 'HH24:MI') AS appointment_time,
  to_char(pickup_time, 'HH24:MI') AS pickup_time, pickup_address, dropoff_address, mobility, oxygen, companions, return_mode,
  to_char(return_pickup_time, 'HH24:MI') AS return_pickup_time, start_date::text AS start_date, end_date::text AS end_date,
  excluded_dates::text[] AS excluded_dates, rejection_reason, materialised_through::text AS materialised_through, created_at,
  updated_at, version`;

export function seriesPattern(series: SeriesRow): SeriesPattern & SeriesTimes {
  return {
    daysOfWeek: series.days_of_week, startDate: series.start_date, endDate: series.end_date,
    excludedDates: series.excluded_dates, pickupTime: series.pickup_time, appointmentTime: series.appointment_time,
    returnMode: series.return_mode, returnPickupTime: series.return_pickup_time,
  };
}

/**
 * Locks the series row (every run and every change takes it first), reads it as it now is, and
 * whether its rider is erased (null when the rider is not there), in one round trip.
 */
async function lockSeriesWithRider(tx: Queryable, facilityId: string | undefined, seriesId: string)
  : Promise<(SeriesRow & { rider_erased: boolean | null }) | undefined> {
  const { rows } = await tx.query<SeriesRow & { rider_erased: boolean | null }>(
    `SELECT ${SERIES_COLUMNS},
            (SELECT r.erased_at IS NOT NULL FROM riders r WHERE r.facility_id = s.facility_id AND r.id = s.rider_id) AS rider_erased
       FROM standing_orders s WHERE ${facilityId ? 's.facility_id = $2 AND ' : ''}s.id = $1 FOR UPDATE OF s`,
    facilityId ? [seriesId, facilityId] : [seriesId],
  );
  return rows[0];
}

/** Records how far the series is materialised (the caller checked it was behind). */
function progressUpdate(series: SeriesRow, horizon: Horizon, first = 1): NumberedStatement {
  return {
    sql: `UPDATE standing_orders SET materialised_through = $${first + 2}::date WHERE facility_id = $${first} AND id = $${first + 1}`,
    params: [series.facility_id, series.id, horizon.through],
  };
}

export interface SeriesRun {
  readonly seriesId: string;
  readonly facilityId: string;
  readonly tripsCreated: number;
  /** The days whose trips this run made. */
  readonly dates: readonly string[];
}

function legsOf(series: SeriesRow, occurrence: Occurrence): PlannedLeg[] {
  // A pickup inside a spring-forward gap moves forward by the gap; the ride still takes a minute at least.
  const dropoffAt = Date.parse(occurrence.appointmentAt) > Date.parse(occurrence.pickupAt)
    ? occurrence.appointmentAt : new Date(Date.parse(occurrence.pickupAt) + 60_000).toISOString();
  const legs: PlannedLeg[] = [{ kind: 'outbound', willCall: false, pickupAt: occurrence.pickupAt, dropoffAt,
    pickupAddress: series.pickup_address, dropoffAddress: series.dropoff_address }];
  if (series.return_mode !== 'none') {
    legs.push({ kind: 'return', willCall: series.return_mode === 'will_call', pickupAt: occurrence.returnPickupAt,
      dropoffAt: occurrence.returnDropoffAt, pickupAddress: series.dropoff_address, dropoffAddress: series.pickup_address });
  }
  return legs;
}

/**
 * Makes the trips of one series' occurrences in the horizon that do not exist yet, in the caller's
 * transaction: locks the series, skips it unless active (and its rider not erased), inserts the
 * missing days' trips (a day that already has a live trip, or was withdrawn and made again, is left to
 * the unique index: ON CONFLICT DO NOTHING), schedules them with their legs as the schedule route does
 * and audits each, plus one `standing_order.materialised` event with the count. No rider message: the
 * rider was told once when the series was accepted.
 */
export async function materialiseSeries(tx: Queryable, deps: MaterialiseDeps, seriesId: string, horizon: Horizon,
  facilityId?: string): Promise<SeriesRun> {
  const series = await lockSeriesWithRider(tx, facilityId, seriesId);
  const none = { seriesId, facilityId: series?.facility_id ?? facilityId ?? '', tripsCreated: 0, dates: [] };
  if (series?.status !== 'active') return none;
  // Null: the rider is not there (or not visible); either way nothing is made for them.
  if (series.rider_erased !== false) return none;

  const now = (deps.now ?? new Date()).getTime();
  const due = occurrences(seriesPattern(series), horizon.from, horizon.through, deps.timeZone)
    .filter((occurrence) => Date.parse(occurrence.pickupAt) > now);
  const created = due.length === 0 ? [] : (await tx.query<{ id: string; occurrence_date: string }>(
    `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, contact_id, pickup_address, dropoff_address,
       appointment_at, requested_pickup_at, return_trip, requested_return_at, mobility, oxygen, companions, standing_order_id,
       occurrence_date)
     SELECT $1, $2, $3, $4, $5, $6, $7, o.appointment_at, o.pickup_at, $8, o.return_at, $9, $10, $11, $12, o.day
       FROM unnest($13::date[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[]) WITH ORDINALITY
            AS o(day, appointment_at, pickup_at, return_at, n)
      ORDER BY o.n
     ON CONFLICT (standing_order_id, occurrence_date) WHERE NOT occurrence_withdrawn DO NOTHING
     RETURNING id, occurrence_date::text AS occurrence_date`,
    [series.facility_id, series.rider_id, series.source, series.submitted_by, series.contact_id, series.pickup_address,
      series.dropoff_address, series.return_mode === 'timed' ? 'scheduled' : series.return_mode, series.mobility, series.oxygen,
      series.companions, series.id, arrayLiteral(due.map((o) => o.date)), arrayLiteral(due.map((o) => o.appointmentAt)),
      arrayLiteral(due.map((o) => o.pickupAt)), arrayLiteral(due.map((o) => o.returnPickupAt))],
  )).rows;

  const behind = series.materialised_through === null || series.materialised_through < horizon.through;
  if (created.length > 0) {
    const byDate = new Map(due.map((occurrence) => [occurrence.date, occurrence]));
    // The trips' creation, their scheduling, the series' event and its progress: every event in one
    // statement, in the order they always had, with the move to `scheduled` and the progress.
    await scheduleTrips(tx, deps.actor, created.map((trip) => ({
      facilityId: series.facility_id, id: trip.id, riderId: series.rider_id, fromStatus: 'requested',
      legs: legsOf(series, byDate.get(trip.occurrence_date) as Occurrence),
    })), {
      eventsBefore: created.map((trip): AuditEvent => ({
        facilityId: series.facility_id, tripRequestId: trip.id, actor: deps.actor, entityType: 'trip_request', entityId: trip.id,
        action: 'trip_request.created', toState: 'requested',
        details: { riderId: series.rider_id, standingOrderId: series.id, occurrenceDate: trip.occurrence_date },
      })),
      eventsAfter: [{
        facilityId: series.facility_id, actor: deps.actor, entityType: 'standing_order', entityId: series.id,
        action: 'standing_order.materialised',
        details: { tripsCreated: created.length, from: horizon.from, through: horizon.through },
      }],
      statement: behind ? (first) => progressUpdate(series, horizon, first) : undefined,
    });
  } else if (behind) {
    const progress = progressUpdate(series, horizon);
    await tx.query(progress.sql, progress.params);
  }
  return { seriesId: series.id, facilityId: series.facility_id, tripsCreated: created.length,
    dates: created.map((trip) => trip.occurrence_date).sort() };
}

// ---- the series' own changes ---------------------------------------------------------------------------

/** An occurrence a change did not touch because somebody already had. */
export interface LeftAlone {
  readonly occurrenceDate: string;
  readonly tripId: string;
  readonly reason: 'assigned' | 'started' | 'cancelled';
}

export interface Withdrawal {
  readonly withdrawn: readonly { tripId: string; occurrenceDate: string }[];
  readonly leftAlone: readonly LeftAlone[];
}

/**
 * Withdraws the series' future occurrences that nobody has touched (trip scheduled, every leg
 * unassigned): each trip and its legs are cancelled, audited, and the trip marked withdrawn so its day
 * can be made again (resume, an edit). Touched ones are left as they are and reported. The caller has
 * locked the series. No rider message per trip.
 */
export async function withdrawOccurrences(tx: Queryable, deps: MaterialiseDeps, series: Pick<SeriesRow, 'id' | 'facility_id'>,
  reasonCode: 'series_changed' | 'series_paused' | 'series_ended'): Promise<Withdrawal> {
  const now = deps.now ?? new Date();
  const { rows: trips } = await tx.query<{ id: string; occurrence_date: string; status: string }>(
    `SELECT id, occurrence_date::text AS occurrence_date, status FROM trip_requests
      WHERE facility_id = $1 AND standing_order_id = $2 AND NOT occurrence_withdrawn AND requested_pickup_at > $3
      ORDER BY occurrence_date FOR UPDATE`,
    [series.facility_id, series.id, now],
  );
  const legStates = await legStatesOf(tx, series.facility_id, trips.map((trip) => trip.id));
  const candidates = trips.filter((trip) => !touchedBecause(trip.status, legStates.get(trip.id) ?? []));
  // Lock the legs to cancel: an assignment committed since the look above drops its leg from this
  // answer (it is no longer unassigned), and its occurrence is then left alone as assigned.
  const locked = await legStatesOf(tx, series.facility_id, candidates.map((trip) => trip.id), { lockUnassigned: true });
  const leftAlone: LeftAlone[] = [];
  const untouched: { tripId: string; occurrenceDate: string }[] = [];
  for (const trip of trips) {
    const states = legStates.get(trip.id) ?? [];
    const reason = touchedBecause(trip.status, states)
      ?? ((locked.get(trip.id)?.length ?? 0) < states.length ? 'assigned' : undefined);
    if (reason) leftAlone.push({ occurrenceDate: trip.occurrence_date, tripId: trip.id, reason });
    else untouched.push({ tripId: trip.id, occurrenceDate: trip.occurrence_date });
  }
  if (untouched.length > 0) {
    const ids = arrayLiteral(untouched.map((trip) => trip.tripId));
    await tx.query(
      `UPDATE trip_requests SET status = 'cancelled', occurrence_withdrawn = true WHERE facility_id = $1 AND id = ANY($2::uuid[])`,
      [series.facility_id, ids]);
    const { rows: legs } = await tx.query<{ id: string; trip_request_id: string }>(
      `UPDATE trip_legs SET status = 'cancelled' WHERE facility_id = $1 AND trip_request_id = ANY($2::uuid[]) AND status = 'unassigned'
       RETURNING id, trip_request_id`,
      [series.facility_id, ids]);
    await recordAuditEvents(tx, untouched.flatMap(({ tripId, occurrenceDate }): AuditEvent[] => [
      { facilityId: series.facility_id, tripRequestId: tripId, actor: deps.actor, entityType: 'trip_request', entityId: tripId,
        action: 'trip_request.cancelled', fromState: 'scheduled', toState: 'cancelled',
        details: { reasonCode, standingOrderId: series.id, occurrenceDate } },
      ...legs.filter((leg) => leg.trip_request_id === tripId).map((leg): AuditEvent => ({
        facilityId: series.facility_id, tripRequestId: tripId, actor: deps.actor, entityType: 'trip_leg', entityId: leg.id,
        action: 'trip_leg.cancelled', fromState: 'unassigned', toState: 'cancelled' })),
    ]));
    await tx.query('UPDATE standing_orders SET materialised_through = NULL WHERE facility_id = $1 AND id = $2',
      [series.facility_id, series.id]);
  }
  return { withdrawn: untouched, leftAlone };
}

async function legStatesOf(tx: Queryable, facilityId: string, tripIds: readonly string[],
  options: { lockUnassigned?: boolean } = {}): Promise<Map<string, string[]>> {
  const states = new Map<string, string[]>();
  if (tripIds.length === 0) return states;
  const { rows } = await tx.query<{ trip_request_id: string; status: string }>(
    `SELECT trip_request_id, status FROM trip_legs WHERE facility_id = $1 AND trip_request_id = ANY($2::uuid[])
     ${options.lockUnassigned ? "AND status = 'unassigned' FOR UPDATE" : ''}`,
    [facilityId, arrayLiteral(tripIds)],
  );
  for (const row of rows) states.set(row.trip_request_id, [...(states.get(row.trip_request_id) ?? []), row.status]);
  return states;
}

/** Why an occurrence counts as touched, or undefined when nobody has touched it. */
export function touchedBecause(tripStatus: string, legStates: readonly string[]): LeftAlone['reason'] | undefined {
  if (tripStatus === 'cancelled') return 'cancelled';
  if (tripStatus !== 'scheduled' || legStates.some((state) => !['unassigned', 'assigned', 'cancelled'].includes(state))) {
    return 'started';
  }
  if (legStates.some((state) => state === 'assigned')) return 'assigned';
  if (legStates.some((state) => state === 'cancelled')) return 'cancelled';
  return undefined;
}

/**
 * After an edit of an active series (the caller changed its row, which locked it): its untouched
 * future occurrences are withdrawn and made again from the series as it now is; touched ones are left
 * and reported. Each day ends with exactly one live trip, whichever of this and the nightly run goes
 * first.
 */
export async function applySeriesChange(tx: Queryable, deps: MaterialiseDeps, series: Pick<SeriesRow, 'id' | 'facility_id'>,
  horizon: Horizon): Promise<Withdrawal & { run: SeriesRun }> {
  const withdrawal = await withdrawOccurrences(tx, deps, series, 'series_changed');
  const run = await materialiseSeries(tx, deps, series.id, horizon, series.facility_id);
  return { ...withdrawal, run };
}

// ---- the nightly run -------------------------------------------------------------------------------------

export interface MaterialiseAllReport {
  /** Series that were due (active, not yet materialised through the horizon's last day). */
  readonly series: number;
  readonly tripsCreated: number;
  /** Series whose run failed (each is its own transaction; the others went on). Ids only. */
  readonly failed: readonly string[];
}

const PAGE = 500;

function systemSettings(facilityId: string | null, requestId: string): Record<string, string> {
  return { 'app.role': 'System', 'app.sub': '', 'app.facility_id': facilityId ?? '', 'app.contact_id': '', 'app.request_id': requestId };
}

/**
 * The nightly run, as the materialiser's login (nemt_materialiser_user) and the System actor: finds
 * the active series not yet materialised through the horizon, and materialises each in its own
 * transaction scoped to its tenant. A second run over the same horizon finds nothing due and writes
 * nothing.
 */
export async function materialiseAll(db: Database, deps: { timeZone: string; requestId?: string; now?: Date },
  options: { horizonDays: number; today?: string }): Promise<MaterialiseAllReport> {
  const now = deps.now ?? new Date();
  const horizon = horizonFrom(options.today ?? providerToday(deps.timeZone, now), options.horizonDays);
  const requestId = deps.requestId ?? `materialise-${horizon.from}`;
  let tripsCreated = 0;
  let series = 0;
  const failed: string[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await db.transaction((tx) => tx.query<{ id: string; facility_id: string }>(
      `SELECT id, facility_id FROM standing_orders
        WHERE status = 'active' AND (materialised_through IS NULL OR materialised_through < $1::date) AND id > $2::uuid
        ORDER BY id LIMIT ${PAGE}`,
      [horizon.through, after]), { settings: systemSettings(null, requestId), readOnly: true });
    for (const row of rows) {
      series += 1;
      try {
        const run = await db.transaction((tx) => materialiseSeries(tx, { timeZone: deps.timeZone, actor: SYSTEM_ACTOR, now }, row.id,
          horizon, row.facility_id), { settings: systemSettings(row.facility_id, requestId) });
        tripsCreated += run.tripsCreated;
      } catch (error) {
        // Ids only (no PHI in logs); the next run tries this series again.
        logger.warn('standing order not materialised', { standingOrderId: row.id, errorName: (error as Error)?.name });
        failed.push(row.id);
      }
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)?.id ?? after;
  }
  return { series, tripsCreated, failed };
}
