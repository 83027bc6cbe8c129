import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { allPages, data, dispatcherLegs } from '../api/client';
import type { User } from '../api/contract';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status } from '../components/Status';
import { useConsole } from '../context';
import { formatCalendarDate, formatDate, formatDateTime, formatTime, formatWindow } from '../lib/time';
import { formatPhone, MOBILITY, messagesText, returnText, serviceText } from '../lib/words';
import { assignedDrivers, describeActor, describeEvent } from './history';

/** A trip's detail: rider, legs, and its audited history (who, when, what) as a timeline. */
export default function TripDetail() {
  const { tripRequestId = '' } = useParams();
  const { api, timeZone } = useConsole();
  const trip = useQuery({
    queryKey: ['trip-request', tripRequestId],
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}', { params: { path: { tripRequestId } } })),
  });
  const rider = useQuery({
    queryKey: ['rider', trip.data?.riderId],
    enabled: Boolean(trip.data),
    queryFn: () => data(api.GET('/v1/riders/{riderId}', { params: { path: { riderId: trip.data?.riderId ?? '' } } })),
  });
  const legs = useQuery({
    queryKey: ['legs', 'trip', tripRequestId],
    queryFn: async () => dispatcherLegs((await data(api.GET('/v1/legs', { params: { query: { tripRequestId, limit: 100 } } }))).items),
  });
  const history = useQuery({
    queryKey: ['history', tripRequestId],
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}/history', { params: { path: { tripRequestId } } })),
  });
  const users = useQuery({
    queryKey: ['users', 'all'],
    staleTime: 60_000,
    queryFn: () => allPages<User>((cursor) => data(api.GET('/v1/users', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }))),
  });
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
          <dl className="facts">
            <div><dt>Appointment</dt><dd>{formatDateTime(t.appointmentAt, timeZone)}</dd></div>
            <div><dt>Needs</dt><dd>{serviceText(t)}</dd></div>
            <div><dt>Pickup</dt><dd>{t.pickupAddress}</dd></div>
            <div><dt>Drop-off</dt><dd>{t.dropoffAddress}</dd></div>
            <div><dt>Return</dt><dd>{returnText(t, timeZone)}</dd></div>
            {t.rejectionReason && <div><dt>Rejected because</dt><dd>{t.rejectionReason}</dd></div>}
            {t.standingOrderId && (
              <div>
                <dt>Standing order</dt>
                <dd>
                  {t.occurrenceDate && `Its ride of ${formatCalendarDate(t.occurrenceDate)} · `}
                  <Link to={`/standing-orders/${t.standingOrderId}`}>Open the series</Link>
                </dd>
              </div>
            )}
          </dl>
        </section>
        <section aria-labelledby="trip-legs" className="pane">
          <h2 id="trip-legs">Legs</h2>
          {legs.isPending && <LoadingState label="Loading the legs" />}
          {legs.isError && <ErrorState error={legs.error} onRetry={() => void legs.refetch()} />}
          {legs.data && legs.data.length === 0 && <EmptyState>No legs yet: the trip is not scheduled.</EmptyState>}
          {legs.data && legs.data.length > 0 && (
            <ul className="trip-legs">
              {legs.data.map((leg) => (
                <li key={leg.id}>
                  <p className="request-title">{leg.kind === 'outbound' ? 'Outbound' : 'Return'} <Status status={leg.status} /></p>
                  <p className="meta">
                    {leg.scheduledPickupAt ? `${formatDate(leg.scheduledPickupAt, timeZone)}, ${formatWindow(leg.scheduledPickupAt, leg.scheduledDropoffAt, timeZone)}` : leg.willCall ? 'Will-call: no time yet' : 'No time yet'}
                  </p>
                  <p className="meta">Driver: {leg.driverId ? (names.get(leg.driverId) ?? 'assigned') : 'none'}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="trip-history" className="pane history-pane">
          <h2 id="trip-history">History</h2>
          {history.isPending && <LoadingState label="Loading the history" />}
          {history.isError && <ErrorState error={history.error} onRetry={() => void history.refetch()} />}
          {history.data && history.data.events.length === 0 && <EmptyState>Nothing recorded yet.</EmptyState>}
          {history.data && history.data.events.length > 0 && (
            <ol className="history">
              {history.data.events.map((event) => (
                <li key={event.seq}>
                  <p className="history-when">
                    <time dateTime={event.occurredAt}>{formatDate(event.occurredAt, timeZone)}, {formatTime(event.occurredAt, timeZone)}</time>
                  </p>
                  <p className="history-what">{describeEvent(event, { legs: legsById, driverOf })}</p>
                  <p className="meta">{describeActor(event, names)}</p>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </div>
  );
}
