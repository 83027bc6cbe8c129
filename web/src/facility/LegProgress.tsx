import type { TripRequest } from '../api/contract';
import { Status } from '../components/Status';
import { formatDate, formatTime, formatWindow } from '../lib/time';
import type { FacilityLeg } from './queries';

/** "Outbound", "Return": a leg named as the facility thinks of it. */
export function legName(leg: Pick<FacilityLeg, 'kind'>): string {
  return leg.kind === 'outbound' ? 'Outbound' : 'Return';
}

/** When the leg's pickup is, in words: "Thu, Jan 7, 9:00 – 9:50 AM EST", or why there is no time yet. */
export function legTimeText(leg: FacilityLeg, timeZone: string): string {
  if (leg.scheduledPickupAt) {
    return `${formatDate(leg.scheduledPickupAt, timeZone)}, ${formatWindow(leg.scheduledPickupAt, leg.scheduledDropoffAt, timeZone)}`;
  }
  return leg.willCall ? 'Will-call: no time until you phone' : 'No time yet';
}

/**
 * What the trip's pickup is, in one line: the scheduled pickup once the dispatcher set it, else
 * what was asked for. Scheduled means confirmed, and the line says so.
 */
export function pickupLine(trip: TripRequest, outbound: FacilityLeg | undefined, timeZone: string): string {
  if (outbound?.scheduledPickupAt) {
    return `Pickup ${formatDate(outbound.scheduledPickupAt, timeZone)}, ${formatWindow(outbound.scheduledPickupAt, outbound.scheduledDropoffAt, timeZone)}`;
  }
  if (trip.requestedPickupAt) return `Pickup asked for ${formatDate(trip.requestedPickupAt, timeZone)}, ${formatTime(trip.requestedPickupAt, timeZone)}`;
  return 'Pickup time set by dispatch';
}

/** The legs' statuses side by side: where each ride is now. */
export function LegProgress({ legs, timeZone, compact = false }: { legs: readonly FacilityLeg[]; timeZone: string; compact?: boolean }) {
  if (legs.length === 0) return null;
  return (
    <ul className={compact ? 'leg-progress' : 'leg-progress detailed'} aria-label="Legs">
      {legs.map((leg) => (
        <li key={leg.id}>
          <span className="leg-progress-name">{legName(leg)}</span> <Status status={leg.status} />
          {!compact && <span className="meta">{legTimeText(leg, timeZone)}</span>}
          {compact && !leg.scheduledPickupAt && leg.willCall && <span className="meta"> will-call</span>}
        </li>
      ))}
    </ul>
  );
}
