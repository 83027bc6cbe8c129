import type { TripRequest } from '../api/contract';
import { Status } from '../components/Status';
import { formatDateTime } from '../lib/time';
import { legName, pickupWindowText } from '../trip/LegList';
import type { FacilityLeg } from './queries';

/**
 * What the trip's pickup is, in one line: the scheduled pickup once the dispatcher set it, else
 * what was asked for. Scheduled means confirmed, and the line says so.
 */
export function pickupLine(trip: TripRequest, outbound: FacilityLeg | undefined, timeZone: string): string {
  if (outbound?.scheduledPickupAt) return `Pickup ${pickupWindowText(outbound.scheduledPickupAt, outbound.scheduledDropoffAt, timeZone)}`;
  if (trip.requestedPickupAt) return `Pickup asked for ${formatDateTime(trip.requestedPickupAt, timeZone)}`;
  return 'Pickup time set by dispatch';
}

/** The legs' statuses side by side, in a row of the trip list: where each ride is now. */
export function LegProgress({ legs }: { legs: readonly FacilityLeg[] }) {
  if (legs.length === 0) return null;
  return (
    <ul className="leg-progress" aria-label="Legs">
      {legs.map((leg) => (
        <li key={leg.id}>
          <span className="leg-progress-name">{legName(leg)}</span> <Status status={leg.status} />
          {!leg.scheduledPickupAt && leg.willCall && <span className="meta"> will-call</span>}
        </li>
      ))}
    </ul>
  );
}
