import { useQuery } from '@tanstack/react-query';
import { type RefObject, useEffect, useId, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { data } from '../api/client';
import type { StandingOrder, StandingOrderStatus } from '../api/contract';
import { riderName, useFacilities, useRider } from '../api/records';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { formatCalendarDate, formatDateTime } from '../lib/time';
import { SOURCE, seriesDatesText, seriesReturnText, serviceText } from '../lib/words';
import { SeriesSummary } from '../standing-orders/SeriesSummary';
import { SeriesTimes } from '../standing-orders/SeriesTimes';
import { AcceptForm, RejectSeriesForm } from '../standing-orders/actions';
import { seriesKeys } from '../standing-orders/queries';
import { POLL_MS, useNewIds } from './queries';

/**
 * Standing orders on the board: series waiting for acceptance (oldest first), each opened in place
 * to accept (times may be adjusted) or reject; below, the active and paused ones, each a link to
 * its detail (preview, pause, skip, end). New pending series are announced like new requests.
 */
export function StandingOrders({ sectionRef, announce }: {
  sectionRef: RefObject<HTMLElement | null>;
  announce: (message: string) => void;
}) {
  const pending = useSeriesList('pending', POLL_MS);
  const active = useSeriesList('active', 30_000);
  const paused = useSeriesList('paused', 30_000);
  const waiting = useMemo(
    () => [...(pending.data?.items ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    [pending.data],
  );
  const running = useMemo(
    () => [...(active.data?.items ?? []), ...(paused.data?.items ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    [active.data, paused.data],
  );
  const fresh = useNewIds(pending.data ? waiting.map((series) => series.id) : undefined);
  useEffect(() => {
    if (fresh.size > 0) announce(`${fresh.size} new standing ${fresh.size === 1 ? 'order' : 'orders'} waiting.`);
  }, [fresh, announce]);
  const more = Boolean(active.data?.nextCursor || paused.data?.nextCursor);

  return (
    <section className="pane" aria-labelledby="standing-orders-title" ref={sectionRef}>
      <div className="pane-title">
        <h2 id="standing-orders-title" tabIndex={-1}>Standing orders</h2>
        <Link to="/standing-orders/new" className="button-link">New standing order</Link>
      </div>

      <h3 id="series-waiting">
        Waiting for acceptance {pending.data && <span className="count">{waiting.length}{pending.data.nextCursor ? '+' : ''}</span>}
      </h3>
      {pending.isPending && <LoadingState label="Loading standing orders" />}
      {pending.isError && <ErrorState error={pending.error} onRetry={() => void pending.refetch()} />}
      {pending.data && waiting.length === 0 && <EmptyState>No standing orders waiting.</EmptyState>}
      {waiting.length > 0 && (
        <ul className="request-list" aria-labelledby="series-waiting">
          {waiting.map((series) => (
            <PendingSeries key={series.id} series={series} isNew={fresh.has(series.id)} announce={announce} />
          ))}
        </ul>
      )}

      <h3 id="series-running">
        Active and paused {active.data && paused.data && <span className="count">{running.length}{more ? '+' : ''}</span>}
      </h3>
      {(active.isPending || paused.isPending) && <LoadingState label="Loading active standing orders" />}
      {active.isError && <ErrorState error={active.error} onRetry={() => void active.refetch()} />}
      {paused.isError && <ErrorState error={paused.error} onRetry={() => void paused.refetch()} />}
      {active.data && paused.data && running.length === 0 && (
        <EmptyState>No active standing orders. Accepted ones are listed here.</EmptyState>
      )}
      {running.length > 0 && (
        <ul className="series-list" aria-labelledby="series-running">
          {running.map((series) => <SeriesSummary key={series.id} series={series} />)}
        </ul>
      )}
    </section>
  );
}

function useSeriesList(status: StandingOrderStatus, refetchInterval: number) {
  const { api } = useConsole();
  return useQuery({
    queryKey: seriesKeys.list(status),
    refetchInterval,
    queryFn: () => data(api.GET('/v1/standing-orders', { params: { query: { status, limit: 100 } } })),
  });
}

function PendingSeries({ series, isNew, announce }: { series: StandingOrder; isNew: boolean; announce: (message: string) => void }) {
  const { timeZone } = useConsole();
  const rider = useRider(series.riderId);
  const facilities = useFacilities({ kind: 'facility' });
  const [open, setOpen] = useState(false);
  const detailId = useId();
  const name = rider.data ? riderName(rider.data) : '…';
  const facility = facilities.data?.find((candidate) => candidate.id === series.facilityId)?.name;
  return (
    <li className={`request${isNew ? ' is-new' : ''}`}>
      <div className="request-summary">
        <div>
          <p className="request-title" id={`${detailId}-title`}>
            {name}{facility && <span className="meta"> · {facility}</span>}
            {isNew && <span className="new-tag">new</span>}
          </p>
          <p className="meta"><SeriesTimes series={series} /></p>
          <p className="meta">
            <span className="nowrap">{seriesDatesText(series)} ·</span> <span className="nowrap">{serviceText(series)} ·</span>{' '}
            <span className="nowrap">{SOURCE[series.source]}</span>
          </p>
        </div>
        <button type="button" aria-expanded={open} aria-controls={detailId} aria-describedby={`${detailId}-title`}
          onClick={() => setOpen((o) => !o)}>
          {open ? 'Close' : 'Open'}
        </button>
      </div>
      {open && (
        <div id={detailId} className="request-detail">
          <dl className="facts">
            <div><dt>From</dt><dd>{series.pickupAddress}</dd></div>
            <div><dt>To</dt><dd>{series.dropoffAddress}</dd></div>
            <div><dt>Return</dt><dd>{seriesReturnText(series, timeZone)}</dd></div>
            {series.excludedDates.length > 0 && (
              <div><dt>Skipped</dt><dd>{[...series.excludedDates].sort().map(formatCalendarDate).join('; ')}</dd></div>
            )}
            <div><dt>Asked</dt><dd>{formatDateTime(series.createdAt, timeZone)}</dd></div>
          </dl>
          <p><Link to={`/standing-orders/${series.id}`}>Preview its rides and details</Link></p>
          <AcceptForm key={series.version} series={series} riderName={name} announce={announce} />
          <RejectSeriesForm series={series} riderName={name} announce={announce} />
        </div>
      )}
    </li>
  );
}
