import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { StandingOrder } from '../api/contract';
import { riderName, useRider } from '../api/records';
import { Status } from '../components/Status';
import { SeriesTimes } from './SeriesTimes';

/** A series as a list row: its rider (a link to the series), status, days and times; `children` adds a list's own lines. */
export function SeriesSummary({ series, children }: { series: StandingOrder; children?: ReactNode }) {
  const rider = useRider(series.riderId);
  const name = rider.data ? riderName(rider.data) : 'Rider';
  return (
    <li className="series-row">
      <p className="series-row-title">
        <Link to={`/standing-orders/${series.id}`}>{name}</Link> <Status status={series.status} />
      </p>
      <p className="meta"><SeriesTimes series={series} /></p>
      {children}
    </li>
  );
}
