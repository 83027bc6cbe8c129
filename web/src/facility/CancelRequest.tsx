import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { data } from '../api/client';
import type { CancellationRequest, TripRequest } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { useAnswerMessages } from '../components/answers';
import { FieldError, FormError } from '../components/States';
import { Status } from '../components/Status';
import { useConsole } from '../context';
import { formatDateTime } from '../lib/time';
import { facilityKeys } from './queries';
import { useIdempotencyKey } from '../api/idempotency';

type ReasonCode = CancellationRequest['reasonCode'];
type Field = 'reasonCode' | 'reasonText';

/** The TDS cancellation reasons, as a scheduler says them. */
const CANCEL_REASON: Record<ReasonCode, string> = {
  booked_by_mistake: 'Booked by mistake',
  changed_plans: 'Plans changed (appointment moved or cancelled)',
  unable_to_make_trip: 'The rider cannot make the trip',
  other: 'Another reason',
};

/** The trip's cancellation requests: what was asked, and what dispatch decided. */
export function CancellationList({ requests }: { requests: readonly CancellationRequest[] }) {
  const { timeZone } = useConsole();
  if (requests.length === 0) return null;
  return (
    <ul className="cancellations" aria-label="Cancellation requests">
      {requests.map((request) => (
        <li key={request.id}>
          <p>
            <Status status={request.status} /> Asked {formatDateTime(request.createdAt, timeZone)}:{' '}
            {CANCEL_REASON[request.reasonCode]}{request.reasonText ? ` (“${request.reasonText}”)` : ''}
          </p>
          {request.status !== 'pending' && (
            <p className="meta">
              {request.status === 'approved' ? 'Approved' : 'Denied'}
              {request.decidedAt ? ` ${formatDateTime(request.decidedAt, timeZone)}` : ''}
              {request.decisionReason ? `: ${request.decisionReason}` : ''}
            </p>
          )}
          {request.status === 'pending' && <p className="meta">Waiting for dispatch to decide.</p>}
        </li>
      ))}
    </ul>
  );
}

/**
 * Asking dispatch to cancel: a reason from the TDS list (words for "other"). It is a request, not
 * the cancellation itself, so it is sent at once; dispatch approves or denies it.
 */
export function CancelRequestForm({ trip, announce }: { trip: TripRequest; announce: (message: string) => void }) {
  const { api } = useConsole();
  const id = useId();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reasonCode, setReasonCode] = useState<ReasonCode | ''>('');
  const [reasonText, setReasonText] = useState('');
  const keyFor = useIdempotencyKey();
  const ask = useMutation({
    mutationFn: (body: { reasonCode: ReasonCode; reasonText?: string }) => {
      return data(api.POST('/v1/trip-requests/{tripRequestId}/cancellation-requests', {
        params: { path: { tripRequestId: trip.id }, header: { 'Idempotency-Key': keyFor(body) } },
        body,
      }));
    },
    onSuccess: () => {
      setOpen(false);
      announce(`Cancellation of ${trip.referenceCode} requested. Dispatch will decide.`);
      setReasonCode('');
      setReasonText('');
      void queryClient.invalidateQueries({ queryKey: facilityKeys.cancellations(trip.id) });
      void queryClient.invalidateQueries({ queryKey: facilityKeys.history(trip.id) });
    },
  });
  const answers = useAnswerMessages<Field>(id, (field) => (ask.error instanceof ApiProblem ? ask.error.field(field) : undefined));
  const { messageFor } = answers;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Record<Field, string>> = {};
    if (!reasonCode) found.reasonCode = 'Choose the reason.';
    if (reasonCode === 'other' && !reasonText.trim()) found.reasonText = 'Say what the reason is.';
    if (!answers.check(found) || !reasonCode) return;
    ask.mutate({ reasonCode, ...(reasonText.trim() ? { reasonText: reasonText.trim() } : {}) });
  };

  if (!open) {
    return (
      <div className="actions">
        <button type="button" onClick={() => {
          setOpen(true);
          window.setTimeout(() => document.getElementById(`${id}-reasonCode`)?.focus(), 0);
        }}>Ask dispatch to cancel</button>
      </div>
    );
  }
  return (
    <form aria-label="Ask to cancel" noValidate onSubmit={submit}>
      <fieldset aria-describedby={messageFor('reasonCode') ? `${id}-reasonCode-error` : undefined}>
        <legend>Why should the trip be cancelled?</legend>
        {(Object.keys(CANCEL_REASON) as ReasonCode[]).map((code, index) => (
          <label key={code} className="choice">
            <input type="radio" name={`${id}-reason`} id={index === 0 ? `${id}-reasonCode` : undefined} value={code}
              checked={reasonCode === code} onChange={() => { setReasonCode(code); answers.changed('reasonCode'); }} />
            {CANCEL_REASON[code]}
          </label>
        ))}
        <FieldError id={`${id}-reasonCode-error`} message={messageFor('reasonCode')} />
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-reasonText`}>Details {reasonCode === 'other' ? '' : '(optional)'}</label>
        <textarea rows={2} maxLength={500} value={reasonText} {...answers.described('reasonText')}
          onChange={(e) => { setReasonText(e.target.value); answers.changed('reasonText'); }} />
        <FieldError id={`${id}-reasonText-error`} message={messageFor('reasonText')} />
      </div>
      <div className="actions">
        <button type="submit" className="danger" disabled={ask.isPending}>{ask.isPending ? 'Sending…' : 'Ask to cancel'}</button>
        <button type="button" onClick={() => { ask.reset(); answers.check({}); setOpen(false); }}>Keep the trip</button>
      </div>
      <FormError local={answers.errors} error={ask.error} />
    </form>
  );
}
