import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { data, ifMatch } from '../api/client';
import type { BillingRecord, BillingStatus, BillingTransition } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { ActionError, FieldError } from '../components/States';
import { statusWord } from '../components/Status';
import { useConsole } from '../context';
import { centsToInput, formatCents, readAmount } from './money';
import { useRefreshBilling } from './queries';
import { capitalise } from '../lib/words';

/**
 * What Billing may do with a record, as the lifecycle allows (lambdas/shared/domain/lifecycles.ts,
 * billing_record): price it (ready), invoice it, mark it paid or denied, resubmit a denial, hold
 * it and release it to where it came from, write it off (confirmed: it cannot be undone). The API
 * decides; each refusal is said next to the action (a field's message at that field).
 */
export interface RecordActionProps {
  record: BillingRecord;
  /** Says what happened (the record leaves the list it was in). */
  onMoved: (sentence: string) => void;
}

function useMove({ record, onMoved }: RecordActionProps) {
  const { api } = useConsole();
  const refresh = useRefreshBilling();
  return useMutation({
    mutationFn: (body: BillingTransition) =>
      data(api.POST('/v1/billing-records/{billingRecordId}/transitions', {
        params: { path: { billingRecordId: record.id }, header: ifMatch(record.version) },
        body,
      })),
    onSuccess: (moved) => {
      const amount = moved.amountCents === null ? '' : `, ${formatCents(moved.amountCents)}`;
      const invoice = moved.status === 'invoiced' && moved.invoiceNumber ? `, invoice ${moved.invoiceNumber}` : '';
      onMoved(`${record.referenceCode} is now ${statusWord(moved.status)}${amount}${invoice}.`);
      refresh();
    },
    onError: (error) => {
      // Someone else moved it: show the record as it is now (the sentence says so).
      if (error instanceof ApiProblem && (error.status === 412 || error.status === 409)) refresh();
    },
  });
}

const problemOf = (error: unknown) => (error instanceof ApiProblem ? error : undefined);

/** The action's error unless it belongs to a field shown in place. */
function OtherError({ error, fields }: { error: unknown; fields: readonly string[] }) {
  const problem = problemOf(error);
  if (problem && fields.some((field) => fieldMessage(problem, field))) return null;
  return <ActionError error={error} />;
}

function fieldMessage(problem: ApiProblem | undefined, path: string): string | undefined {
  if (!problem) return undefined;
  if (path === 'invoiceNumber' && problem.slug === 'invoice-number-taken') return problem.detail;
  return problem.field(path);
}

export function RecordActions(props: RecordActionProps) {
  const { record } = props;
  const code = record.referenceCode;
  switch (record.status) {
    case 'pending':
      return (
        <Actions code={code}>
          <PriceForm {...props} submit="Mark ready" />
          <MoreActions {...props} targets={['on_hold']} />
        </Actions>
      );
    case 'ready':
      return (
        <Actions code={code}>
          <InvoiceForm {...props} />
          <MoreActions {...props} targets={['on_hold']} />
        </Actions>
      );
    case 'invoiced':
      return (
        <Actions code={code}>
          <MoreActions {...props} targets={['paid', 'on_hold']} />
          <DenyForm {...props} />
        </Actions>
      );
    case 'denied':
      return (
        <Actions code={code}>
          <PriceForm {...props} submit="Resubmit as ready" />
          <MoreActions {...props} targets={['on_hold']} />
        </Actions>
      );
    case 'on_hold':
      return (
        <Actions code={code}>
          <MoreActions {...props} targets={record.heldFrom ? [record.heldFrom] : []} />
        </Actions>
      );
    default:
      return <p className="hint">{capitalise(statusWord(record.status))} is final: nothing more to do.</p>;
  }
}

function Actions({ code, children }: { code: string; children: React.ReactNode }) {
  return (
    <fieldset className="billing-actions">
      <legend className="visually-hidden">What to do with {code}</legend>
      {children}
    </fieldset>
  );
}

function PriceForm(props: RecordActionProps & { submit: string }) {
  const { record, submit } = props;
  const id = useId();
  const move = useMove(props);
  const [typed, setTyped] = useState(centsToInput(record.amountCents));
  const [problem, setProblem] = useState<string | undefined>();
  const fieldId = `${id}-amount`;
  const message = problem ?? fieldMessage(problemOf(move.error), 'amountCents');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const reading = readAmount(typed);
    if ('problem' in reading) {
      setProblem(reading.problem);
      return;
    }
    setProblem(undefined);
    move.mutate({ to: 'ready', amountCents: reading.cents });
  };
  return (
    <form className="billing-form" aria-label={`Price ${record.referenceCode}`} noValidate onSubmit={onSubmit}>
      <label htmlFor={fieldId}>Amount ($)</label>
      <div className="inline-field">
        <input id={fieldId} inputMode="decimal" autoComplete="off" value={typed} size={10}
          onChange={(event) => setTyped(event.target.value)}
          aria-invalid={message ? true : undefined} aria-describedby={message ? `${fieldId}-error` : undefined} />
        <button type="submit" className="primary" disabled={move.isPending}>{move.isPending ? 'Saving…' : submit}</button>
      </div>
      <FieldError id={`${fieldId}-error`} message={message} />
      <OtherError error={move.error} fields={['amountCents']} />
    </form>
  );
}

function InvoiceForm(props: RecordActionProps) {
  const { record } = props;
  const id = useId();
  const move = useMove(props);
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const fieldId = `${id}-invoice`;
  const message = problem ?? fieldMessage(problemOf(move.error), 'invoiceNumber');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const invoiceNumber = typed.trim();
    if (invoiceNumber === '') {
      setProblem('Enter the invoice number, e.g. INV-2030/001.');
      return;
    }
    setProblem(undefined);
    move.mutate({ to: 'invoiced', invoiceNumber });
  };
  return (
    <form className="billing-form" aria-label={`Invoice ${record.referenceCode}`} noValidate onSubmit={onSubmit}>
      <label htmlFor={fieldId}>Invoice number</label>
      <div className="inline-field">
        <input id={fieldId} autoComplete="off" value={typed} maxLength={64} size={16}
          onChange={(event) => setTyped(event.target.value)}
          aria-invalid={message ? true : undefined} aria-describedby={message ? `${fieldId}-error` : undefined} />
        <button type="submit" className="primary" disabled={move.isPending}>{move.isPending ? 'Saving…' : 'Mark invoiced'}</button>
      </div>
      <FieldError id={`${fieldId}-error`} message={message} />
      <OtherError error={move.error} fields={['invoiceNumber']} />
    </form>
  );
}

function DenyForm(props: RecordActionProps) {
  const { record } = props;
  const id = useId();
  const move = useMove(props);
  const [reason, setReason] = useState('');
  const fieldId = `${id}-reason`;
  const message = fieldMessage(problemOf(move.error), 'note');
  return (
    <form className="billing-form" aria-label={`Deny ${record.referenceCode}`} noValidate
      onSubmit={(event) => {
        event.preventDefault();
        move.mutate({ to: 'denied', ...(reason.trim() ? { note: reason.trim() } : {}) });
      }}>
      <label htmlFor={fieldId}>Reason for the denial (optional)</label>
      <div className="inline-field">
        <input id={fieldId} autoComplete="off" value={reason} maxLength={500} size={24}
          onChange={(event) => setReason(event.target.value)}
          aria-invalid={message ? true : undefined} aria-describedby={message ? `${fieldId}-error` : undefined} />
        <button type="submit" disabled={move.isPending}>{move.isPending ? 'Saving…' : 'Mark denied'}</button>
      </div>
      <FieldError id={`${fieldId}-error`} message={message} />
      <OtherError error={move.error} fields={['note']} />
    </form>
  );
}

const BUTTON: Partial<Record<BillingStatus, string>> = { paid: 'Mark paid', on_hold: 'Put on hold' };

/** One-press moves (paid, hold, release from a hold) and the write-off, which asks first. */
function MoreActions(props: RecordActionProps & { targets: readonly BillingStatus[] }) {
  const { record, targets } = props;
  const move = useMove(props);
  const [confirming, setConfirming] = useState(false);
  const writeOff = useRef<HTMLButtonElement>(null);
  return (
    <div className="billing-buttons">
      <div className="actions">
        {targets.map((to) => (
          <button key={to} type="button" className={to === 'paid' ? 'primary' : undefined} disabled={move.isPending}
            onClick={() => move.mutate({ to })}>
            {BUTTON[to] ?? `Release to ${statusWord(to)}`}
          </button>
        ))}
        <button ref={writeOff} type="button" aria-expanded={confirming} disabled={move.isPending}
          onClick={() => setConfirming(true)}>Write off</button>
      </div>
      {confirming && (
        <div className="confirm">
          <p>Write off {record.referenceCode}? It cannot be undone.</p>
          <button type="button" className="danger" disabled={move.isPending} onClick={() => move.mutate({ to: 'written_off' })}>
            Yes, write it off
          </button>
          <button type="button" onClick={() => { setConfirming(false); writeOff.current?.focus(); }}>Keep it</button>
        </div>
      )}
      <ActionError error={move.error} />
    </div>
  );
}
