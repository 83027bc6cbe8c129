import type { UseQueryResult } from '@tanstack/react-query';
import type { Schemas } from '../api/contract';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { formatDate, formatTime } from '../lib/time';
import { describeActor, describeEvent } from './history';

/**
 * A trip's audited history as a timeline (who, when, what), on both trip pages. What differs is
 * what the reader may know: `names` holds the staff names they may see (a facility sees none of
 * the provider's), `driverOf` the driver named on an assignment (empty for a facility).
 */
export function TripHistory({ history, legs, driverOf, names, timeZone }: {
  history: UseQueryResult<Schemas['TripHistory']>;
  legs: Parameters<typeof describeEvent>[1]['legs'];
  driverOf: ReadonlyMap<number, string>;
  names: ReadonlyMap<string, string>;
  timeZone: string;
}) {
  return (
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
              <p className="history-what">{describeEvent(event, { legs, driverOf })}</p>
              <p className="meta">{describeActor(event, names)}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
