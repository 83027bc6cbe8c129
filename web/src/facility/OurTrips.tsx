import { Link, useSearchParams } from 'react-router';
import type { TripRequest, TripStatus } from '../api/contract';
import { useFacility } from '../api/records';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { withParam } from '../lib/params';
import { formatCalendarDate, formatDateTime } from '../lib/time';
import { capitalise, returnText, serviceText } from '../lib/words';
import { LegProgress, pickupLine } from './LegProgress';
import { useTripLegs, useTripPages } from './queries';
import './facility.css';

const FILTERS: readonly (TripStatus | 'all')[] = ['all', 'requested', 'scheduled', 'in_progress', 'completed', 'cancelled', 'rejected'];

function filterOf(value: string | null): TripStatus | 'all' {
  return FILTERS.find((filter) => filter === value) ?? 'all';
}

function filterLabel(filter: TripStatus | 'all'): string {
  const word = filter === 'all' ? 'all' : statusWord(filter);
  return capitalise(word);
}

/**
 * The facility's trips, newest request first, a page at a time: each with its rider, its pickup,
 * whether dispatch has confirmed it, and where its rides are now. Filters by status and by
 * appointment day (both the API's); a day's trips are shown in appointment order.
 */
export default function OurTrips() {
  const { me } = useConsole();
  const [params, setParams] = useSearchParams();
  const status = filterOf(params.get('status'));
  const day = params.get('day') ?? '';
  const facility = useFacility(me.facilityId);
  const pages = useTripPages(status, day);
  const trips = pages.data?.pages.flatMap((page) => page.items) ?? [];
  const shown = day ? [...trips].sort((a, b) => a.appointmentAt.localeCompare(b.appointmentAt)) : trips;

  const setDay = (value: string) => setParams(withParam(params, 'day', value), { replace: true });

  return (
    <section className="page facility" aria-labelledby="trips-title">
      <div className="page-title">
        <h1 id="trips-title">Our trips{facility.data ? <span className="meta"> · {facility.data.name}</span> : null}</h1>
        <Link className="button-link primary-link" to="/trips/new">Request a trip</Link>
      </div>
      <nav aria-label="Trips by status">
        <ul className="state-tabs">
          {FILTERS.map((filter) => (
            <li key={filter}>
              <Link to={`?${withParam(params, 'status', filter === 'all' ? '' : filter)}`}
                aria-current={filter === status ? 'page' : undefined} replace>
                {filterLabel(filter)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="trip-filters">
        <label htmlFor="trips-day">Appointment day</label>
        <input id="trips-day" type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        {day && <button type="button" onClick={() => setDay('')}>Any day</button>}
      </div>

      {pages.isPending && <LoadingState label="Loading your trips" />}
      {pages.isError && <ErrorState error={pages.error} onRetry={() => void pages.refetch()} />}
      {pages.data && trips.length === 0 && (
        <EmptyState>
          {status === 'all' ? 'No trips' : `No ${statusWord(status)} trips`}
          {day ? ` with an appointment on ${formatCalendarDate(day)}.` : ' yet.'} <Link to="/trips/new">Request a trip</Link>.
        </EmptyState>
      )}
      {shown.length > 0 && (
        <ul className="trip-rows" aria-label="Trips">
          {shown.map((trip) => <TripRow key={trip.id} trip={trip} />)}
        </ul>
      )}
      {pages.hasNextPage && (
        <div className="actions">
          <button type="button" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
            {pages.isFetchingNextPage ? 'Loading…' : 'Show more trips'}
          </button>
        </div>
      )}
    </section>
  );
}

/** What the facility most wants to know about a trip: is it confirmed, and when is the pickup. */
function outcomeText(trip: TripRequest): string {
  switch (trip.status) {
    case 'requested': return 'Waiting for dispatch to confirm';
    case 'scheduled': return 'Confirmed';
    case 'in_progress': return 'Under way';
    case 'completed': return 'Done';
    case 'cancelled': return 'Cancelled';
    case 'rejected': return trip.rejectionReason ? `Not accepted: ${trip.rejectionReason}` : 'Not accepted';
    default: return statusWord(trip.status);
  }
}

function TripRow({ trip }: { trip: TripRequest }) {
  const { timeZone } = useConsole();
  const legs = useTripLegs(trip);
  const outbound = legs.data?.find((leg) => leg.kind === 'outbound');
  const rider = trip.rider?.fullName ?? (trip.rider?.unavailable ? 'Rider (erased)' : 'Rider');
  return (
    <li className={`trip-row trip-${trip.status.replace('_', '-')}`}>
      <div className="trip-row-head">
        <p className="trip-row-title">
          <Link to={`/trips/${trip.id}`}><span className="ref">{trip.referenceCode}</span> · {rider}</Link>
        </p>
        <Status status={trip.status} />
      </div>
      <p className="trip-outcome">{outcomeText(trip)}</p>
      <p>{pickupLine(trip, outbound, timeZone)}</p>
      <p className="meta">
        Appointment {formatDateTime(trip.appointmentAt, timeZone)} · {serviceText(trip)} · {returnText(trip, timeZone)}
      </p>
      {legs.data && <LegProgress legs={legs.data} />}
      {legs.isError && <p className="meta">The rides' progress could not be loaded.</p>}
    </li>
  );
}
