import { useState } from 'react';
import { Link } from 'react-router';
import type { Rider } from '../api/contract';
import { riderName } from '../api/records';
import { ErrorState, FieldError, LoadingState } from '../components/States';
import { formatPhone, MOBILITY } from '../lib/words';
import { searchRiders } from './queries';

/** How many matches the picker lists: type more to narrow it. */
const MATCHES = 8;

/**
 * Choosing the rider fast: type a few letters of the name (or the phone's digits), pick one of the
 * matches; or register a new rider and come back with them chosen.
 */
export function RiderPicker({ id, riders, loading, error, onRetry, chosen, onChoose, message }: {
  id: string;
  riders: readonly Rider[];
  loading: boolean;
  error: unknown;
  onRetry: () => void;
  chosen: Rider | undefined;
  onChoose: (rider: Rider | undefined) => void;
  message: string | undefined;
}) {
  const [search, setSearch] = useState('');
  const errorId = `${id}-riderId-error`;
  if (chosen) {
    return (
      <div className="chosen-rider">
        <div>
          <p><strong>{riderName(chosen)}</strong></p>
          <p className="meta">{[chosen.phone ? formatPhone(chosen.phone) : 'No phone', MOBILITY[chosen.mobility]].join(' · ')}</p>
        </div>
        <button type="button" id={`${id}-riderId`} onClick={() => onChoose(undefined)}>Choose another rider</button>
      </div>
    );
  }
  const matches = searchRiders(riders, search);
  return (
    <div className="rider-picker">
      <div className="field">
        <label htmlFor={`${id}-riderId`}>Find the rider</label>
        <input id={`${id}-riderId`} type="search" value={search} autoComplete="off" onChange={(e) => setSearch(e.target.value)}
          aria-describedby={[`${id}-riderId-hint`, message ? errorId : ''].filter(Boolean).join(' ')}
          aria-invalid={message ? true : undefined} />
        <p className="hint" id={`${id}-riderId-hint`}>
          Type part of the name or phone number, then pick them below. Not registered yet?{' '}
          <Link to="/riders/new?then=request">Register a new rider</Link>.
        </p>
        <FieldError id={errorId} message={message} />
      </div>
      {loading && <LoadingState label="Loading your riders" />}
      {Boolean(error) && <ErrorState error={error} onRetry={onRetry} />}
      {!loading && !error && (
        <section aria-labelledby={`${id}-matches`}>
          <h2 className="sub-heading" id={`${id}-matches`}>{search ? `Matching riders (${matches.length})` : 'Your riders'}</h2>
          {matches.length === 0 && <p className="meta">No rider matches. Register a new rider with the link above.</p>}
          <ul className="matches">
            {matches.slice(0, MATCHES).map((rider) => (
              <li key={rider.id}>
                <button type="button" className="match" onClick={() => onChoose(rider)}>
                  <span className="match-name">{riderName(rider)}</span>
                  <span className="meta">{[rider.phone ? formatPhone(rider.phone) : 'No phone', MOBILITY[rider.mobility]].join(' · ')}</span>
                </button>
              </li>
            ))}
          </ul>
          {matches.length > MATCHES && <p className="meta">{matches.length - MATCHES} more: type more of the name.</p>}
        </section>
      )}
    </div>
  );
}
