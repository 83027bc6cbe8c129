import type { DispatcherLeg } from '../api/contract';
import { Status } from '../components/Status';
import { formatDate, formatWindow } from '../lib/time';

/** What both trip pages know of a leg: its kind, status and times (a facility's legs carry no more). */
type LegTimes = Pick<DispatcherLeg, 'id' | 'kind' | 'status' | 'scheduledPickupAt' | 'scheduledDropoffAt' | 'willCall'>;

/** "Outbound", "Return". */
export function legName(leg: Pick<LegTimes, 'kind'>): string {
  return leg.kind === 'outbound' ? 'Outbound' : 'Return';
}

/** The scheduled pickup window with its day: "Thu, Jan 7, 9:00 – 9:50 AM EST". */
export function pickupWindowText(pickupAt: string, dropoffAt: string | null, timeZone: string): string {
  return `${formatDate(pickupAt, timeZone)}, ${formatWindow(pickupAt, dropoffAt, timeZone)}`;
}

/** When the leg's pickup is, or why there is no time yet (`willCallText` in the reader's words). */
function legTimeText(leg: LegTimes, timeZone: string, willCallText: string): string {
  if (leg.scheduledPickupAt) return pickupWindowText(leg.scheduledPickupAt, leg.scheduledDropoffAt, timeZone);
  return leg.willCall ? willCallText : 'No time yet';
}

/** A trip's legs with their status and times; `driver` adds who drives it, for readers who may know. */
export function LegList<Leg extends LegTimes>({ legs, timeZone, willCallText, driver }: {
  legs: readonly Leg[];
  timeZone: string;
  willCallText: string;
  driver?: (leg: Leg) => string;
}) {
  return (
    <ul className="trip-legs">
      {legs.map((leg) => (
        <li key={leg.id}>
          <p className="request-title">{legName(leg)} <Status status={leg.status} /></p>
          <p className="meta">{legTimeText(leg, timeZone, willCallText)}</p>
          {driver && <p className="meta">Driver: {driver(leg)}</p>}
        </li>
      ))}
    </ul>
  );
}
