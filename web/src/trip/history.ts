import type { AuditEvent, DispatcherLeg } from '../api/contract';
import { statusWord } from '../components/Status';
import { capitalise, ROLE_NAMES } from '../lib/words';

/**
 * The trip history's words: each audited action (`entity.verb`, as lambdas/api/handlers and the
 * schema's intake functions write them) as a sentence a dispatcher reads at a glance. This table
 * is the one place; an action it does not know still reads as words ("Billing record on hold").
 * `states: true` adds "from → to" where the sentence alone does not say where it ended up.
 */
const ACTIONS: Record<string, { text: string; states?: boolean }> = {
  'trip_request.created': { text: 'Request received' },
  'trip_request.scheduled': { text: 'Scheduled' },
  'trip_request.rejected': { text: 'Request rejected' },
  'trip_request.cancelled': { text: 'Trip cancelled' },
  'trip_request.updated': { text: 'Trip changed', states: true },
  'trip_leg.created': { text: 'Leg created' },
  'trip_leg.assigned': { text: 'Driver assigned' },
  'trip_leg.reassigned': { text: 'Driver changed' },
  'trip_leg.unassigned': { text: 'Driver removed' },
  'trip_leg.en_route': { text: 'Driver on the way' },
  'trip_leg.arrived': { text: 'Driver at the pickup' },
  'trip_leg.picked_up': { text: 'Rider picked up' },
  'trip_leg.completed': { text: 'Ride completed' },
  'trip_leg.no_show': { text: 'Rider did not show' },
  'trip_leg.cancelled': { text: 'Leg cancelled' },
  'trip_leg.updated': { text: 'Leg changed', states: true },
  'cancellation_request.requested': { text: 'Cancellation requested' },
  'cancellation_request.approved': { text: 'Cancellation approved' },
  'cancellation_request.denied': { text: 'Cancellation denied' },
  'billing_record.created': { text: 'Billing record created' },
  'rider.created': { text: 'Rider record created' },
  'rider.updated': { text: 'Rider details changed' },
  'rider.merged': { text: 'Rider merged' },
  'rider.merge_received': { text: 'Duplicate rider merged into this one' },
  'rider.erased': { text: "Rider's personal data erased" },
  'rider.exported': { text: "Rider's data exported" },
};

const ENTITY: Record<string, string> = {
  trip_request: 'Trip',
  trip_leg: 'Leg',
  cancellation_request: 'Cancellation',
  billing_record: 'Billing record',
  rider: 'Rider',
  records: 'Records',
};

const ASSIGNING = new Set(['trip_leg.assigned', 'trip_leg.reassigned']);

function words(value: string): string {
  return value.replace(/[._]+/g, ' ').trim();
}

function stateWord(state: string): string {
  return words(statusWord(state as Parameters<typeof statusWord>[0]));
}

/** A history line's "what": the sentence, the leg it concerns, the driver when cheaply known. */
export function describeEvent(
  event: AuditEvent,
  context: { legs: ReadonlyMap<string, Pick<DispatcherLeg, 'kind'>>; driverOf: ReadonlyMap<number, string> },
): string {
  const known = ACTIONS[event.action];
  let text: string;
  if (known) {
    text = known.text;
  } else {
    const [entity = '', verb = ''] = event.action.split('.');
    text = capitalise(`${ENTITY[entity] ?? words(entity)} ${words(verb)}`.trim().toLowerCase());
  }
  const driver = context.driverOf.get(event.seq);
  if (driver) text += ` (${driver})`;
  const showStates = !known || known.states;
  if (showStates && event.fromState && event.toState && event.fromState !== event.toState) {
    text += `: ${stateWord(event.fromState)} → ${stateWord(event.toState)}`;
  } else if (!known && event.toState) {
    text += ` (${stateWord(event.toState)})`;
  }
  const leg = event.entityType === 'trip_leg' ? context.legs.get(event.entityId) : undefined;
  if (leg && context.legs.size > 1) text += ` · ${leg.kind === 'outbound' ? 'outbound' : 'return'} leg`;
  return text;
}

/**
 * The driver named on each leg's latest assignment: the leg's current driver. Earlier
 * assignments stay nameless (the history does not carry the driver; guessing would mislead).
 */
export function assignedDrivers(
  events: readonly AuditEvent[],
  legs: ReadonlyMap<string, DispatcherLeg>,
  names: ReadonlyMap<string, string>,
): Map<number, string> {
  const latest = new Map<string, AuditEvent>();
  for (const event of events) {
    if (!ASSIGNING.has(event.action) && event.action !== 'trip_leg.unassigned') continue;
    const before = latest.get(event.entityId);
    if (!before || before.seq < event.seq) latest.set(event.entityId, event);
  }
  const result = new Map<number, string>();
  for (const [legId, event] of latest) {
    const driverId = legs.get(legId)?.driverId;
    const name = driverId ? names.get(driverId) : undefined;
    if (ASSIGNING.has(event.action) && name) result.set(event.seq, name);
  }
  return result;
}

/** "by whom": the public request page, the system, or the user's name and role. */
export function describeActor(event: AuditEvent, names: ReadonlyMap<string, string>): string {
  if (event.actorRole === 'Public') return 'by the public request page';
  if (event.actorRole === 'System' || !event.actorSub) return 'by the system';
  const role = ROLE_NAMES[event.actorRole as keyof typeof ROLE_NAMES] ?? words(event.actorRole);
  const name = names.get(event.actorSub);
  return name ? `by ${name} (${role})` : `by a ${role.toLowerCase()}`;
}
