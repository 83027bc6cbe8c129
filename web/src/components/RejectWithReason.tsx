import { useId, useState } from 'react';
import { ApiProblem } from '../api/problem';
import { ActionError, FieldError } from './States';

/**
 * Rejecting something that waits for dispatch (a trip request, a standing order): a reason the
 * requester is told, then a second, explicit "Yes, reject", since a rejection cannot be undone.
 * `send` gets the trimmed reason; its refusal shows at the field or under the form.
 */
export function RejectWithReason({ what, toldWho, pending, error, send }: {
  /** What is rejected, for the confirmation: "TTWQA-Y2AYS", "the standing order for Sam Rivera". */
  what: string;
  /** Who hears the reason: "the requester", "the facility". */
  toldWho: string;
  pending: boolean;
  error: unknown;
  send: (reason: string) => void;
}) {
  const id = useId();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [missing, setMissing] = useState(false);
  const problem = error instanceof ApiProblem ? error : undefined;
  const fieldError = missing ? `Give the reason; ${toldWho} is told it.` : problem?.field('reason');
  return (
    <form className="reject-form" noValidate onSubmit={(event) => {
      event.preventDefault();
      if (!reason.trim()) { setMissing(true); return; }
      setMissing(false);
      setConfirming(true);
    }}>
      <div className="field">
        <label htmlFor={`${id}-reason`}>Reason for rejecting</label>
        <textarea id={`${id}-reason`} value={reason} maxLength={500} rows={2} onChange={(e) => setReason(e.target.value)}
          aria-invalid={fieldError ? true : undefined} aria-describedby={fieldError ? `${id}-reason-error` : undefined} />
        <FieldError id={`${id}-reason-error`} message={fieldError} />
      </div>
      {!confirming && <div className="actions"><button type="submit" className="danger">Reject</button></div>}
      {confirming && (
        <div className="confirm">
          <p id={`${id}-confirm`}>Reject {what}? This cannot be undone.</p>
          <button type="button" className="danger" disabled={pending} onClick={() => send(reason.trim())}>Yes, reject</button>
          <button type="button" onClick={() => setConfirming(false)}>Keep the request</button>
        </div>
      )}
      <ActionError error={error} />
    </form>
  );
}
