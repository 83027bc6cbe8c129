/**
 * The lifecycles of PRODUCT.md §4 as data. schema/0003 holds the same table and its triggers
 * refuse anything else; test/unit/lifecycles.test.ts keeps the two identical. Handlers consult
 * these first so clients get a precise 409 instead of a database refusal.
 */
export interface Lifecycle<S extends string> {
  readonly initial: S;
  readonly final: readonly S[];
  readonly transitions: Readonly<Record<S, readonly S[]>>;
}

function lifecycle<const S extends string>(definition: Lifecycle<S>): Lifecycle<S> {
  return definition;
}

export const tripRequestLifecycle = lifecycle({
  initial: 'requested',
  final: ['completed', 'rejected', 'cancelled'],
  transitions: {
    requested: ['scheduled', 'rejected', 'cancelled'],
    scheduled: ['in_progress', 'cancelled'],
    in_progress: ['completed', 'cancelled'],
    completed: [],
    rejected: [],
    cancelled: [],
  },
});

export const legLifecycle = lifecycle({
  initial: 'unassigned',
  final: ['completed', 'no_show', 'cancelled'],
  transitions: {
    unassigned: ['assigned', 'cancelled'],
    assigned: ['unassigned', 'en_route', 'cancelled'],
    en_route: ['arrived', 'cancelled'],
    arrived: ['picked_up', 'no_show', 'cancelled'],
    picked_up: ['completed', 'cancelled'],
    completed: [],
    no_show: [],
    cancelled: [],
  },
});

export const cancellationLifecycle = lifecycle({
  initial: 'pending',
  final: ['approved', 'denied'],
  transitions: { pending: ['approved', 'denied'], approved: [], denied: [] },
});

export const billingLifecycle = lifecycle({
  initial: 'pending',
  final: ['paid', 'written_off'],
  transitions: {
    pending: ['ready', 'on_hold', 'written_off'],
    ready: ['invoiced', 'on_hold', 'written_off'],
    invoiced: ['paid', 'denied', 'on_hold', 'written_off'],
    denied: ['ready', 'on_hold', 'written_off'],
    on_hold: ['pending', 'ready', 'invoiced', 'denied', 'written_off'],
    paid: [],
    written_off: [],
  },
});

/** Vehicles (schema/0022): out of service says why; retired is for good. */
export const vehicleLifecycle = lifecycle({
  initial: 'in_service',
  final: ['retired'],
  transitions: {
    in_service: ['out_of_service', 'retired'],
    out_of_service: ['in_service', 'retired'],
    retired: [],
  },
});

export type TripRequestStatus = keyof typeof tripRequestLifecycle.transitions;
export type LegStatus = keyof typeof legLifecycle.transitions;
export type CancellationStatus = keyof typeof cancellationLifecycle.transitions;
export type BillingStatus = keyof typeof billingLifecycle.transitions;
export type VehicleStatus = keyof typeof vehicleLifecycle.transitions;

/** Standing orders (schema/0024): a Dispatcher accepts or rejects; active ⇄ paused; ended is for good. */
export const standingOrderLifecycle = lifecycle({
  initial: 'pending',
  final: ['rejected', 'ended'],
  transitions: {
    pending: ['active', 'rejected', 'ended'],
    active: ['paused', 'ended'],
    paused: ['active', 'ended'],
    rejected: [],
    ended: [],
  },
});

export type StandingOrderStatus = keyof typeof standingOrderLifecycle.transitions;

/** Names match the `entity` column of lifecycle_states / lifecycle_transitions. */
export const LIFECYCLES = {
  trip_request: tripRequestLifecycle,
  trip_leg: legLifecycle,
  cancellation_request: cancellationLifecycle,
  billing_record: billingLifecycle,
  vehicle: vehicleLifecycle,
  standing_order: standingOrderLifecycle,
} as const;

export function canMove<S extends string>(machine: Lifecycle<S>, from: S, to: S): boolean {
  return machine.transitions[from]?.includes(to) ?? false;
}

export function isFinal<S extends string>(machine: Lifecycle<S>, state: S): boolean {
  return machine.final.includes(state);
}

export const OPEN_LEG_STATES: readonly LegStatus[] = ['unassigned', 'assigned', 'en_route', 'arrived', 'picked_up'];
