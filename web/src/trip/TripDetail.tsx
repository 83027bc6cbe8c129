import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { data, dispatcherLegs } from '../api/client';
import { useRider, useUsers } from '../api/records';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status } from '../components/Status';
import { useConsole } from '../context';
import { formatPhone, MOBILITY, messagesText } from '../lib/words';
import { assignedDrivers } from './history';
import { LegList } from './LegList';
import { TripFacts } from './TripFacts';
import { TripHistory } from './TripHistory';

/** A trip's detail: rider, legs, and its audited history (who, when, what) as a timeline. */
export default function TripDetail() {
  const { tripRequestId = '' } = useParams();
  const { api, timeZone } = useConsole();
  const trip = useQuery({
    queryKey: ['trip-request', tripRequestId],
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}', { params: { path: { tripRequestId } } })),
  });
  const rider = useRider(trip.data?.riderId);
  const legs = useQuery({
    queryKey: ['legs', 'trip', tripRequestId],
    queryFn: async () => dispatcherLegs((await data(api.GET('/v1/legs', { params: { query: { tripRequestId, limit: 100 } } }))).items),
  });
  const history = useQuery({
    queryKey: ['history', tripRequestId],
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}/history', { params: { path: { tripRequestId } } })),
  });
  const users = useUsers();
  const names = new Map((users.data ?? []).map((user) => [user.id, user.displayName]));
  const legsById = new Map((legs.data ?? []).map((leg) => [leg.id, leg]));
  const events = history.data?.events ?? [];
  const driverOf = assignedDrivers(events, legsById, names);

  if (trip.isPending) return <div className="page"><LoadingState label="Loading the trip" /></div>;
  if (trip.isError) {
    return (
      <section className="page narrow" aria-labelledby="trip-title">
        <h1 id="trip-title">Trip</h1>
        <ErrorState error={trip.error} onRetry={() => void trip.refetch()} />
        <p><Link to="/board">Back to the board</Link></p>
      </section>
    );
  }
  const t = trip.data;
  return (
    <div className="page trip">
      <p><Link to="/board">← Back to the board</Link></p>
      <h1>
        Trip {t.referenceCode} <Status status={t.status} />
      </h1>
      <div className="trip-grid">
        <section aria-labelledby="trip-rider" className="pane">
          <h2 id="trip-rider">Rider</h2>
          {rider.isPending && <LoadingState label="Loading the rider" />}
          {rider.isError && <ErrorState error={rider.error} onRetry={() => void rider.refetch()} />}
          {rider.data && (
            <dl className="facts">
              <div><dt>Name</dt><dd>{rider.data.fullName ?? (rider.data.erased ? 'erased' : '—')}</dd></div>
              <div><dt>Phone</dt><dd>{rider.data.phone ? formatPhone(rider.data.phone) : '—'}</dd></div>
              <div><dt>Mobility</dt><dd>{MOBILITY[rider.data.mobility]}</dd></div>
              <div><dt>Messages</dt><dd>{messagesText(rider.data)}</dd></div>
            </dl>
          )}
          <h2>Request</h2>
          <TripFacts trip={t} timeZone={timeZone} rejectedLabel="Rejected because" />
        </section>
        <section aria-labelledby="trip-legs" className="pane">
          <h2 id="trip-legs">Legs</h2>
          {legs.isPending && <LoadingState label="Loading the legs" />}
          {legs.isError && <ErrorState error={legs.error} onRetry={() => void legs.refetch()} />}
          {legs.data && legs.data.length === 0 && <EmptyState>No legs yet: the trip is not scheduled.</EmptyState>}
          {legs.data && legs.data.length > 0 && (
            <LegList legs={legs.data} timeZone={timeZone} willCallText="Will-call: no time yet"
              driver={(leg) => (leg.driverId ? (names.get(leg.driverId) ?? 'assigned') : 'none')} />
          )}
        </section>
        <TripHistory history={history} legs={legsById} driverOf={driverOf} names={names} timeZone={timeZone} />
      </div>
    </div>
  );
}
