import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Rider } from '../api/contract';
import { bookable, riderName, useFacilities, useRiders } from '../api/records';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { withParam } from '../lib/params';
import { formatPhone, MOBILITY, messagesText } from '../lib/words';
import { searchRiders } from './queries';
import './facility.css';

/** How many riders the list shows before "Show all": a long list is searched, not scrolled. */
const SHOWN = 50;

/** The riders one may book for, searched by name, phone or email on the device. */
export default function Riders() {
  const { me } = useConsole();
  const isDispatcher = me.role === 'Dispatcher';
  const [params, setParams] = useSearchParams();
  const facilityId = isDispatcher ? (params.get('facility') ?? '') : '';
  const [search, setSearch] = useState('');
  const [all, setAll] = useState(false);
  const riders = useRiders(facilityId);
  const live = (riders.data ?? []).filter(bookable);
  const matches = searchRiders(live, search);
  const shown = all ? matches : matches.slice(0, SHOWN);

  return (
    <section className="page facility" aria-labelledby="riders-title">
      <div className="page-title">
        <h1 id="riders-title">Riders</h1>
        <Link className="button-link primary-link" to="/riders/new">New rider</Link>
      </div>
      <div className="trip-filters">
        {isDispatcher && (
          <FacilityChoice value={facilityId} onChange={(value) => setParams(withParam(params, 'facility', value), { replace: true })} />
        )}
        <label htmlFor="riders-search">Find a rider</label>
        <input id="riders-search" type="search" value={search} autoComplete="off" onChange={(e) => setSearch(e.target.value)}
          aria-describedby="riders-search-hint" />
        <p className="hint" id="riders-search-hint">By name, phone number or email.</p>
      </div>
      {riders.isPending && <LoadingState label="Loading the riders" />}
      {riders.isError && <ErrorState error={riders.error} onRetry={() => void riders.refetch()} />}
      {riders.data && live.length === 0 && (
        <EmptyState>No riders yet. <Link to="/riders/new">Register the first one</Link>.</EmptyState>
      )}
      {riders.data && live.length > 0 && matches.length === 0 && (
        <EmptyState>No rider matches “{search}”. <Link to="/riders/new">Register a new rider</Link>.</EmptyState>
      )}
      {riders.data && matches.length > 0 && (
        <p className="meta" aria-live="polite">
          {search ? `${matches.length} of ${live.length} riders match.` : `${live.length} riders.`}
        </p>
      )}
      {shown.length > 0 && (
        <ul className="rider-rows" aria-label="Riders">
          {shown.map((rider) => <RiderRow key={rider.id} rider={rider} canRequest={!isDispatcher} />)}
        </ul>
      )}
      {!all && matches.length > SHOWN && (
        <div className="actions"><button type="button" onClick={() => setAll(true)}>Show all {matches.length}</button></div>
      )}
    </section>
  );
}

function RiderRow({ rider, canRequest }: { rider: Rider; canRequest: boolean }) {
  const name = riderName(rider);
  return (
    <li className="rider-row">
      <div className="rider-row-head">
        <Link to={`/riders/${rider.id}`}>{name}</Link>
        {canRequest && (
          <Link to={`/trips/new?riderId=${rider.id}`}>Request a trip<span className="visually-hidden"> for {name}</span></Link>
        )}
      </div>
      <p className="meta">
        {[rider.phone ? formatPhone(rider.phone) : 'No phone', MOBILITY[rider.mobility], messagesText(rider)].join(' · ')}
      </p>
    </li>
  );
}

function FacilityChoice({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const facilities = useFacilities({ kind: 'facility' });
  return (
    <>
      <label htmlFor="riders-facility">Facility</label>
      <select id="riders-facility" value={value} disabled={facilities.isPending} onChange={(e) => onChange(e.target.value)}>
        <option value="">All facilities</option>
        {(facilities.data ?? []).map((facility) => <option key={facility.id} value={facility.id}>{facility.name}</option>)}
      </select>
    </>
  );
}
