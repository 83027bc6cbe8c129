import type { Database, Queryable } from '../db/port';
import { type Actor, isFacilityActor, ROLES } from './actor';
import { isUuid } from '../uuid';

/**
 * The one door to tenant data. Opens a transaction, sets the caller's whole context (role, sub,
 * facility, contact, request id) with set_config(..., true) in the same round trip as BEGIN,
 * runs the work and commits. Row-level security reads that context, so work done here sees only
 * what the actor may see; work done anywhere else sees nothing (the policies fail closed).
 *
 * Values are validated here (UUIDs, a known role, a bounded request id) before the adapter
 * escapes them as literals, so a malformed claim fails loudly instead of widening access.
 */
export interface ActorContext {
  readonly requestId?: string;
  readonly readOnly?: boolean;
  /** Refuse (SQLSTATE 28000) unless the database holds an active user matching every claim. */
  readonly requireActiveUser?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class InvalidActorError extends Error {
  constructor(what: string) {
    super(`invalid actor: ${what}`);
    this.name = 'InvalidActorError';
  }
}

function uuid(value: string | undefined, what: string): string {
  if (value === undefined) return '';
  if (!isUuid(value)) throw new InvalidActorError(what);
  return value.toLowerCase();
}

export function actorSettings(actor: Actor, context: ActorContext = {}): Record<string, string> {
  if (!(ROLES as readonly string[]).includes(actor.role)) throw new InvalidActorError('role');
  const facility = isFacilityActor(actor);
  if (facility && !actor.facilityId) throw new InvalidActorError('facility role without facility');
  if (!facility && ('facilityId' in actor || 'contactId' in actor)) {
    throw new InvalidActorError('staff role with a facility');
  }
  if (context.requestId !== undefined && !REQUEST_ID.test(context.requestId)) {
    throw new InvalidActorError('request id');
  }
  return {
    'app.role': actor.role,
    'app.sub': uuid(actor.sub, 'sub'),
    'app.facility_id': facility ? uuid(actor.facilityId, 'facility') : '',
    'app.contact_id': facility ? uuid(actor.contactId, 'contact') : '',
    'app.request_id': context.requestId ?? '',
  };
}

/** `whileCommitting`: see TransactionRun. */
export async function withActor<T, R = T>(
  db: Database,
  actor: Actor,
  work: (tx: Queryable) => Promise<T>,
  context: ActorContext = {},
  whileCommitting?: (result: T) => R,
): Promise<R> {
  const settings = actorSettings(actor, context);
  return db.transaction(work, {
    settings,
    readOnly: context.readOnly,
    initStatements: context.requireActiveUser ? ['SELECT app_assert_actor()'] : undefined,
    whileCommitting,
  });
}
