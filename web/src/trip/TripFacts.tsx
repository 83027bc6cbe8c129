import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { TripRequest } from '../api/contract';
import { formatCalendarDate, formatDateTime } from '../lib/time';
import { returnText, serviceText } from '../lib/words';

/**
 * What a trip request asks for, as both trip pages show it (the Dispatcher's and the facility's).
 * `rider` comes first when the page has no pane of its own for the rider; `rejectedLabel` names
 * the refusal in the reader's words.
 */
export function TripFacts({ trip, timeZone, rider, rejectedLabel }: {
  trip: TripRequest;
  timeZone: string;
  rider?: ReactNode;
  rejectedLabel: string;
}) {
  return (
    <dl className="facts">
      {rider !== undefined && <div><dt>Rider</dt><dd>{rider}</dd></div>}
      <div><dt>Appointment</dt><dd>{formatDateTime(trip.appointmentAt, timeZone)}</dd></div>
      {trip.requestedPickupAt && <div><dt>Pickup asked</dt><dd>{formatDateTime(trip.requestedPickupAt, timeZone)}</dd></div>}
      <div><dt>Needs</dt><dd>{serviceText(trip)}</dd></div>
      <div><dt>Pickup</dt><dd>{trip.pickupAddress}</dd></div>
      <div><dt>Drop-off</dt><dd>{trip.dropoffAddress}</dd></div>
      <div><dt>Return</dt><dd>{returnText(trip, timeZone)}</dd></div>
      {trip.clinicalNotes && <div><dt>Notes</dt><dd>{trip.clinicalNotes}</dd></div>}
      {trip.rejectionReason && <div><dt>{rejectedLabel}</dt><dd>{trip.rejectionReason}</dd></div>}
      {trip.standingOrderId && (
        <div>
          <dt>Standing order</dt>
          <dd>
            {trip.occurrenceDate && `Its ride of ${formatCalendarDate(trip.occurrenceDate)} · `}
            <Link to={`/standing-orders/${trip.standingOrderId}`}>Open the series</Link>
          </dd>
        </div>
      )}
    </dl>
  );
}
