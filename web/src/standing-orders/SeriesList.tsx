import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { allPages, data } from '../api/client';
import type { StandingOrder } from '../api/contract';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { formatCalendarDate, formatTime } from '../lib/time';
import { seriesDatesText, seriesReturnText } from '../lib/words';
import { seriesKeys, useSeriesPreview } from './queries';
import { SeriesSummary } from './SeriesSummary';

/** Series that still matter day to day, before the ones that are over. */
const CURRENT = new Set<StandingOrder['status']>(['pending', 'active', 'paused']);

/**
 * A facility's standing orders (the API answers only the reader's own facility, and a scheduler
 * only their own and their contact's): each with its status, rider, days and times in words and
 * its next ride; the ones over (ended, rejected) below. Each opens its page.
 */
export default function SeriesList() {
  const { api } = useConsole();
  const list = useQuery({
    queryKey: [...seriesKeys.all, 'list', 'facility'],
    refetchInterval: 60_000,
    queryFn: () =>
      allPages<StandingOrder>((cursor) =>
        data(api.GET('/v1/standing-orders', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } })),
      ),
  });
  const all = list.data ?? [];
  const current = all.filter((series) => CURRENT.has(series.status));
  const over = all.filter((series) => !CURRENT.has(series.status));

  return (
    <section className="page series-page" aria-labelledby="series-list-title">
      <div className="pane-title">
        <h1 id="series-list-title">Standing orders</h1>
        <Link to="/standing-orders/new" className="button-link">New standing order</Link>
      </div>
      <p className="hint">
        Rides that repeat every week for one rider. A new one waits for the transport provider's dispatcher to accept
        it; then its rides are booked for the coming days.
      </p>
      {list.isPending && <LoadingState label="Loading your standing orders" />}
      {list.isError && <ErrorState error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && all.length === 0 && (
        <EmptyState>No standing orders yet. Use “New standing order” for a rider who rides the same days every week.</EmptyState>
      )}
      {current.length > 0 && (
        <section className="pane" aria-labelledby="series-current">
          <h2 id="series-current">Current <span className="count">{current.length}</span></h2>
          <ul className="series-list" aria-labelledby="series-current">
            {current.map((series) => <SeriesRow key={series.id} series={series} />)}
          </ul>
        </section>
      )}
      {list.data && all.length > 0 && current.length === 0 && <EmptyState>None is current: every series below has ended.</EmptyState>}
      {over.length > 0 && (
        <section className="pane" aria-labelledby="series-over">
          <h2 id="series-over">Ended and rejected <span className="count">{over.length}</span></h2>
          <ul className="series-list" aria-labelledby="series-over">
            {over.map((series) => <SeriesRow key={series.id} series={series} />)}
          </ul>
        </section>
      )}
    </section>
  );
}

function SeriesRow({ series }: { series: StandingOrder }) {
  const { timeZone } = useConsole();
  return (
    <SeriesSummary series={series}>
      <p className="meta">
        <span className="nowrap">{seriesDatesText(series)} ·</span> <span className="nowrap">{seriesReturnText(series, timeZone)}</span>
      </p>
      <NextRide series={series} />
    </SeriesSummary>
  );
}

/** "Next ride Tue, Jun 23, pickup 6:30 AM EDT", worked out by the API (nothing written), or why there is none. */
function NextRide({ series }: { series: StandingOrder }) {
  const { timeZone } = useConsole();
  const preview = useSeriesPreview(series.id, series.status === 'active' || series.status === 'pending');
  if (series.status === 'paused') return <p className="next-ride">Paused: no rides until it is resumed.</p>;
  if (series.status === 'rejected') {
    return <p className="next-ride">Rejected{series.rejectionReason ? `: ${series.rejectionReason}` : '.'}</p>;
  }
  if (series.status === 'ended') return <p className="next-ride">Ended: it makes no more rides.</p>;
  if (preview.isPending) return <p className="next-ride meta">Working out the next ride…</p>;
  if (preview.isError) return <p className="next-ride meta">The next ride could not be worked out; open the series to see its rides.</p>;
  const next = preview.data.occurrences[0];
  if (!next) return <p className="next-ride">No rides ahead: it ends before its next day.</p>;
  const when = `${formatCalendarDate(next.date)}, pickup ${formatTime(next.pickupAt, timeZone)}`;
  return (
    <p className="next-ride">
      {series.status === 'pending' ? 'First ride once accepted: ' : 'Next ride: '}
      <strong className="nowrap">{when}</strong>
    </p>
  );
}
