import { type FormEvent, type ReactNode, useId, useState } from 'react';
import type { Mobility, Rider } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { useFacilities } from '../api/records';
import { useAnswerMessages } from '../components/answers';
import { ErrorState, FieldError, FormError } from '../components/States';
import { NOTIFY_CHANNEL } from '../lib/words';
import { MobilityField } from '../trip/NeedsFields';

/** A rider as the form holds it: the inputs' values (empty string for "not given"). */
export interface RiderDraft {
  facilityId: string;
  fullName: string;
  phone: string;
  email: string;
  dateOfBirth: string;
  homeAddress: string;
  careNotes: string;
  mobility: Mobility;
  notifyChannel: Rider['notifyChannel'];
  notifyConsent: boolean;
}

export function riderDraftOf(rider: Rider | undefined): RiderDraft {
  return {
    facilityId: rider?.facilityId ?? '',
    fullName: rider?.fullName ?? '',
    phone: rider?.phone ?? '',
    email: rider?.email ?? '',
    dateOfBirth: rider?.dateOfBirth ?? '',
    homeAddress: rider?.homeAddress ?? '',
    careNotes: rider?.careNotes ?? '',
    mobility: rider?.mobility ?? 'ambulatory',
    notifyChannel: rider?.notifyChannel ?? 'sms',
    notifyConsent: rider?.notifyConsent ?? false,
  };
}

/** "(555) 010-0201" or "555.010.0201" → "+15550100201"; anything else as typed (the API says what is wrong). */
function phoneToE164(typed: string): string {
  const trimmed = typed.trim();
  if (!trimmed) return '';
  const digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('+')) return `+${digits}`;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return trimmed;
}

type Values = Omit<RiderDraft, 'facilityId'>;

/** The draft as the API's values: trimmed, the phone in E.164, empty meaning "none". */
function valuesOf(draft: RiderDraft): Values {
  return {
    fullName: draft.fullName.trim(), phone: phoneToE164(draft.phone), email: draft.email.trim(), dateOfBirth: draft.dateOfBirth,
    homeAddress: draft.homeAddress.trim(), careNotes: draft.careNotes.trim(), mobility: draft.mobility,
    notifyChannel: draft.notifyChannel, notifyConsent: draft.notifyConsent,
  };
}

/** POST /v1/riders: only what was given (facility only for a Dispatcher, who must name it). */
export function riderCreateBody(draft: RiderDraft, namesFacility: boolean) {
  const v = valuesOf(draft);
  return {
    ...(namesFacility ? { facilityId: draft.facilityId } : {}),
    fullName: v.fullName,
    ...(v.phone ? { phone: v.phone } : {}),
    ...(v.email ? { email: v.email } : {}),
    ...(v.dateOfBirth ? { dateOfBirth: v.dateOfBirth } : {}),
    ...(v.homeAddress ? { homeAddress: v.homeAddress } : {}),
    ...(v.careNotes ? { careNotes: v.careNotes } : {}),
    mobility: v.mobility,
    notifyChannel: v.notifyChannel,
    notifyConsent: v.notifyConsent,
  };
}

/** PATCH /v1/riders/{id}: only the fields that differ from the rider as read; a cleared field is null. */
export function riderChanges(draft: RiderDraft, rider: Rider) {
  const now = valuesOf(draft);
  const before = valuesOf(riderDraftOf(rider));
  const changes: Record<string, string | boolean | null> = {};
  for (const key of Object.keys(now) as (keyof Values)[]) {
    if (now[key] === before[key]) continue;
    const value = now[key];
    changes[key] = value === '' && key !== 'fullName' ? null : value;
  }
  return changes;
}

function localErrors(draft: RiderDraft, choosesFacility: boolean): Partial<Record<keyof RiderDraft, string>> {
  const errors: Partial<Record<keyof RiderDraft, string>> = {};
  if (choosesFacility && !draft.facilityId) errors.facilityId = 'Choose the facility the rider belongs to.';
  if (!draft.fullName.trim()) errors.fullName = 'Enter the rider’s name.';
  if (draft.notifyChannel === 'sms' && !draft.phone.trim()) errors.phone = 'Text messages need a phone number.';
  if (draft.notifyChannel === 'email' && !draft.email.trim()) errors.email = 'Email messages need an email address.';
  return errors;
}

const CHANNELS: readonly Rider['notifyChannel'][] = ['sms', 'email', 'none'];

export function RiderForm({ initial, choosesFacility, title, submitLabel, pending, error, onSubmit, extraActions }: {
  initial: RiderDraft;
  /** A Dispatcher creating a rider names the facility; facility roles never do. */
  choosesFacility: boolean;
  title: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (draft: RiderDraft) => void;
  extraActions?: ReactNode;
}) {
  const id = useId();
  const [draft, setDraft] = useState(initial);
  const problem = error instanceof ApiProblem ? error : undefined;
  const answers = useAnswerMessages<keyof RiderDraft>(id, (field) => {
    const message = problem?.field(field);
    // The API's message names the format (E.164); a scheduler needs the example instead.
    return message && field === 'phone' ? 'Enter the number with its area code, e.g. (555) 010-0201, or with its + country code.' : message;
  });
  const { messageFor, described } = answers;
  const set = <K extends keyof RiderDraft>(key: K, value: RiderDraft[K]) => {
    setDraft((current) => ({ ...current, [key]: value }));
    // The channel's own messages sit at phone or email: a new channel clears them all.
    answers.changed(key, key === 'notifyChannel');
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (answers.check(localErrors(draft, choosesFacility))) onSubmit(draft);
  };

  const text = (path: 'fullName' | 'phone' | 'email' | 'homeAddress', label: string, props: Record<string, unknown>, hint?: string) => (
    <div className="field grow">
      <label htmlFor={`${id}-${path}`}>{label}</label>
      <input value={draft[path]} onChange={(e) => set(path, e.target.value)} {...props} {...described(path, Boolean(hint))} />
      {hint && <p className="hint" id={`${id}-${path}-hint`}>{hint}</p>}
      <FieldError id={`${id}-${path}-error`} message={messageFor(path)} />
    </div>
  );

  return (
    <form className="facility-form" aria-label={title} noValidate onSubmit={submit}>
      {choosesFacility && (
        <FacilityField id={id} value={draft.facilityId} onChange={(value) => set('facilityId', value)} message={messageFor('facilityId')} />
      )}
      <fieldset>
        <legend>Who</legend>
        <div className="field-row">
          {text('fullName', 'Full name', { type: 'text', maxLength: 200, autoComplete: 'off' })}
          <div className="field">
            <label htmlFor={`${id}-dateOfBirth`}>Date of birth (optional)</label>
            <input type="date" value={draft.dateOfBirth} onChange={(e) => set('dateOfBirth', e.target.value)} {...described('dateOfBirth')} />
            <FieldError id={`${id}-dateOfBirth-error`} message={messageFor('dateOfBirth')} />
          </div>
        </div>
        <div className="field-row">
          {text('phone', 'Phone (optional)', { type: 'tel', maxLength: 20, autoComplete: 'off', inputMode: 'tel' },
            'A US number like (555) 010-0201, or another country’s with its + code.')}
          {text('email', 'Email (optional)', { type: 'email', maxLength: 254, autoComplete: 'off' })}
        </div>
        {text('homeAddress', 'Home address (optional)', { type: 'text', maxLength: 500, autoComplete: 'off' },
          'Filled in as the pickup when you request a trip.')}
      </fieldset>
      <fieldset>
        <legend>Usual needs</legend>
        <MobilityField id={id} value={draft.mobility} onChange={(mobility) => set('mobility', mobility)} message={messageFor('mobility')} />
        <div className="field">
          <label htmlFor={`${id}-careNotes`}>Care notes (optional)</label>
          <textarea rows={2} maxLength={2000} value={draft.careNotes} onChange={(e) => set('careNotes', e.target.value)}
            {...described('careNotes', true)} />
          <p className="hint" id={`${id}-careNotes-hint`}>What dispatch and drivers should know, e.g. “needs help at the door”.</p>
          <FieldError id={`${id}-careNotes-error`} message={messageFor('careNotes')} />
        </div>
      </fieldset>
      <fieldset>
        <legend>Messages about their rides</legend>
        <div className="choices">
          {CHANNELS.map((channel) => (
            <label key={channel} className="choice">
              <input type="radio" name={`${id}-channel`} value={channel} checked={draft.notifyChannel === channel}
                onChange={() => set('notifyChannel', channel)} />
              {NOTIFY_CHANNEL[channel]}
            </label>
          ))}
        </div>
        <FieldError id={`${id}-notifyChannel-error`} message={messageFor('notifyChannel')} />
        {draft.notifyChannel !== 'none' && (
          <label className="choice">
            <input type="checkbox" checked={draft.notifyConsent} onChange={(e) => set('notifyConsent', e.target.checked)}
              id={`${id}-notifyConsent`} aria-describedby={`${id}-notifyConsent-hint`} />
            The rider agreed to receive these messages
          </label>
        )}
        <p className="hint" id={`${id}-notifyConsent-hint`}>
          Without their agreement no message is sent. A rider who replies STOP to a text gets no more texts.
        </p>
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>{pending ? 'Saving…' : submitLabel}</button>
        {extraActions}
      </div>
      <FormError local={answers.errors} error={error} />
    </form>
  );
}

/** A Dispatcher's choice of the rider's facility (facility roles never see this, nor may they list facilities). */
function FacilityField({ id, value, onChange, message }: { id: string; value: string; onChange: (value: string) => void; message: string | undefined }) {
  const facilities = useFacilities({ kind: 'facility' });
  return (
    <div className="field">
      <label htmlFor={`${id}-facilityId`}>Facility</label>
      {facilities.isError ? <ErrorState error={facilities.error} onRetry={() => void facilities.refetch()} /> : (
        <select id={`${id}-facilityId`} value={value} disabled={facilities.isPending} onChange={(e) => onChange(e.target.value)}
          aria-invalid={message ? true : undefined} aria-describedby={message ? `${id}-facilityId-error` : undefined}>
          <option value="">{facilities.isPending ? 'Loading facilities…' : 'Choose a facility'}</option>
          {(facilities.data ?? []).filter((f) => f.active).map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
        </select>
      )}
      <FieldError id={`${id}-facilityId-error`} message={message} />
    </div>
  );
}
