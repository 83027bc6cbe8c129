import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { data, ifMatch } from '../api/client';
import type { StandingOrder } from '../api/contract';
import { riderName, useRider } from '../api/records';
import { ApiProblem } from '../api/problem';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { formatCalendarDate, formatTime, formatWallClock, genericZoneName, todayInZone } from '../lib/time';
import { daysText, SOURCE, seriesDatesText, seriesReturnText, serviceText } from '../lib/words';
import {
  AcceptForm, type ChangeOutcome, ChangeReport, EndSeries, leftAloneOf, PauseResume, RejectSeriesForm, SkipForm,
} from './actions';
import { useSeriesAudience } from './audience';
import { seriesKeys, useFacilityName, useSeriesPreview, useSeriesTrips } from './queries';
import { changesOf, draftOf, SeriesForm } from './SeriesForm';
import { SeriesTimes } from './SeriesTimes';

/** Series that still make rides (or will, once accepted): their next occurrences are worth showing. */
const LIVE = new Set<StandingOrder['status']>(['pending', 'active', 'paused']);

/**
 * A standing order: its facts in words, its next rides (computed by the API's preview, nothing
 * written), and what the reader may do with it now: a Dispatcher accepts or rejects a pending one;
 * the Dispatcher and the facility's own people change, pause, resume, skip a date or end it. After
 * a change the page says, in sentences, what it did and which rides it left as they were.
 */
export default function SeriesDetail() {
  const { standingOrderId = '' } = useParams();
  const { api, timeZone } = useConsole();
  const audience = useSeriesAudience();
  const location = useLocation();
  const justCreated = (location.state as { created?: boolean } | null)?.created === true;
  const { announce, region } = useAnnouncer();
  const [outcome, setOutcome] = useState<ChangeOutcome | null>(null);
  const [editing, setEditing] = useState(false);
  const series = useQuery({
    queryKey: seriesKeys.one(standingOrderId),
    refetchInterval: 30_000,
    // Read afresh whenever the page opens: someone else (the Dispatcher, the facility) may have just changed it.
    refetchOnMount: 'always',
    queryFn: () => data(api.GET('/v1/standing-orders/{standingOrderId}', { params: { path: { standingOrderId } } })),
  });
  const rider = useRider(series.data?.riderId);
  const facilityName = useFacilityName(series.data?.facilityId);
  const trips = useSeriesTrips(series.data);
  const preview = useSeriesPreview(standingOrderId, series.data !== undefined && LIVE.has(series.data.status));

  if (series.isPending) return <div className="page"><LoadingState label="Loading the standing order" /></div>;
  if (series.isError) {
    return (
      <section className="page narrow" aria-labelledby="series-title">
        <h1 id="series-title">Standing order</h1>
        <ErrorState error={series.error} onRetry={() => void series.refetch()} />
        <p><Link to={audience.back.to}>{audience.back.label}</Link></p>
      </section>
    );
  }
  const s = series.data;
  const name = rider.data ? riderName(rider.data) : 'the rider';
  // A facility reads a day's ride on its trip page (the board is the Dispatcher's).
  const tripOn = (date: string) => trips.data?.items.find((trip) => trip.occurrenceDate === date && trip.status !== 'cancelled');
  const occurrences = preview.data?.occurrences ?? [];
  const props = { series: s, riderName: name, announce };
  const report = (next: ChangeOutcome) => {
    setOutcome(next);
    setEditing(false);
  };

  return (
    <div className="page series">
      {region}
      <p><Link to={audience.back.to}>← {audience.back.label}</Link></p>
      <h1>
        Standing order for {rider.data ? name : '…'} <Status status={s.status} />
      </h1>
      <p className="series-summary"><SeriesTimes series={s} /></p>
      {justCreated && s.status === 'pending' && (
        <p className="notice" role="status">
          {audience.facility
            ? "Sent. It waits for the transport provider's dispatcher to accept it; its rides are booked then."
            : 'Created. It waits for a Dispatcher to accept it: accept it here or on the board.'}
        </p>
      )}
      <ChangeReport outcome={outcome} />

      <div className="series-grid">
        <div className="series-column">
        <section className="pane" aria-labelledby="series-facts">
          <h2 id="series-facts">The series</h2>
          {rider.isError && <ErrorState error={rider.error} onRetry={() => void rider.refetch()} />}
          <dl className="facts">
            <div><dt>Rider</dt><dd>{rider.data ? name : '…'}</dd></div>
            <div><dt>Facility</dt><dd>{facilityName ?? '…'}</dd></div>
            <div><dt>Days</dt><dd>{daysText(s.daysOfWeek)}</dd></div>
            <div><dt>Pickup</dt><dd>{formatWallClock(s.pickupTime)} {genericZoneName(timeZone)}</dd></div>
            <div><dt>Appointment</dt><dd>{formatWallClock(s.appointmentTime)} {genericZoneName(timeZone)}</dd></div>
            <div><dt>Return</dt><dd>{seriesReturnText(s, timeZone)}</dd></div>
            <div><dt>From</dt><dd>{s.pickupAddress}</dd></div>
            <div><dt>To</dt><dd>{s.dropoffAddress}</dd></div>
            <div><dt>Needs</dt><dd>{serviceText(s)}</dd></div>
            <div><dt>Dates</dt><dd>{seriesDatesText(s)}</dd></div>
            <div>
              <dt>Skipped</dt>
              <dd>{s.excludedDates.length === 0 ? 'No dates skipped' : [...s.excludedDates].sort().map(formatCalendarDate).join('; ')}</dd>
            </div>
            <div><dt>Asked by</dt><dd>{SOURCE[s.source]}</dd></div>
            {s.rejectionReason && <div><dt>Rejected because</dt><dd>{s.rejectionReason}</dd></div>}
          </dl>
        </section>
        {s.status !== 'pending' && s.status !== 'rejected' && <RidesMade trips={trips} />}
        </div>

        <section className="pane" aria-labelledby="series-next">
          <h2 id="series-next">Next rides</h2>
          {!LIVE.has(s.status) && <EmptyState>This series is {statusWord(s.status)}; it makes no more rides.</EmptyState>}
          {LIVE.has(s.status) && (
            <>
              <p className="hint">
                {s.status === 'pending' && 'What accepting it would make. '}
                {s.status === 'paused' && 'While it is paused none of these is made. '}
                {audience.facility
                  ? 'Times in the zone of each day; a date with a booked ride opens that trip.'
                  : 'Times in the zone of each day; a date opens that day on the board.'}
              </p>
              {preview.isPending && <LoadingState label="Working out the next rides" />}
              {preview.isError && <ErrorState error={preview.error} onRetry={() => void preview.refetch()} />}
              {preview.data && occurrences.length === 0 && <EmptyState>No rides ahead: the series ends before its next day.</EmptyState>}
              {occurrences.length > 0 && (
                <table className="occurrences">
                  <thead>
                    <tr>
                      <th scope="col">Day</th>
                      <th scope="col">Pickup</th>
                      <th scope="col">Appointment</th>
                      {s.returnMode === 'timed' && <th scope="col">Return</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {occurrences.map((occurrence) => (
                      <tr key={occurrence.date}>
                        <th scope="row">
                          <OccurrenceDay date={occurrence.date} facility={audience.facility} tripId={tripOn(occurrence.date)?.id} />
                        </th>
                        <td>{formatTime(occurrence.pickupAt, timeZone)}</td>
                        <td>{formatTime(occurrence.appointmentAt, timeZone)}</td>
                        {s.returnMode === 'timed' && (
                          <td>{occurrence.returnPickupAt ? formatTime(occurrence.returnPickupAt, timeZone) : '—'}</td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </section>

        <section className="pane" aria-labelledby="series-actions">
          <h2 id="series-actions">What to do</h2>
          {s.status === 'pending' && !audience.facility && (
            <>
              <AcceptForm key={s.version} {...props} />
              <RejectSeriesForm {...props} />
            </>
          )}
          {s.status === 'pending' && audience.facility && (
            <p className="hint">It waits for the transport provider's dispatcher to accept it. Until then you can change it, skip a date or end it.</p>
          )}
          {(s.status === 'active' || s.status === 'paused' || (s.status === 'pending' && audience.facility)) && (
            <>
              {s.status !== 'pending' && <PauseResume series={s} riderName={name} onOutcome={report} />}
              <SkipForm key={s.version} series={s} riderName={name} occurrences={occurrences} onOutcome={report} />
              <div className="series-action">
                <button type="button" aria-expanded={editing} aria-controls="series-change" onClick={() => setEditing((open) => !open)}>
                  {editing ? 'Close the change' : 'Change days, times or addresses'}
                </button>
              </div>
              <EndSeries series={s} riderName={name} onOutcome={report} />
            </>
          )}
          {!LIVE.has(s.status) && <p className="hint">Nothing more can be done with a series that is {s.status}.</p>}
        </section>
      </div>

      {editing && LIVE.has(s.status) && (
        <section className="pane series-change" id="series-change" aria-labelledby="series-change-title">
          <h2 id="series-change-title">Change the series</h2>
          <p className="hint">Rides nobody has touched yet change with it; rides already assigned, started or cancelled stay as they are.</p>
          <ChangeForm series={s} riderName={name} announce={announce} onOutcome={report} onCancel={() => setEditing(false)} />
        </section>
      )}
    </div>
  );
}

/** A day of the preview: the board's day for a Dispatcher; for a facility, the trip made for it, if any. */
function OccurrenceDay({ date, facility, tripId }: { date: string; facility: boolean; tripId: string | undefined }) {
  if (!facility) return <Link to={`/board?date=${date}`}>{formatCalendarDate(date)}</Link>;
  return tripId ? <Link to={`/trips/${tripId}`}>{formatCalendarDate(date)}</Link> : <span>{formatCalendarDate(date)}</span>;
}

/** The series' trips from today on, as the board has them: who touched which, which are cancelled. */
function RidesMade({ trips }: { trips: ReturnType<typeof useSeriesTrips> }) {
  const { timeZone } = useConsole();
  const today = todayInZone(timeZone);
  const upcoming = (trips.data?.items ?? [])
    .filter((trip) => trip.occurrenceDate !== null && trip.occurrenceDate >= today)
    // By day; on a day made again (after a pause or a change), the live trip before the withdrawn one.
    .sort((a, b) => (a.occurrenceDate ?? '').localeCompare(b.occurrenceDate ?? '')
      || Number(a.status === 'cancelled') - Number(b.status === 'cancelled'));
  return (
    <section className="pane" aria-labelledby="series-trips">
      <h2 id="series-trips">Rides made</h2>
      {trips.isPending && <LoadingState label="Loading the series' rides" />}
      {trips.isError && <ErrorState error={trips.error} onRetry={() => void trips.refetch()} />}
      {trips.data && upcoming.length === 0 && <EmptyState>No rides from today on. Accepted series make them for the coming days.</EmptyState>}
      {upcoming.length > 0 && (
        <ul className="series-trips">
          {upcoming.map((trip) => (
            <li key={trip.id}>
              <span className="occurrence-date">{formatCalendarDate(trip.occurrenceDate ?? today)}</span>{' '}
              <Link to={`/trips/${trip.id}`} className="ref">{trip.referenceCode}</Link> <Status status={trip.status} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ChangeForm({ series, riderName: name, announce, onOutcome, onCancel }: {
  series: StandingOrder;
  riderName: string;
  announce: (message: string) => void;
  onOutcome: (outcome: ChangeOutcome) => void;
  onCancel: () => void;
}) {
  const { api, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const update = useMutation({
    mutationFn: (changes: ReturnType<typeof changesOf>) =>
      data(api.PATCH('/v1/standing-orders/{standingOrderId}', {
        params: { path: { standingOrderId: series.id }, header: ifMatch(series.version) },
        body: changes,
      })),
    onSuccess: (answer) => {
      const done = `Changed the standing order for ${name}.`;
      announce(done);
      onOutcome({ done, leftAlone: leftAloneOf(answer) });
      void queryClient.invalidateQueries({ queryKey: seriesKeys.all });
      void queryClient.invalidateQueries({ queryKey: ['legs'] });
    },
    onError: (error) => {
      if (error instanceof ApiProblem && error.status === 412) void queryClient.invalidateQueries({ queryKey: seriesKeys.all });
    },
  });
  return (
    <SeriesForm
      initial={draftOf(series, timeZone)}
      creating={false}
      title={`Change the standing order for ${name}`}
      submitLabel="Save the change"
      pending={update.isPending}
      error={update.error}
      onSubmit={(draft) => {
        const changes = changesOf(draft, series);
        if (Object.keys(changes).length === 0) {
          onOutcome({ done: 'Nothing was changed.', leftAlone: [] });
          return;
        }
        update.mutate(changes);
      }}
      extraActions={<button type="button" onClick={onCancel}>Cancel</button>}
    />
  );
}
