import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { data } from '../api/client';
import type { Rider } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { bookable, riderName, useFacility, useRiders } from '../api/records';
import { useAnnouncer } from '../components/Announcer';
import { useAnswerMessages } from '../components/answers';
import { FieldError, FormError } from '../components/States';
import { useConsole } from '../context';
import { addDays, todayInZone, zoneName } from '../lib/time';
import { NeedsFields } from '../trip/NeedsFields';
import { facilityKeys, useRecentDropoffs } from './queries';
import { RiderPicker } from './RiderPicker';
import { emptyTripDraft, FIELD_OF_PATH, type TripDraft, tripCreateBody, tripDraftErrors } from './tripDraft';
import './facility.css';
import { useIdempotencyKey } from '../api/idempotency';

const RETURN_CHOICES: readonly { value: TripDraft['returnTrip']; label: string }[] = [
  { value: 'none', label: 'No return ride' },
  { value: 'scheduled', label: 'Return at a set time' },
  { value: 'will_call', label: 'Will-call: we phone when they are ready' },
];

/**
 * A facility requests a ride for one of its riders: who, when (the appointment, and the pickup
 * if it matters), the return, where, and what the rider needs. Dispatch confirms the times; the
 * next screen is the trip's page.
 */
export default function RequestTrip() {
  const { api, me, timeZone } = useConsole();
  const id = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const { announce, region } = useAnnouncer();
  const riders = useRiders();
  const dropoffs = useRecentDropoffs();
  const facility = useFacility(me.facilityId);
  const [draft, setDraft] = useState(() => emptyTripDraft(addDays(todayInZone(timeZone), 1)));
  const [dropoffTouched, setDropoffTouched] = useState(false);
  /** The API's messages by answer, read from its refusal below. */
  const apiErrors = new Map<keyof TripDraft, string>();
  const answers = useAnswerMessages<keyof TripDraft>(id, (field) => apiErrors.get(field));
  const { messageFor, described } = answers;
  const live = (riders.data ?? []).filter(bookable);
  const chosen = live.find((rider) => rider.id === draft.riderId);
  const set = <K extends keyof TripDraft>(key: K, value: TripDraft[K]) => {
    setDraft((current) => ({ ...current, [key]: value }));
    answers.changed(key);
  };

  const choose = (rider: Rider | undefined) => {
    answers.changed('riderId');
    setDraft((current) => ({
      ...current,
      riderId: rider?.id ?? '',
      // The rider's usual needs and home, unless something was typed already.
      pickupAddress: current.pickupAddress || rider?.homeAddress || '',
      mobility: rider ? rider.mobility : current.mobility,
    }));
    if (rider) announce(`${riderName(rider)} chosen.`);
    window.setTimeout(() => document.getElementById(`${id}-riderId`)?.focus(), 0);
  };

  // Coming back from registering a rider (or from a rider's page): that rider, chosen.
  const preset = params.get('riderId');
  const presetApplied = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: applied once, when the riders arrive
  useEffect(() => {
    if (!preset || presetApplied.current || !riders.data) return;
    // A rider just registered is in the list once it has been read again: wait for that.
    const rider = riders.data.find((candidate) => candidate.id === preset && bookable(candidate));
    if (!rider) return;
    presetApplied.current = true;
    choose(rider);
  }, [preset, riders.data]);

  // The facility's own address until one is typed; without one, where most of its trips go.
  const usual = facility.isPending ? '' : (facility.data?.address ?? dropoffs.data?.[0]?.address ?? '');
  useEffect(() => {
    if (usual && !dropoffTouched) setDraft((current) => (current.dropoffAddress ? current : { ...current, dropoffAddress: usual }));
  }, [usual, dropoffTouched]);

  const keyFor = useIdempotencyKey();
  const create = useMutation({
    mutationFn: (body: ReturnType<typeof tripCreateBody>) =>
      data(api.POST('/v1/trip-requests', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body })),
    onSuccess: (trip) => {
      void queryClient.invalidateQueries({ queryKey: facilityKeys.all });
      navigate(`/trips/${trip.id}`, { state: { created: trip.referenceCode } });
    },
  });

  if (create.error instanceof ApiProblem) {
    for (const [path, message] of create.error.fieldErrors) {
      const field = FIELD_OF_PATH[path.split('.')[0] ?? ''];
      if (field && !apiErrors.has(field)) apiErrors.set(field, message);
    }
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!answers.check(tripDraftErrors(draft, timeZone), Object.keys(draft) as (keyof TripDraft)[])) return;
    create.mutate(tripCreateBody(draft, timeZone));
  };

  const zone = zoneName(timeZone, draft.date ? `${draft.date}T12:00:00Z` : new Date());
  const time = (field: 'appointmentTime' | 'pickupTime' | 'returnTime', label: string, hint?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${field}`}>{label} ({zone})</label>
      <input type="time" value={draft[field]} onChange={(e) => set(field, e.target.value)} {...described(field, Boolean(hint))} />
      {hint && <p className="hint" id={`${id}-${field}-hint`}>{hint}</p>}
      <FieldError id={`${id}-${field}-error`} message={messageFor(field)} />
    </div>
  );

  return (
    <section className="page facility" aria-labelledby="request-title">
      {region}
      <p><Link to="/trips">← Our trips</Link></p>
      <h1 id="request-title">Request a trip</h1>
      <form className="facility-form" aria-label="Request a trip" noValidate onSubmit={submit}>
        <fieldset>
          <legend>Rider</legend>
          <RiderPicker id={id} riders={live} loading={riders.isPending} error={riders.error} onRetry={() => void riders.refetch()}
            chosen={chosen} onChoose={choose} message={messageFor('riderId')} />
        </fieldset>

        <fieldset>
          <legend>When</legend>
          <div className="field-row">
            <div className="field">
              <label htmlFor={`${id}-date`}>Day</label>
              <input type="date" value={draft.date} min={todayInZone(timeZone)} onChange={(e) => set('date', e.target.value)}
                {...described('date')} />
              <FieldError id={`${id}-date-error`} message={messageFor('date')} />
            </div>
            {time('appointmentTime', 'Appointment time')}
            {time('pickupTime', 'Pickup time (optional)', 'Leave empty and dispatch picks a time to arrive early enough.')}
          </div>
        </fieldset>

        <fieldset aria-describedby={messageFor('returnTrip') ? `${id}-returnTrip-error` : undefined}>
          <legend>Return ride</legend>
          <div className="choices">
            {RETURN_CHOICES.map((choice, index) => (
              <label key={choice.value} className="choice">
                <input type="radio" name={`${id}-return`} value={choice.value} id={index === 0 ? `${id}-returnTrip` : undefined}
                  checked={draft.returnTrip === choice.value} onChange={() => set('returnTrip', choice.value)} />
                {choice.label}
              </label>
            ))}
          </div>
          <FieldError id={`${id}-returnTrip-error`} message={messageFor('returnTrip')} />
          {draft.returnTrip === 'scheduled' && time('returnTime', 'Return pickup time')}
          {draft.returnTrip === 'will_call' && <p className="hint">Dispatch sends a driver when you phone.</p>}
        </fieldset>

        <fieldset>
          <legend>Where</legend>
          <div className="field-row">
            <div className="field grow">
              <label htmlFor={`${id}-pickupAddress`}>Pick up from</label>
              <input type="text" maxLength={500} autoComplete="off" value={draft.pickupAddress}
                onChange={(e) => set('pickupAddress', e.target.value)} {...described('pickupAddress', true)} />
              <p className="hint" id={`${id}-pickupAddress-hint`}>The rider’s home, from their record, unless you change it.</p>
              <FieldError id={`${id}-pickupAddress-error`} message={messageFor('pickupAddress')} />
            </div>
            <div className="field grow">
              <label htmlFor={`${id}-dropoffAddress`}>Going to</label>
              <input type="text" maxLength={500} autoComplete="off" list={`${id}-dropoffs`} value={draft.dropoffAddress}
                onChange={(e) => { setDropoffTouched(true); set('dropoffAddress', e.target.value); }} {...described('dropoffAddress', true)} />
              <datalist id={`${id}-dropoffs`}>
                {(dropoffs.data ?? []).slice(0, 10).map((item) => <option key={item.address} value={item.address} />)}
              </datalist>
              <p className="hint" id={`${id}-dropoffAddress-hint`}>{facility.data?.address ? 'Filled in with your facility’s address' : 'Filled in with where most of your trips go'}; your recent addresses are suggested.</p>
              <FieldError id={`${id}-dropoffAddress-error`} message={messageFor('dropoffAddress')} />
            </div>
          </div>
        </fieldset>

        <NeedsFields id={id} needs={draft} onChange={(field, value) => set(field, value)} messageFor={messageFor}>
          <div className="field">
            <label htmlFor={`${id}-clinicalNotes`}>Notes for dispatch and the driver (optional)</label>
            <textarea rows={2} maxLength={2000} value={draft.clinicalNotes} onChange={(e) => set('clinicalNotes', e.target.value)}
              {...described('clinicalNotes')} />
            <FieldError id={`${id}-clinicalNotes-error`} message={messageFor('clinicalNotes')} />
          </div>
        </NeedsFields>

        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? 'Sending…' : 'Send the request'}</button>
        </div>
        <FormError local={answers.errors} error={create.error} />
      </form>
    </section>
  );
}
