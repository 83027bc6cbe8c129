import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { data, ifMatch } from '../api/client';
import type { LeftAlone, Occurrence, StandingOrder } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { RejectWithReason } from '../components/RejectWithReason';
import { ActionError, FieldError } from '../components/States';
import { useConsole } from '../context';
import { formatCalendarDate, formatWallClock, genericZoneName } from '../lib/time';
import { fieldWordsMessage, leftAloneText, SERIES_FIELD_WORDS } from '../lib/words';
import { seriesKeys } from './queries';

/**
 * What can be done to a series: accept (times may be adjusted) or reject a pending one (the
 * Dispatcher only); pause, resume, skip a date or end one (the Dispatcher, and the facility's own
 * people for their series). Each answer refreshes the series, its preview
 * and the board's legs (a change makes, moves or cancels trips); what a change left alone is said
 * in sentences (ChangeReport).
 */
export interface SeriesActionProps {
  series: StandingOrder;
  /** Who the series is for, for sentences ("Accepted Alex Johnson's standing order."). */
  riderName: string;
  announce: (message: string) => void;
}

function useRefreshAfterChange() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: seriesKeys.all });
    void queryClient.invalidateQueries({ queryKey: ['legs'] });
  };
}

/** A time input's value ("07:00") from the API's "07:00" or "07:00:00". */
const asInput = (time: string | null | undefined) => (time ?? '').slice(0, 5);

export function AcceptForm({ series, riderName, announce }: SeriesActionProps) {
  const { api, timeZone } = useConsole();
  const refresh = useRefreshAfterChange();
  const id = useId();
  const zone = genericZoneName(timeZone);
  const [pickupTime, setPickupTime] = useState(asInput(series.pickupTime));
  const [appointmentTime, setAppointmentTime] = useState(asInput(series.appointmentTime));
  const [returnPickupTime, setReturnPickupTime] = useState(asInput(series.returnPickupTime));
  const accept = useMutation({
    mutationFn: () => {
      // Only what the Dispatcher changed: an unchanged time is the one the facility asked for.
      const adjustments = {
        ...(pickupTime !== asInput(series.pickupTime) ? { pickupTime } : {}),
        ...(appointmentTime !== asInput(series.appointmentTime) ? { appointmentTime } : {}),
        ...(series.returnMode === 'timed' && returnPickupTime !== asInput(series.returnPickupTime) ? { returnPickupTime } : {}),
      };
      return data(api.POST('/v1/standing-orders/{standingOrderId}/accept', {
        params: { path: { standingOrderId: series.id }, header: ifMatch(series.version) },
        body: adjustments,
      }));
    },
    onSuccess: () => {
      announce(`Accepted the standing order for ${riderName}. Its trips are on the board.`);
      refresh();
    },
    onError: (error) => {
      if (error instanceof ApiProblem && error.status === 412) refresh();
    },
  });
  const problem = accept.error instanceof ApiProblem ? accept.error : undefined;
  const timeField = (path: string, label: string, value: string, set: (v: string) => void) => {
    const fieldId = `${id}-${path}`;
    const message = problem?.field(path);
    const error = message && fieldWordsMessage(message, SERIES_FIELD_WORDS);
    return (
      <div className="field">
        <label htmlFor={fieldId}>{label} ({zone})</label>
        <input id={fieldId} type="time" value={value} required onChange={(e) => set(e.target.value)}
          aria-invalid={error ? true : undefined} aria-describedby={error ? `${fieldId}-error` : undefined} />
        <FieldError id={`${fieldId}-error`} message={error} />
      </div>
    );
  };
  return (
    <form className="accept-form" aria-label={`Accept the standing order for ${riderName}`} noValidate
      onSubmit={(event: FormEvent) => { event.preventDefault(); accept.mutate(); }}>
      <fieldset>
        <legend>Accept</legend>
        <p className="hint">The times are the ones asked for; change one only if the ride cannot be made at it.</p>
        <div className="field-row">
          {timeField('pickupTime', 'Pickup', pickupTime, setPickupTime)}
          {timeField('appointmentTime', 'Appointment', appointmentTime, setAppointmentTime)}
          {series.returnMode === 'timed' && timeField('returnPickupTime', 'Return pickup', returnPickupTime, setReturnPickupTime)}
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={accept.isPending}>{accept.isPending ? 'Accepting…' : 'Accept'}</button>
        </div>
        <ActionError error={accept.error} />
      </fieldset>
    </form>
  );
}

export function RejectSeriesForm({ series, riderName, announce }: SeriesActionProps) {
  const { api } = useConsole();
  const refresh = useRefreshAfterChange();
  const reject = useMutation({
    mutationFn: (reason: string) =>
      data(api.POST('/v1/standing-orders/{standingOrderId}/reject', {
        params: { path: { standingOrderId: series.id }, header: ifMatch(series.version) },
        body: { reason },
      })),
    onSuccess: () => {
      announce(`Rejected the standing order for ${riderName}.`);
      refresh();
    },
  });
  return <RejectWithReason what={`the standing order for ${riderName}`} toldWho="the facility" pending={reject.isPending}
    error={reject.error} send={(reason) => reject.mutate(reason)} />;
}

/**
 * The sentences after a change: what it did, and each occurrence it left as it was, and why. It is
 * the page's status message (read out once), so the actions that report here do not announce too.
 */
export interface ChangeOutcome {
  done: string;
  leftAlone: readonly LeftAlone[];
}

/** The actions whose result is said by the page's ChangeReport. */
export type ReportingProps = Omit<SeriesActionProps, 'announce'> & { onOutcome: (outcome: ChangeOutcome) => void };

export function ChangeReport({ outcome }: { outcome: ChangeOutcome | null }) {
  // The live region is always there, so that a screen reader reads what appears in it.
  return (
    <div className={outcome ? 'change-report' : undefined} role="status">
      {outcome && <p>{outcome.done}</p>}
      {outcome && outcome.leftAlone.length > 0 && (
        <>
          <p>
            {outcome.leftAlone.length === 1 ? 'One ride was left as it was:' : `${outcome.leftAlone.length} rides were left as they were:`}
          </p>
          <ul>
            {outcome.leftAlone.map((item) => (
              <li key={`${item.occurrenceDate}-${item.tripId}`}>
                {leftAloneText(item)} <Link to={`/trips/${item.tripId}`}>The trip of {formatCalendarDate(item.occurrenceDate)}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** Pause (untouched future rides are cancelled) or resume (they are made again). */
export function PauseResume({ series, riderName, onOutcome }: ReportingProps) {
  const { api } = useConsole();
  const refresh = useRefreshAfterChange();
  const pausing = series.status === 'active';
  const change = useMutation({
    mutationFn: () => {
      const options = { params: { path: { standingOrderId: series.id }, header: ifMatch(series.version) }, body: {} };
      return data(pausing
        ? api.POST('/v1/standing-orders/{standingOrderId}/pause', options)
        : api.POST('/v1/standing-orders/{standingOrderId}/resume', options));
    },
    onSuccess: (answer) => {
      const done = pausing
        ? `Paused. Its rides that nobody had touched are cancelled; ${riderName} is told once.`
        : 'Resumed. Its rides for the coming days are booked again.';
      onOutcome({ done, leftAlone: leftAloneOf(answer) });
      refresh();
    },
  });
  return (
    <div className="series-action">
      <button type="button" disabled={change.isPending} onClick={() => change.mutate()}>
        {pausing ? 'Pause' : 'Resume'}
      </button>
      <p className="hint">
        {pausing ? 'Stops the rides until you resume; rides already assigned or started stay.' : 'Makes the rides for the coming days again.'}
      </p>
      <ActionError error={change.error} />
    </div>
  );
}

/** Skip one upcoming date: its trip is cancelled (the rider told) and the date never comes back. */
export function SkipForm({ series, riderName, occurrences, onOutcome }: ReportingProps & { occurrences: readonly Occurrence[] }) {
  const { api, timeZone } = useConsole();
  const refresh = useRefreshAfterChange();
  const id = useId();
  const [date, setDate] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [missing, setMissing] = useState(false);
  const skip = useMutation({
    mutationFn: (skipped: string) =>
      data(api.POST('/v1/standing-orders/{standingOrderId}/skips', {
        params: { path: { standingOrderId: series.id }, header: ifMatch(series.version) },
        body: { date: skipped },
      })),
    onSuccess: (answer, skipped) => {
      const done = `${formatCalendarDate(skipped)} skipped: its ride is cancelled and ${riderName} is told.`;
      onOutcome({ done, leftAlone: leftAloneOf(answer) });
      setConfirming(false);
      setDate('');
      refresh();
    },
  });
  const problem = skip.error instanceof ApiProblem ? skip.error : undefined;
  const error = missing ? 'Choose the date to skip.' : problem?.field('date');
  const choice = occurrences.find((occurrence) => occurrence.date === date);
  return (
    <form className="series-action" noValidate onSubmit={(event) => {
      event.preventDefault();
      if (!date) { setMissing(true); return; }
      setMissing(false);
      setConfirming(true);
    }}>
      <div className="field">
        <label htmlFor={`${id}-date`}>Date to skip</label>
        <select id={`${id}-date`} value={date} onChange={(e) => { setDate(e.target.value); setConfirming(false); }}
          aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-date-error` : `${id}-date-hint`}>
          <option value="">Choose an upcoming ride</option>
          {occurrences.map((occurrence) => (
            <option key={occurrence.date} value={occurrence.date}>
              {formatCalendarDate(occurrence.date)}, pickup {formatWallClock(series.pickupTime)} {genericZoneName(timeZone)}
            </option>
          ))}
        </select>
        <p className="hint" id={`${id}-date-hint`}>Only the series’ upcoming rides can be skipped, for a holiday or a missed session.</p>
        <FieldError id={`${id}-date-error`} message={error} />
      </div>
      {!confirming && <div className="actions"><button type="submit">Skip this date</button></div>}
      {confirming && choice && (
        <div className="confirm">
          <p>Skip {formatCalendarDate(choice.date)}? Its ride is cancelled and {riderName} is told.</p>
          <button type="button" className="danger" disabled={skip.isPending} onClick={() => skip.mutate(choice.date)}>Yes, skip it</button>
          <button type="button" onClick={() => setConfirming(false)}>Keep the ride</button>
        </div>
      )}
      <ActionError error={skip.error} />
    </form>
  );
}

/** End the series for good: untouched future rides are cancelled; it cannot be undone. */
export function EndSeries({ series, riderName, onOutcome }: ReportingProps) {
  const { api } = useConsole();
  const refresh = useRefreshAfterChange();
  const [confirming, setConfirming] = useState(false);
  const end = useMutation({
    mutationFn: () =>
      data(api.POST('/v1/standing-orders/{standingOrderId}/end', {
        params: { path: { standingOrderId: series.id }, header: ifMatch(series.version) },
        body: {},
      })),
    onSuccess: (answer) => {
      const done = `Ended. Its rides that nobody had touched are cancelled; ${riderName} is told once.`;
      onOutcome({ done, leftAlone: leftAloneOf(answer) });
      setConfirming(false);
      refresh();
    },
  });
  return (
    <div className="series-action">
      {!confirming && (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>End the series</button>
      )}
      {confirming && (
        <div className="confirm">
          <p>End the standing order for {riderName}? No more rides are made; this cannot be undone.</p>
          <button type="button" className="danger" disabled={end.isPending} onClick={() => end.mutate()}>Yes, end it</button>
          <button type="button" onClick={() => setConfirming(false)}>Keep it</button>
        </div>
      )}
      <ActionError error={end.error} />
    </div>
  );
}

/**
 * The occurrences an answer reports as left alone (pause, end and a change report them; the others
 * touch none). A skipped day's trip was cancelled by the series itself: not news, so not repeated.
 */
export function leftAloneOf(answer: StandingOrder | (StandingOrder & { leftAlone: LeftAlone[] })): LeftAlone[] {
  if (!('leftAlone' in answer)) return [];
  const skipped = new Set(answer.excludedDates);
  return answer.leftAlone.filter((item) => !(item.reason === 'cancelled' && skipped.has(item.occurrenceDate)));
}
