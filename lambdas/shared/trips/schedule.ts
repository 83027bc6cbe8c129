import { type AuditActor, type AuditEvent, auditEventsInsert, type NumberedStatement } from '../audit/record';
import { arrayLiteral } from '../db/array-literal';
import type { Queryable } from '../db/port';

/** A leg to create when a trip is scheduled: timed, or a will-call return whose time stays open. */
export interface PlannedLeg {
  readonly kind: 'outbound' | 'return';
  readonly willCall: boolean;
  readonly pickupAt: string | null;
  readonly dropoffAt: string | null;
  readonly pickupAddress: string;
  readonly dropoffAddress: string;
}

export interface TripToSchedule {
  readonly facilityId: string;
  readonly id: string;
  readonly riderId: string;
  /** The state it is scheduled from (requested), for the audit event. */
  readonly fromStatus: string;
  readonly legs: readonly PlannedLeg[];
}

/**
 * What a caller adds to the scheduling's last statement, so that it costs no round trip of its own:
 * audit events of its own before and after the scheduling's (the chain records them in that order),
 * and one data-modifying statement (no RETURNING is read) with its placeholders from `$first`.
 */
export interface ScheduleAlongside {
  readonly eventsBefore?: readonly AuditEvent[];
  readonly eventsAfter?: readonly AuditEvent[];
  readonly statement?: (first: number) => NumberedStatement;
}

/**
 * Schedules trips: creates their legs (unassigned), moves each trip to `scheduled` and audits every
 * leg and every trip, in the caller's transaction and in two statements whatever the number of
 * trips (the legs first: a facility's insert policy wants their trip still `requested`; then the move
 * and the audit events together). The dispatcher's schedule route and the standing-order materialiser
 * both schedule this way. Times are checked by the caller (and by the database's own constraints).
 */
export async function scheduleTrips(tx: Queryable, actor: AuditActor, trips: readonly TripToSchedule[],
  alongside: ScheduleAlongside = {}): Promise<void> {
  if (trips.length === 0) return;
  const legs = trips.flatMap((trip) => trip.legs.map((leg) => ({ trip, leg })));
  const { rows } = await tx.query<{ id: string; trip_request_id: string; kind: string; will_call: boolean }>(
    `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, will_call, pickup_address, dropoff_address,
       scheduled_pickup_at, scheduled_dropoff_at)
     SELECT l.facility_id, l.trip_request_id, l.rider_id, l.kind, l.will_call, l.pickup_address, l.dropoff_address, l.pickup_at,
            l.dropoff_at
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::timestamptz[],
                   $9::timestamptz[]) WITH ORDINALITY
            AS l(facility_id, trip_request_id, rider_id, kind, will_call, pickup_address, dropoff_address, pickup_at, dropoff_at, n)
      ORDER BY l.n
     RETURNING id, trip_request_id, kind, will_call`,
    [
      arrayLiteral(legs.map(({ trip }) => trip.facilityId)),
      arrayLiteral(legs.map(({ trip }) => trip.id)),
      arrayLiteral(legs.map(({ trip }) => trip.riderId)),
      arrayLiteral(legs.map(({ leg }) => leg.kind)),
      arrayLiteral(legs.map(({ leg }) => leg.willCall)),
      arrayLiteral(legs.map(({ leg }) => leg.pickupAddress)),
      arrayLiteral(legs.map(({ leg }) => leg.dropoffAddress)),
      arrayLiteral(legs.map(({ leg }) => leg.pickupAt)),
      arrayLiteral(legs.map(({ leg }) => leg.dropoffAt)),
    ],
  );
  const facilityOf = new Map(trips.map((trip) => [trip.id, trip.facilityId]));
  const legEvents: AuditEvent[] = rows.map((leg) => ({
    facilityId: facilityOf.get(leg.trip_request_id) as string, tripRequestId: leg.trip_request_id, actor,
    entityType: 'trip_leg', entityId: leg.id, action: 'trip_leg.created', toState: 'unassigned',
    details: { kind: leg.kind, willCall: leg.will_call },
  }));
  const audit = auditEventsInsert([
    ...(alongside.eventsBefore ?? []),
    ...legEvents,
    ...trips.map((trip): AuditEvent => ({
      facilityId: trip.facilityId, tripRequestId: trip.id, actor, entityType: 'trip_request', entityId: trip.id,
      action: 'trip_request.scheduled', fromState: trip.fromStatus, toState: 'scheduled',
    })),
    ...(alongside.eventsAfter ?? []),
  ], 3);
  const own = alongside.statement?.(3 + audit.params.length);
  // Data-modifying CTEs run whether or not the main statement reads them; none reads another's rows.
  await tx.query(
    `WITH scheduled AS (
       UPDATE trip_requests t SET status = 'scheduled'
         FROM unnest($1::uuid[], $2::uuid[]) AS s(facility_id, id)
        WHERE t.facility_id = s.facility_id AND t.id = s.id)${own ? `,
     alongside AS (${own.sql})` : ''}
     ${audit.sql}`,
    [arrayLiteral(trips.map((trip) => trip.facilityId)), arrayLiteral(trips.map((trip) => trip.id)), ...audit.params,
      ...(own?.params ?? [])],
  );
}
