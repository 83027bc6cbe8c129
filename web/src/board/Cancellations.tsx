import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type RefObject, useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { data, ifMatch } from '../api/client';
import type { CancellationRequest } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { ActionError, EmptyState, ErrorState, FieldError, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { formatDateTime } from '../lib/time';
import { keys, POLL_MS, useNewIds } from './queries';

const REASONS: Record<CancellationRequest['reasonCode'], string> = {
  booked_by_mistake: 'Booked by mistake',
  changed_plans: 'Plans changed',
  unable_to_make_trip: 'Rider cannot make the trip',
  other: 'Other',
};

/** Pending cancellation requests: approve (cancels the trip and its open legs) or deny with a reason. */
export function Cancellations({ sectionRef, announce }: {
  sectionRef: RefObject<HTMLElement | null>;
  announce: (message: string) => void;
}) {
  const { api } = useConsole();
  const pending = useQuery({
    queryKey: keys.cancellations,
    refetchInterval: POLL_MS,
    queryFn: () => data(api.GET('/v1/cancellation-requests', { params: { query: { status: 'pending', limit: 100 } } })),
  });
  const items = pending.data?.items;
  const fresh = useNewIds(items?.map((item) => item.id));
  useEffect(() => {
    if (fresh.size > 0) announce(`${fresh.size} new cancellation ${fresh.size === 1 ? 'request' : 'requests'}.`);
  }, [fresh, announce]);
  return (
    <section className="pane" aria-labelledby="cancellations-title" ref={sectionRef}>
      <h2 id="cancellations-title" tabIndex={-1}>
        Cancellation requests {items && <span className="count">{items.length}</span>}
      </h2>
      {pending.isPending && <LoadingState label="Loading cancellation requests" />}
      {pending.isError && <ErrorState error={pending.error} onRetry={() => void pending.refetch()} />}
      {items && items.length === 0 && <EmptyState>No cancellation requests waiting.</EmptyState>}
      {items && items.length > 0 && (
        <ul className="request-list">
          {items.map((item) => <CancellationItem key={item.id} request={item} isNew={fresh.has(item.id)} announce={announce} />)}
        </ul>
      )}
    </section>
  );
}

function CancellationItem({ request, isNew, announce }: {
  request: CancellationRequest;
  isNew: boolean;
  announce: (message: string) => void;
}) {
  const { api, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const id = useId();
  const trip = useQuery({
    queryKey: ['trip-request', request.tripRequestId],
    staleTime: 30_000,
    queryFn: () => data(api.GET('/v1/trip-requests/{tripRequestId}', { params: { path: { tripRequestId: request.tripRequestId } } })),
  });
  const [denying, setDenying] = useState(false);
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const reference = trip.data?.referenceCode ?? 'the trip';
  const done = (verb: string) => {
    announce(`Cancellation request for ${reference} ${verb}.`);
    void queryClient.invalidateQueries({ queryKey: keys.cancellations });
    void queryClient.invalidateQueries({ queryKey: ['legs'] });
    void queryClient.invalidateQueries({ queryKey: ['trip-request', request.tripRequestId] });
  };
  const approve = useMutation({
    mutationFn: () =>
      data(api.POST('/v1/cancellation-requests/{cancellationRequestId}/approve', {
        params: { path: { cancellationRequestId: request.id }, header: ifMatch(request.version) },
        body: {},
      })),
    onSuccess: () => done('approved; the trip is cancelled'),
  });
  const deny = useMutation({
    mutationFn: () =>
      data(api.POST('/v1/cancellation-requests/{cancellationRequestId}/deny', {
        params: { path: { cancellationRequestId: request.id }, header: ifMatch(request.version) },
        body: { reason: reason.trim() },
      })),
    onSuccess: () => done('denied'),
  });
  const denyProblem = deny.error instanceof ApiProblem ? deny.error : undefined;
  const reasonError = missing ? 'Give the reason; the facility sees it.' : denyProblem?.field('reason');
  return (
    <li className={`request${isNew ? ' is-new' : ''}`}>
      <p className="request-title" id={`${id}-title`}>
        <span className="ref">{trip.data?.referenceCode ?? '…'}</span> {REASONS[request.reasonCode]}
        {isNew && <span className="new-tag">new</span>}
      </p>
      <p className="meta">
        Asked {formatDateTime(request.createdAt, timeZone)}
        {trip.data && <> · ride {formatDateTime(trip.data.appointmentAt, timeZone)}</>}
        {' · '}<Link to={`/trips/${request.tripRequestId}`}>Trip details</Link>
      </p>
      {request.reasonText && <p className="quote">“{request.reasonText}”</p>}
      <div className="actions">
        <button type="button" className="primary" disabled={approve.isPending || deny.isPending} aria-describedby={`${id}-title`} onClick={() => approve.mutate()}>
          Approve
        </button>
        {!denying && (
          <button type="button" aria-describedby={`${id}-title`} onClick={() => setDenying(true)}>Deny</button>
        )}
      </div>
      <ActionError error={approve.error} />
      {denying && (
        <form className="deny-form" noValidate onSubmit={(event) => {
          event.preventDefault();
          if (!reason.trim()) { setMissing(true); return; }
          setMissing(false);
          deny.mutate();
        }}>
          <div className="field">
            <label htmlFor={`${id}-reason`}>Reason for denying</label>
            <textarea id={`${id}-reason`} rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)}
              aria-invalid={reasonError ? true : undefined} aria-describedby={reasonError ? `${id}-reason-error` : undefined} />
            <FieldError id={`${id}-reason-error`} message={reasonError} />
          </div>
          <div className="actions">
            <button type="submit" className="danger" disabled={deny.isPending}>Deny</button>
            <button type="button" onClick={() => setDenying(false)}>Back</button>
          </div>
          <ActionError error={deny.error} />
        </form>
      )}
    </li>
  );
}
