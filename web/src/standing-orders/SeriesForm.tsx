import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Link } from 'react-router';
import type { Mobility, StandingOrder } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { bookable, riderName, useFacilities, useRiders } from '../api/records';
import { EmptyState, ErrorState, FieldError, FormError } from '../components/States';
import { useConsole } from '../context';
import { addDays, genericZoneName, todayInZone } from '../lib/time';
import { fieldWordsMessage, RETURN_MODE, SERIES_FIELD_WORDS, WEEKDAYS } from '../lib/words';
import { NeedsFields } from '../trip/NeedsFields';
import { useSeriesAudience } from './audience';

/**
 * A series as the form holds it: the API's fields, as the inputs' values. One form for creating
 * (the rider chosen here, and the facility too by a Dispatcher; a facility's own people book for
 * their own) and for changing a series (facility and rider fixed).
 */
export interface SeriesDraft {
  facilityId: string;
  riderId: string;
  daysOfWeek: number[];
  appointmentTime: string;
  pickupTime: string;
  pickupAddress: string;
  dropoffAddress: string;
  mobility: Mobility;
  oxygen: boolean;
  companions: number;
  returnMode: StandingOrder['returnMode'];
  returnPickupTime: string;
  startDate: string;
  endDate: string;
}

/** Pickup prefilled from the appointment until the user sets it: 45 minutes before, as for single trips. */
const PICKUP_BEFORE_MIN = 45;
const RETURN_AFTER_MIN = 180;

export function draftOf(series: StandingOrder | undefined, timeZone: string, ownFacilityId = ''): SeriesDraft {
  if (!series) {
    return {
      facilityId: ownFacilityId, riderId: '', daysOfWeek: [], appointmentTime: '', pickupTime: '', pickupAddress: '', dropoffAddress: '',
      mobility: 'ambulatory', oxygen: false, companions: 0, returnMode: 'timed', returnPickupTime: '',
      startDate: addDays(todayInZone(timeZone), 1), endDate: '',
    };
  }
  return {
    facilityId: series.facilityId, riderId: series.riderId, daysOfWeek: [...series.daysOfWeek],
    appointmentTime: series.appointmentTime.slice(0, 5), pickupTime: series.pickupTime.slice(0, 5),
    pickupAddress: series.pickupAddress, dropoffAddress: series.dropoffAddress, mobility: series.mobility,
    oxygen: series.oxygen, companions: series.companions, returnMode: series.returnMode,
    returnPickupTime: (series.returnPickupTime ?? '').slice(0, 5), startDate: series.startDate, endDate: series.endDate ?? '',
  };
}

/** "HH:MM" plus minutes, within the day (a wall-clock time, no zone involved). */
function shiftTime(time: string, minutes: number): string {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) return '';
  const total = Math.min(23 * 60 + 59, Math.max(0, Number(match[1]) * 60 + Number(match[2]) + minutes));
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * What the form checks before sending (the API checks everything again and answers per field).
 * A facility's own people book for their own facility: nothing to choose, nothing to say.
 */
function localErrors(draft: SeriesDraft, creating: boolean, chooseFacility: boolean): Record<string, string> {
  const errors: Record<string, string> = {};
  if (chooseFacility && !draft.facilityId) errors.facilityId = 'Choose the facility.';
  if (creating && !draft.riderId) errors.riderId = 'Choose the rider.';
  if (draft.daysOfWeek.length === 0) errors.daysOfWeek = 'Tick at least one day.';
  if (!draft.appointmentTime) errors.appointmentTime = 'Enter the appointment time.';
  if (!draft.pickupTime) errors.pickupTime = 'Enter the pickup time.';
  if (!draft.pickupAddress.trim()) errors.pickupAddress = 'Enter where to pick them up.';
  if (!draft.dropoffAddress.trim()) errors.dropoffAddress = 'Enter where they are going.';
  if (draft.returnMode === 'timed' && !draft.returnPickupTime) errors.returnPickupTime = 'Enter the return pickup time.';
  if (!draft.startDate) errors.startDate = 'Enter the first day.';
  if (draft.endDate && draft.startDate && draft.endDate < draft.startDate) errors.endDate = 'The last day is before the first.';
  return errors;
}

export function SeriesForm({ initial, creating, title, submitLabel, pending, error, onSubmit, extraActions }: {
  initial: SeriesDraft;
  creating: boolean;
  /** The form's accessible name. */
  title: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (draft: SeriesDraft) => void;
  extraActions?: ReactNode;
}) {
  const { timeZone } = useConsole();
  const { facility: ownFacility } = useSeriesAudience();
  const chooseFacility = creating && !ownFacility;
  const id = useId();
  const zone = genericZoneName(timeZone);
  const [draft, setDraft] = useState(initial);
  const [pickupSet, setPickupSet] = useState(!creating);
  const [returnSet, setReturnSet] = useState(!creating);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const facilities = useFacilities({ kind: 'facility', enabled: chooseFacility });
  const riders = useRiders(draft.facilityId, creating && draft.facilityId !== '');
  const problem = error instanceof ApiProblem ? error : undefined;
  const set = <K extends keyof SeriesDraft>(key: K, value: SeriesDraft[K]) => setDraft((current) => ({ ...current, [key]: value }));

  /** The message for a field: the form's own first, then the API's for that path or one inside it (daysOfWeek.2). */
  const messageFor = (path: string): string | undefined => {
    if (errors[path]) return errors[path];
    if (!problem) return undefined;
    const exact = problem.field(path);
    if (exact) return fieldWordsMessage(exact, SERIES_FIELD_WORDS);
    for (const [where, message] of problem.fieldErrors) if (where.startsWith(`${path}.`)) return fieldWordsMessage(message, SERIES_FIELD_WORDS);
    return undefined;
  };
  const described = (path: string, hint?: boolean) => {
    const message = messageFor(path);
    const ids = [hint ? `${id}-${path}-hint` : '', message ? `${id}-${path}-error` : ''].filter(Boolean).join(' ');
    return { 'aria-invalid': message ? true : undefined, 'aria-describedby': ids || undefined } as const;
  };

  const chooseRider = (riderId: string) => {
    const rider = riders.data?.find((candidate) => candidate.id === riderId);
    setDraft((current) => ({
      ...current,
      riderId,
      // Sensible defaults from the rider's record; anything typed already stays.
      pickupAddress: current.pickupAddress || rider?.homeAddress || '',
      mobility: rider ? rider.mobility : current.mobility,
    }));
  };
  const chooseAppointment = (time: string) => {
    setDraft((current) => ({
      ...current,
      appointmentTime: time,
      pickupTime: pickupSet ? current.pickupTime : shiftTime(time, -PICKUP_BEFORE_MIN),
      returnPickupTime: returnSet ? current.returnPickupTime : shiftTime(time, RETURN_AFTER_MIN),
    }));
  };
  const toggleDay = (iso: number, on: boolean) =>
    set('daysOfWeek', on ? [...draft.daysOfWeek, iso].sort((a, b) => a - b) : draft.daysOfWeek.filter((day) => day !== iso));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = localErrors(draft, creating, chooseFacility);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      // Take the keyboard to the first answer that needs fixing.
      const first = Object.keys(found)[0];
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    onSubmit(draft);
  };

  const textField = (path: 'pickupAddress' | 'dropoffAddress', label: string) => (
    <div className="field grow">
      <label htmlFor={`${id}-${path}`}>{label}</label>
      <input id={`${id}-${path}`} type="text" maxLength={500} autoComplete="off" value={draft[path]}
        onChange={(e) => set(path, e.target.value)} {...described(path)} />
      <FieldError id={`${id}-${path}-error`} message={messageFor(path)} />
    </div>
  );
  const timeField = (path: 'appointmentTime' | 'pickupTime' | 'returnPickupTime', label: string, onChange: (value: string) => void) => (
    <div className="field">
      <label htmlFor={`${id}-${path}`}>{label} ({zone})</label>
      <input id={`${id}-${path}`} type="time" value={draft[path]} onChange={(e) => onChange(e.target.value)} {...described(path)} />
      <FieldError id={`${id}-${path}-error`} message={messageFor(path)} />
    </div>
  );

  const activeFacilities = (facilities.data ?? []).filter((facility) => facility.active || facility.id === draft.facilityId);
  const riderOptions = (riders.data ?? []).filter(bookable);

  return (
    <form className="series-form" aria-label={title} noValidate onSubmit={submit}>
      {creating && (
        <fieldset>
          <legend>Who</legend>
          <div className="field-row">
            {chooseFacility && <div className="field grow">
              <label htmlFor={`${id}-facilityId`}>Facility</label>
              {facilities.isError ? <ErrorState error={facilities.error} onRetry={() => void facilities.refetch()} /> : (
                <select id={`${id}-facilityId`} value={draft.facilityId} disabled={facilities.isPending}
                  onChange={(e) => setDraft((current) => ({ ...current, facilityId: e.target.value, riderId: '' }))} {...described('facilityId')}>
                  <option value="">{facilities.isPending ? 'Loading facilities…' : 'Choose a facility'}</option>
                  {activeFacilities.map((facility) => <option key={facility.id} value={facility.id}>{facility.name}</option>)}
                </select>
              )}
              <FieldError id={`${id}-facilityId-error`} message={messageFor('facilityId')} />
            </div>}
            <div className="field grow">
              <label htmlFor={`${id}-riderId`}>Rider</label>
              <select id={`${id}-riderId`} value={draft.riderId} disabled={!draft.facilityId || riders.isPending}
                onChange={(e) => chooseRider(e.target.value)} {...described('riderId', true)}>
                <option value="">{!draft.facilityId ? 'Choose the facility first' : riders.isPending ? 'Loading riders…' : 'Choose a rider'}</option>
                {riderOptions.map((rider) => <option key={rider.id} value={rider.id}>{riderName(rider)}</option>)}
              </select>
              <p className="hint" id={`${id}-riderId-hint`}>Their home address and how they get around are filled in from their record.</p>
              {riders.isError && <ErrorState error={riders.error} onRetry={() => void riders.refetch()} />}
              {draft.facilityId && riders.data && riderOptions.length === 0 && (
                <EmptyState>This facility has no riders yet; <Link to="/riders/new">register the rider</Link> first.</EmptyState>
              )}
              <FieldError id={`${id}-riderId-error`} message={messageFor('riderId')} />
            </div>
          </div>
        </fieldset>
      )}

      <fieldset aria-describedby={messageFor('daysOfWeek') ? `${id}-daysOfWeek-error` : undefined}>
        <legend>Days of the week</legend>
        <div className="choices weekdays">
          {WEEKDAYS.map((day, index) => (
            <label key={day.iso} className="choice">
              <input type="checkbox" id={index === 0 ? `${id}-daysOfWeek` : undefined} checked={draft.daysOfWeek.includes(day.iso)}
                onChange={(e) => toggleDay(day.iso, e.target.checked)} />
              {day.long}
            </label>
          ))}
        </div>
        <FieldError id={`${id}-daysOfWeek-error`} message={messageFor('daysOfWeek')} />
      </fieldset>

      <fieldset>
        <legend>Times</legend>
        <p className="hint">The same clock time every week, winter and summer ({zone}).</p>
        <div className="field-row">
          {timeField('appointmentTime', 'Appointment time', chooseAppointment)}
          {timeField('pickupTime', 'Pickup time', (value) => { setPickupSet(true); set('pickupTime', value); })}
        </div>
      </fieldset>

      <fieldset>
        <legend>Where</legend>
        <div className="field-row">
          {textField('pickupAddress', 'Pick up from')}
          {textField('dropoffAddress', 'Going to')}
        </div>
      </fieldset>

      <NeedsFields id={id} needs={draft} onChange={(field, value) => set(field, value)} messageFor={messageFor} />

      <fieldset>
        <legend>Return ride</legend>
        <div className="choices">
          {(['timed', 'will_call', 'none'] as const).map((mode) => (
            <label key={mode} className="choice">
              <input type="radio" name={`${id}-returnMode`} value={mode} checked={draft.returnMode === mode}
                onChange={() => set('returnMode', mode)} />
              {RETURN_MODE[mode]}
            </label>
          ))}
        </div>
        {draft.returnMode === 'timed' &&
          timeField('returnPickupTime', 'Return pickup time', (value) => { setReturnSet(true); set('returnPickupTime', value); })}
        <FieldError id={`${id}-returnMode-error`} message={messageFor('returnMode')} />
      </fieldset>

      <fieldset>
        <legend>Dates</legend>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-startDate`}>First day</label>
            <input id={`${id}-startDate`} type="date" value={draft.startDate} onChange={(e) => set('startDate', e.target.value)}
              {...described('startDate')} />
            <FieldError id={`${id}-startDate-error`} message={messageFor('startDate')} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-endDate`}>Last day (optional)</label>
            <input id={`${id}-endDate`} type="date" value={draft.endDate} min={draft.startDate || undefined}
              onChange={(e) => set('endDate', e.target.value)} {...described('endDate', true)} />
            <p className="hint" id={`${id}-endDate-hint`}>Leave it empty while the treatment goes on.</p>
            <FieldError id={`${id}-endDate-error`} message={messageFor('endDate')} />
          </div>
        </div>
      </fieldset>

      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>{pending ? 'Saving…' : submitLabel}</button>
        {extraActions}
      </div>
      <FormError local={errors} error={error} />
    </form>
  );
}

/** The API's body for a new series, from the form; a facility's own people never name their facility (the API takes it from their account). */
export function createBodyOf(draft: SeriesDraft, { namingFacility }: { namingFacility: boolean }) {
  return {
    ...(namingFacility ? { facilityId: draft.facilityId } : {}),
    riderId: draft.riderId,
    daysOfWeek: draft.daysOfWeek,
    appointmentTime: draft.appointmentTime,
    pickupTime: draft.pickupTime,
    pickupAddress: draft.pickupAddress.trim(),
    dropoffAddress: draft.dropoffAddress.trim(),
    mobility: draft.mobility,
    oxygen: draft.oxygen,
    companions: draft.companions,
    returnMode: draft.returnMode,
    ...(draft.returnMode === 'timed' ? { returnPickupTime: draft.returnPickupTime } : {}),
    startDate: draft.startDate,
    ...(draft.endDate ? { endDate: draft.endDate } : {}),
    excludedDates: [],
  };
}

/** The fields of a change (PATCH): only what differs from the series as read. */
export function changesOf(draft: SeriesDraft, series: StandingOrder) {
  const before = draftOf(series, '');
  const changes: Partial<{
    daysOfWeek: number[]; appointmentTime: string; pickupTime: string; pickupAddress: string; dropoffAddress: string;
    mobility: Mobility; oxygen: boolean; companions: number; returnMode: StandingOrder['returnMode'];
    returnPickupTime: string | null; startDate: string; endDate: string | null;
  }> = {};
  if (draft.daysOfWeek.join() !== before.daysOfWeek.join()) changes.daysOfWeek = draft.daysOfWeek;
  if (draft.appointmentTime !== before.appointmentTime) changes.appointmentTime = draft.appointmentTime;
  if (draft.pickupTime !== before.pickupTime) changes.pickupTime = draft.pickupTime;
  if (draft.pickupAddress.trim() !== before.pickupAddress) changes.pickupAddress = draft.pickupAddress.trim();
  if (draft.dropoffAddress.trim() !== before.dropoffAddress) changes.dropoffAddress = draft.dropoffAddress.trim();
  if (draft.mobility !== before.mobility) changes.mobility = draft.mobility;
  if (draft.oxygen !== before.oxygen) changes.oxygen = draft.oxygen;
  if (draft.companions !== before.companions) changes.companions = draft.companions;
  if (draft.returnMode !== before.returnMode) changes.returnMode = draft.returnMode;
  const returnPickup = draft.returnMode === 'timed' ? draft.returnPickupTime : '';
  if (returnPickup !== (before.returnMode === 'timed' ? before.returnPickupTime : '')) changes.returnPickupTime = returnPickup || null;
  if (draft.startDate !== before.startDate) changes.startDate = draft.startDate;
  if (draft.endDate !== before.endDate) changes.endDate = draft.endDate || null;
  return changes;
}
