import { arrayLiteral } from '../db/array-literal';
import type { Queryable, SqlParam } from '../db/port';
import type { Role } from '../tenancy/actor';

/**
 * A detail value: ids, codes, counts, flags, or a list of codes (e.g. the names of the fields an
 * edit changed). Deliberately flat, so a whole record cannot be dropped in by accident.
 */
export type AuditDetailValue = string | number | boolean | null | readonly string[];

/** A user acting through withActor, or the System (a scheduled job acting for one tenant, no sub). */
export type AuditActor = { readonly sub: string; readonly role: Role } | { readonly sub: null; readonly role: 'System' };

export const SYSTEM_ACTOR: AuditActor = { sub: null, role: 'System' };

export interface AuditEvent {
  /** The tenant whose chain records the event; null for provider-level events (staff users, new facilities). */
  readonly facilityId: string | null;
  readonly tripRequestId?: string;
  /** Must be the actor the surrounding transaction runs as: the insert policy checks it. */
  readonly actor: AuditActor;
  /** What was acted on, e.g. `trip_request`, `trip_leg`, `user`. */
  readonly entityType: string;
  readonly entityId: string;
  /** What happened, e.g. `trip_request.scheduled`. */
  readonly action: string;
  readonly fromState?: string;
  readonly toState?: string;
  /**
   * Extra ids and codes only. NEVER PHI or personal data: no names, phone numbers, emails,
   * addresses, dates of birth, clinical or care notes, free text typed by a user. Audit events are
   * append-only and cannot be redacted later, and facility staff, dispatchers and auditors read
   * them.
   */
  readonly details?: Readonly<Record<string, AuditDetailValue>>;
}

/** One INSERT with its parameters, its placeholders numbered from a given start so it can be composed. */
export interface NumberedStatement {
  readonly sql: string;
  readonly params: SqlParam[];
}

/**
 * The event's INSERT with placeholders from `$first`: the only copy of its column list, used alone
 * by recordAuditEvent and inside a data-modifying CTE by writeOutboxWithAudit (one round trip for
 * both rows; the insert policy and the chain trigger apply there as they do here).
 */
export function auditEventInsert(event: AuditEvent, first = 1): NumberedStatement {
  const at = (offset: number) => `$${first + offset}`;
  return {
    sql: `INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id,
                               action, from_state, to_state, details)
     VALUES (${at(0)}::uuid, ${at(1)}::uuid, ${at(2)}::uuid, ${at(3)}, ${at(4)}, ${at(5)}::uuid, ${at(6)}, ${at(7)}, ${at(8)}, ${at(9)}::jsonb)`,
    params: [
      event.facilityId,
      event.tripRequestId ?? null,
      event.actor.sub,
      event.actor.role,
      event.entityType,
      event.entityId,
      event.action,
      event.fromState ?? null,
      event.toState ?? null,
      JSON.stringify(event.details ?? {}),
    ],
  };
}

/**
 * Appends one event to the tenant's audit chain, inside the caller's withActor transaction, so
 * the event commits or rolls back with the change it records. The database fills in the chain
 * fields (chain key, seq, prev_hash, hash), the time and the request id from the transaction's
 * context. No RETURNING: the API role needs nothing back, and RETURNING would make the insert
 * depend on the read policies too.
 */
export async function recordAuditEvent(tx: Queryable, event: AuditEvent): Promise<void> {
  const insert = auditEventInsert(event);
  await tx.query(insert.sql, insert.params);
}

/**
 * The events' INSERT, in the order given, as one statement with placeholders from `$first` (ten
 * array parameters whatever the number of events): the chain trigger still fills in each event, row
 * by row, in that order. Composable, like auditEventInsert, into a statement that also makes the
 * change the events record.
 */
export function auditEventsInsert(events: readonly AuditEvent[], first = 1): NumberedStatement {
  const at = (offset: number) => `$${first + offset}`;
  const column = <T extends string | null>(pick: (event: AuditEvent) => T) => arrayLiteral(events.map(pick));
  return {
    sql: `INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id,
                               action, from_state, to_state, details)
     SELECT e.facility_id, e.trip_request_id, e.actor_sub, e.actor_role, e.entity_type, e.entity_id, e.action, e.from_state,
            e.to_state, e.details
       FROM unnest(${at(0)}::uuid[], ${at(1)}::uuid[], ${at(2)}::uuid[], ${at(3)}::text[], ${at(4)}::text[], ${at(5)}::uuid[],
                   ${at(6)}::text[], ${at(7)}::text[], ${at(8)}::text[], ${at(9)}::jsonb[]) WITH ORDINALITY
            AS e(facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id, action, from_state, to_state, details, n)
      ORDER BY e.n`,
    params: [
      column((event) => event.facilityId),
      column((event) => event.tripRequestId ?? null),
      column((event) => event.actor.sub),
      column((event) => event.actor.role),
      column((event) => event.entityType),
      column((event) => event.entityId),
      column((event) => event.action),
      column((event) => event.fromState ?? null),
      column((event) => event.toState ?? null),
      column((event) => JSON.stringify(event.details ?? {})),
    ],
  };
}

/**
 * Appends events in the order given, in one statement (a series' trips, legs and transitions): the
 * chain trigger still fills in each event, row by row, in that order.
 */
export async function recordAuditEvents(tx: Queryable, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const insert = auditEventsInsert(events);
  await tx.query(insert.sql, insert.params);
}
