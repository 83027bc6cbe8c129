import type { BillingStatus, LegStatus, StandingOrderStatus, TripStatus } from '../api/contract';

/** One word and one colour per status, everywhere (CONSOLE.md): never colour alone. */
type AnyStatus = LegStatus | TripStatus | StandingOrderStatus | BillingStatus | 'pending' | 'approved' | 'denied';

const WORDS: Record<AnyStatus, string> = {
  requested: 'requested',
  scheduled: 'scheduled',
  in_progress: 'in progress',
  unassigned: 'unassigned',
  assigned: 'assigned',
  en_route: 'en route',
  arrived: 'arrived',
  picked_up: 'picked up',
  completed: 'completed',
  no_show: 'no-show',
  cancelled: 'cancelled',
  rejected: 'rejected',
  pending: 'pending',
  approved: 'approved',
  denied: 'denied',
  active: 'active',
  paused: 'paused',
  ended: 'ended',
  ready: 'ready',
  invoiced: 'invoiced',
  on_hold: 'on hold',
  paid: 'paid',
  written_off: 'written off',
};

export function statusWord(status: AnyStatus): string {
  return WORDS[status] ?? status;
}

export function Status({ status, id }: { status: AnyStatus; id?: string }) {
  return <span id={id} className={`status status-${status.replace('_', '-')}`}>{statusWord(status)}</span>;
}
