import { type FormEvent, useEffect, useId, useState } from 'react';
import type { CompletionBody, DriverLeg, Vehicle } from '../api/contract';
import { FieldError } from '../components/States';
import { useConsole } from '../context';
import { isoToZonedInput, todayInZone, zonedInputToIso, zoneName } from '../lib/time';
import { fieldWordsMessage } from '../lib/words';
import type { Tap } from './taps';

/** "13:05:09" on a day in the provider's zone → ISO (the seconds kept: taps are seconds apart). */
function timeToIso(day: string, time: string, timeZone: string): string | null {
  const minute = zonedInputToIso(day, time, timeZone);
  if (!minute) return null;
  const seconds = /^\d{2}:\d{2}:(\d{2})/.exec(time)?.[1];
  return new Date(Date.parse(minute) + Number(seconds ?? 0) * 1000).toISOString();
}

function isoToTime(iso: string, timeZone: string): string {
  const { time } = isoToZonedInput(iso, timeZone);
  const seconds = String(new Date(iso).getUTCSeconds()).padStart(2, '0');
  return `${time}:${seconds}`;
}

type Field = 'actualPickupAt' | 'actualDropoffAt' | 'odometerStart' | 'odometerEnd';

/** The server's words for the form's fields ("Must be greater than odometerStart" → "… the start reading"). */
const FIELD_WORDS: Record<Field, string> = {
  actualPickupAt: 'the pick-up time',
  actualDropoffAt: 'the drop-off time',
  odometerStart: 'the start reading',
  odometerEnd: 'the end reading',
};

function serverMessages(fieldErrors: Record<string, string> | undefined): Partial<Record<Field, string>> {
  const messages: Partial<Record<Field, string>> = {};
  for (const field of Object.keys(FIELD_WORDS) as Field[]) {
    const message = fieldErrors?.[field];
    if (message) messages[field] = fieldWordsMessage(message, FIELD_WORDS);
  }
  return messages;
}

/**
 * The ride's paperwork: the actual times, prefilled from the taps (picked up) and the moment the
 * form opened (dropped off), the odometer, prefilled with the vehicle's last reading, and notes.
 * The order of times and of readings is checked here, before anything is sent. Sending goes
 * through the phone's queue of taps (useTaps): kept on the phone, sent after the taps before it,
 * once. A completion the server refused opens the form again with its answers and the server's
 * messages at their fields.
 */
export function CompletionForm({ leg, rider, vehicle, pickedUpAt, refused, onComplete }: {
  leg: DriverLeg;
  rider: string;
  vehicle: Vehicle | undefined;
  pickedUpAt: string | undefined;
  /** The last completion of this leg the server refused, if the driver has not dismissed it. */
  refused: Tap | undefined;
  onComplete: (body: CompletionBody) => void;
}) {
  const { timeZone } = useConsole();
  const id = useId();
  const zone = zoneName(timeZone);
  const day = leg.scheduledPickupAt ? isoToZonedInput(leg.scheduledPickupAt, timeZone).date : todayInZone(timeZone);
  const before = refused?.completion;
  const [pickup, setPickup] = useState(() =>
    isoToTime(before?.actualPickupAt ?? pickedUpAt ?? leg.scheduledPickupAt ?? new Date().toISOString(), timeZone));
  const [dropoff, setDropoff] = useState(() => isoToTime(before?.actualDropoffAt ?? new Date().toISOString(), timeZone));
  const [odometerStart, setOdometerStart] = useState(before ? String(before.odometerStart) : '');
  const [odometerEnd, setOdometerEnd] = useState(before ? String(before.odometerEnd) : '');
  const [notes, setNotes] = useState(before?.notes ?? '');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  // The server's messages for the refused answers, until the field is changed.
  const [serverErrors, setServerErrors] = useState<Partial<Record<Field, string>>>(() => serverMessages(refused?.fieldErrors));
  // The vehicle may arrive after the form opened: its last reading fills a start still left empty.
  const lastReading = vehicle?.odometer;
  useEffect(() => {
    if (lastReading != null) setOdometerStart((typed) => (typed === '' ? String(lastReading) : typed));
  }, [lastReading]);

  // A message stays until its field is changed: the driver sees what they are fixing, not an old verdict.
  const edit = (field: Field, set: (value: string) => void, value: string) => {
    set(value);
    setErrors(({ [field]: _fixed, ...rest }) => rest);
    setServerErrors(({ [field]: _fixed, ...rest }) => rest);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Record<Field, string>> = {};
    const actualPickupAt = timeToIso(day, pickup, timeZone);
    const actualDropoffAt = timeToIso(day, dropoff, timeZone);
    const start = Number(odometerStart);
    const end = Number(odometerEnd);
    if (!actualPickupAt) found.actualPickupAt = 'Enter the time you picked the rider up.';
    if (!actualDropoffAt) found.actualDropoffAt = 'Enter the time you dropped the rider off.';
    if (actualPickupAt && actualDropoffAt && actualDropoffAt <= actualPickupAt) {
      found.actualDropoffAt = 'The drop-off must be after the pick-up.';
    }
    if (odometerStart.trim() === '' || !Number.isFinite(start) || start < 0) found.odometerStart = 'Enter the odometer reading at the start.';
    if (odometerEnd.trim() === '' || !Number.isFinite(end) || end < 0) found.odometerEnd = 'Enter the odometer reading at the end.';
    else if (!found.odometerStart && end <= start) found.odometerEnd = 'The end reading must be more than the start reading.';
    setErrors(found);
    if (Object.keys(found).length > 0 || !actualPickupAt || !actualDropoffAt) return;
    onComplete({ actualPickupAt, actualDropoffAt, odometerStart: start, odometerEnd: end, ...(notes.trim() ? { notes: notes.trim() } : {}) });
  };

  const message = (field: Field) => errors[field] ?? serverErrors[field];
  const fieldProps = (field: Field) => {
    const text = message(field);
    return { 'aria-invalid': text ? true : undefined, 'aria-describedby': text ? `${id}-${field}-error` : undefined } as const;
  };

  return (
    <form className="completion" aria-label={`Complete the ride for ${rider}`} onSubmit={submit} noValidate>
      <h3>Complete the ride</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-actualPickupAt`}>Picked up at ({zone})</label>
          <input id={`${id}-actualPickupAt`} type="time" step={1} value={pickup} onChange={(event) => edit('actualPickupAt', setPickup, event.target.value)}
            {...fieldProps('actualPickupAt')} />
          <FieldError id={`${id}-actualPickupAt-error`} message={message('actualPickupAt')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-actualDropoffAt`}>Dropped off at ({zone})</label>
          <input id={`${id}-actualDropoffAt`} type="time" step={1} value={dropoff} onChange={(event) => edit('actualDropoffAt', setDropoff, event.target.value)}
            {...fieldProps('actualDropoffAt')} />
          <FieldError id={`${id}-actualDropoffAt-error`} message={message('actualDropoffAt')} />
        </div>
      </div>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-odometerStart`}>Odometer at start</label>
          <input id={`${id}-odometerStart`} inputMode="decimal" value={odometerStart}
            onChange={(event) => edit('odometerStart', setOdometerStart, event.target.value)} {...fieldProps('odometerStart')} />
          <FieldError id={`${id}-odometerStart-error`} message={message('odometerStart')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-odometerEnd`}>Odometer at end</label>
          <input id={`${id}-odometerEnd`} inputMode="decimal" value={odometerEnd}
            onChange={(event) => edit('odometerEnd', setOdometerEnd, event.target.value)} {...fieldProps('odometerEnd')} />
          <FieldError id={`${id}-odometerEnd-error`} message={message('odometerEnd')} />
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-notes`}>Notes (optional)</label>
        <textarea id={`${id}-notes`} rows={2} maxLength={2000} value={notes} onChange={(event) => setNotes(event.target.value)} />
      </div>
      {refused && <p className="action-error">Not recorded: {refused.refusal} Correct it and complete the ride again.</p>}
      <button type="submit" className="primary big">Complete the ride</button>
    </form>
  );
}
