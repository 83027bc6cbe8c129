import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { data } from '../api/client';
import { ApiProblem } from '../api/problem';
import { riderName, useRider, useUsers } from '../api/records';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { LegList } from '../trip/LegList';
import { TripFacts } from '../trip/TripFacts';
import { TripHistory } from '../trip/TripHistory';
import { CancellationList, CancelRequestForm } from './CancelRequest';
import { facilityKeys, hasLegs, isFinal, useTripCancellations, useTripLegs } from './queries';
import './facility.css';


/**
 * One of the facility's trips: what was asked, where its rides are, its history, and asking
 * dispatch to cancel it. Another facility's trip answers 404, and the page says "not found"
 * without a trace of it.
 */
export default function FacilityTrip() {
  const { tripRequestId = '' } = useParams();
  const { api, me, timeZone } = useConsole();
  const location = useLocation();
  const justCreated = (location.state as { created?: string } | null)?.created;
  const { announce, region } = useAnnouncer();
  const trip = useQuery({
    queryKey: facilityKeys.trip(tripRequestId),
    // Opened from the list, which may know a newer status: read it again, never show an older one.
    refetchOnMount: 'always',
    refetchInterval: (query) => (query.state.data && isFinal(query.state.data) ? false : 30_000),
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}', { params: { path: { tripRequestId } } })),
  });
  const found = trip.isSuccess;
  const legs = useTripLegs(trip.data);
  const cancellations = useTripCancellations(tripRequestId, found);
  const rider = useRider(trip.data?.riderId);
  const history = useQuery({
    queryKey: facilityKeys.history(tripRequestId),
    enabled: found,
    refetchOnMount: 'always',
    refetchInterval: trip.data && isFinal(trip.data) ? false : 30_000,
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}/history', { params: { path: { tripRequestId } } })),
  });

  // A facility admin may read the facility's users: the history names them. Others see roles only.
  const colleagues = useUsers({ enabled: found && me.role === 'FacilityAdmin' });

  useEffect(() => {
    if (justCreated) announce(`Trip ${justCreated} requested. Dispatch will confirm it.`);
  }, [justCreated, announce]);

  if (trip.isPending) return <div className="page facility">{region}<LoadingState label="Loading the trip" /></div>;
  if (trip.isError) {
    const missing = trip.error instanceof ApiProblem && (trip.error.status === 404 || trip.error.slug === 'invalid-parameters');
    return (
      <section className="page narrow" aria-labelledby="trip-title">
        <h1 id="trip-title">{missing ? 'Trip not found' : 'The trip could not be loaded'}</h1>
        {missing ? (
          <p>There is no trip of your facility at this address. It may have been mistyped, or belong to another facility.</p>
        ) : (
          <ErrorState error={trip.error} onRetry={() => void trip.refetch()} />
        )}
        <p><Link to="/trips">Go to our trips</Link></p>
      </section>
    );
  }

  const t = trip.data;
  const pending = (cancellations.data ?? []).find((request) => request.status === 'pending');
  const legsById = new Map((legs.data ?? []).map((leg) => [leg.id, leg]));
  const names = new Map((colleagues.data ?? []).map((user) => [user.id, user.displayName]));
  names.set(me.sub, 'you');
  return (
    <div className="page facility trip">
      {region}
      <p><Link to="/trips">← Our trips</Link></p>
      <h1>Trip <span className="ref">{t.referenceCode}</span> <Status status={t.status} /></h1>
      {justCreated && t.status === 'requested' && (
        <p className="notice">Request sent. Dispatch will confirm it; this page shows the pickup time once they do.</p>
      )}
      <div className="trip-grid">
        <section aria-labelledby="trip-request" className="pane">
          <h2 id="trip-request">Request</h2>
          <TripFacts trip={t} timeZone={timeZone} rejectedLabel="Not accepted"
            rider={rider.data ? <Link to={`/riders/${rider.data.id}`}>{riderName(rider.data)}</Link> : '…'} />
        </section>
        <section aria-labelledby="trip-rides" className="pane">
          <h2 id="trip-rides">Rides</h2>
          {!hasLegs(t) && (
            <EmptyState>
              {t.status === 'requested' ? 'Waiting for dispatch to confirm the times.' : 'No rides: the trip did not go ahead.'}
            </EmptyState>
          )}
          {legs.isPending && hasLegs(t) && <LoadingState label="Loading the rides" />}
          {legs.isError && <ErrorState error={legs.error} onRetry={() => void legs.refetch()} />}
          {legs.data && legs.data.length > 0 && <LegList legs={legs.data} timeZone={timeZone} willCallText="Will-call: no time until you phone" />}

          <h2 id="trip-cancel">Cancellation</h2>
          {cancellations.isError && <ErrorState error={cancellations.error} onRetry={() => void cancellations.refetch()} />}
          <CancellationList requests={cancellations.data ?? []} />
          {!isFinal(t) && !pending && cancellations.isSuccess && <CancelRequestForm trip={t} announce={announce} />}
          {isFinal(t) && (cancellations.data ?? []).length === 0 && <p className="meta">Nothing to cancel: the trip is {statusWord(t.status)}.</p>}
        </section>
        <TripHistory history={history} legs={legsById} driverOf={new Map()} names={names} timeZone={timeZone} />
      </div>
    </div>
  );
}
