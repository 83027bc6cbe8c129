import { AUDIT_EVENT_COLUMNS, type AuditActor, type AuditEvent, auditEventRows, type NumberedStatement } from '../audit/record';
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
 * leg and every trip, in the caller's transaction and in one statement whatever the number of trips.
 * The dispatcher's schedule route and the standing-order materialiser both schedule this way. Times
 * are checked by the caller (and by the database's own constraints).
 *
 * The statement's parts see the database as it was when it began: the legs' insert policies find
 * their trip still `requested` whatever the move does, and nothing in it reads what another part
 * wrote except the leg events, which read the legs' RETURNING. The events go in the order given:
 * the caller's before, each leg created (trip by trip, outbound first), each trip scheduled, the
 * caller's after.
 */
export async function scheduleTrips(tx: Queryable, actor: AuditActor, trips: readonly TripToSchedule[],
  alongside: ScheduleAlongside = {}): Promise<void> {
  if (trips.length === 0) return;
  const legs = trips.flatMap((trip) => trip.legs.map((leg) => ({ trip, leg })));
  const before = auditEventRows(alongside.eventsBefore ?? [], 14);
  const after = auditEventRows([
    ...trips.map((trip): AuditEvent => ({
      facilityId: trip.facilityId, tripRequestId: trip.id, actor, entityType: 'trip_request', entityId: trip.id,
      action: 'trip_request.scheduled', fromState: trip.fromStatus, toState: 'scheduled',
    })),
    ...(alongside.eventsAfter ?? []),
  ], 24);
  const own = alongside.statement?.(34);
  await tx.query(
    `WITH planned AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::boolean[], $6::text[], $7::text[],
                            $8::timestamptz[], $9::timestamptz[]) WITH ORDINALITY
         AS l(facility_id, trip_request_id, rider_id, kind, will_call, pickup_address, dropoff_address, pickup_at, dropoff_at, n)
     ), legs AS (
       INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, will_call, pickup_address, dropoff_address,
         scheduled_pickup_at, scheduled_dropoff_at)
       SELECT facility_id, trip_request_id, rider_id, kind, will_call, pickup_address, dropoff_address, pickup_at, dropoff_at
         FROM planned ORDER BY n
       RETURNING id, facility_id, trip_request_id, kind, will_call
     ), scheduled AS (
       UPDATE trip_requests t SET status = 'scheduled'
         FROM unnest($10::uuid[], $11::uuid[]) AS s(facility_id, id)
        WHERE t.facility_id = s.facility_id AND t.id = s.id
     )${own ? `, alongside AS (${own.sql})` : ''}
     INSERT INTO audit_events (${AUDIT_EVENT_COLUMNS})
     SELECT ${AUDIT_EVENT_COLUMNS} FROM (
       SELECT ${AUDIT_EVENT_COLUMNS}, 1 AS part, n FROM (${before.sql}) AS b
       UNION ALL
       SELECT legs.facility_id, legs.trip_request_id, $12::uuid, $13::text, 'trip_leg', legs.id, 'trip_leg.created', NULL,
              'unassigned', jsonb_build_object('kind', legs.kind, 'willCall', legs.will_call), 2, p.n
         FROM legs JOIN planned p ON p.trip_request_id = legs.trip_request_id AND p.kind = legs.kind
       UNION ALL
       SELECT ${AUDIT_EVENT_COLUMNS}, 3, n FROM (${after.sql}) AS a
     ) AS e ORDER BY e.part, e.n`,
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
      arrayLiteral(trips.map((trip) => trip.facilityId)),
      arrayLiteral(trips.map((trip) => trip.id)),
      actor.sub,
      actor.role,
      ...before.params,
      ...after.params,
      ...(own?.params ?? []),
    ],
  );
}
