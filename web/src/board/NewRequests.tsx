import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type RefObject, useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { data, ifMatch } from '../api/client';
import type { RiderDuplicate, TripRequest } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { ActionError, EmptyState, ErrorState, FieldError, LoadingState } from '../components/States';
import { RejectWithReason } from '../components/RejectWithReason';
import { Status } from '../components/Status';
import { useConsole } from '../context';
import { addMinutes, formatDate, formatDateTime, isoToZonedInput, zonedInputToIso, zoneName } from '../lib/time';
import { formatPhone, returnText, SOURCE, serviceText } from '../lib/words';
import { keys, POLL_MS, useNewIds } from './queries';


/** Outbound times prefilled from the appointment: pickup 45 minutes before, drop-off 15 before. */
const PICKUP_BEFORE_MIN = 45;
const DROPOFF_BEFORE_MIN = 15;
const RETURN_RIDE_MIN = 45;

export function NewRequests({ sectionRef, announce, onScheduled }: {
  sectionRef: RefObject<HTMLElement | null>;
  announce: (message: string) => void;
  onScheduled: (date: string) => void;
}) {
  const { api } = useConsole();
  const requests = useQuery({
    queryKey: keys.requests,
    refetchInterval: POLL_MS,
    queryFn: () =>
      data(api.GET('/v1/trip-requests', {
        params: { query: { status: 'requested', order: 'oldest', include: 'rider', limit: 100 } },
      })),
  });
  const items = requests.data?.items;
  const fresh = useNewIds(items?.map((item) => item.id));
  useEffect(() => {
    if (fresh.size > 0) announce(`${fresh.size} new ${fresh.size === 1 ? 'request' : 'requests'} waiting.`);
  }, [fresh, announce]);

  return (
    <section className="pane" aria-labelledby="new-requests" ref={sectionRef}>
      <h2 id="new-requests" tabIndex={-1}>
        New requests {items && <span className="count">{items.length}{requests.data?.nextCursor ? '+' : ''}</span>}
      </h2>
      {requests.isPending && <LoadingState label="Loading new requests" />}
      {requests.isError && <ErrorState error={requests.error} onRetry={() => void requests.refetch()} />}
      {items && items.length === 0 && <EmptyState>No requests waiting. New ones appear here on their own.</EmptyState>}
      {items && items.length > 0 && (
        <ul className="request-list">
          {items.map((item) => (
            <RequestItem key={item.id} trip={item} isNew={fresh.has(item.id)} announce={announce} onScheduled={onScheduled} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RequestItem({ trip, isNew, announce, onScheduled }: {
  trip: TripRequest;
  isNew: boolean;
  announce: (message: string) => void;
  onScheduled: (date: string) => void;
}) {
  const { timeZone } = useConsole();
  const [open, setOpen] = useState(false);
  const detailId = useId();
  const name = trip.rider?.fullName ?? 'Rider';
  return (
    <li className={`request${isNew ? ' is-new' : ''}`}>
      <div className="request-summary">
        <div>
          <p className="request-title" id={`${detailId}-title`}>
            <span className="ref">{trip.referenceCode}</span> {name}
            {isNew && <span className="new-tag">new</span>}
          </p>
          <p className="meta">
            Appointment <span className="nowrap">{formatDateTime(trip.appointmentAt, timeZone)} ·</span>{' '}
            <span className="nowrap">{serviceText(trip)} ·</span> <span className="nowrap">{SOURCE[trip.source]}</span>
          </p>
        </div>
        <button type="button" aria-expanded={open} aria-controls={detailId} aria-describedby={`${detailId}-title`}
          onClick={() => setOpen((o) => !o)}>
          {open ? 'Close' : 'Open'}
        </button>
      </div>
      {open && (
        <div id={detailId} className="request-detail">
          <RequestFacts trip={trip} />
          <Duplicates trip={trip} announce={announce} />
          <ScheduleForm trip={trip} announce={announce} onScheduled={onScheduled} />
          <RejectForm trip={trip} announce={announce} />
        </div>
      )}
    </li>
  );
}

function RequestFacts({ trip }: { trip: TripRequest }) {
  const { timeZone } = useConsole();
  return (
    <dl className="facts">
      <div><dt>Rider</dt><dd>{trip.rider?.fullName ?? '—'}{trip.rider?.phone && <>, <span className="nowrap">{formatPhone(trip.rider.phone)}</span></>}</dd></div>
      <div><dt>Needs</dt><dd>{serviceText(trip)}</dd></div>
      <div><dt>Pickup</dt><dd>{trip.pickupAddress}</dd></div>
      <div><dt>Drop-off</dt><dd>{trip.dropoffAddress}</dd></div>
      <div><dt>Appointment</dt><dd>{formatDateTime(trip.appointmentAt, timeZone)}</dd></div>
      {trip.requestedPickupAt && (
        <div><dt>Asked pickup</dt><dd>{formatDateTime(trip.requestedPickupAt, timeZone)}</dd></div>
      )}
      <div><dt>Return</dt><dd>{returnText(trip, timeZone)}</dd></div>
      {trip.clinicalNotes && <div><dt>Notes</dt><dd>{trip.clinicalNotes}</dd></div>}
      <div><dt>Status</dt><dd><Status status={trip.status} /> · <Link to={`/trips/${trip.id}`}>Trip details</Link></dd></div>
    </dl>
  );
}

/** `datetime-local` value in the provider's zone, and back. */
function toInput(iso: string, timeZone: string): string {
  const { date, time } = isoToZonedInput(iso, timeZone);
  return `${date}T${time}`;
}
function fromInput(value: string, timeZone: string): string | null {
  const [date = '', time = ''] = value.split('T');
  return zonedInputToIso(date, time, timeZone);
}

type ReturnChoice = 'timed' | 'will_call' | 'none';

function ScheduleForm({ trip, announce, onScheduled }: {
  trip: TripRequest;
  announce: (message: string) => void;
  onScheduled: (date: string) => void;
}) {
  const { api, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const id = useId();
  const zone = zoneName(timeZone, trip.appointmentAt);
  const pickupDefault = trip.requestedPickupAt ?? addMinutes(trip.appointmentAt, -PICKUP_BEFORE_MIN);
  const returnDefault = trip.requestedReturnAt ?? addMinutes(trip.appointmentAt, 60);
  const [pickup, setPickup] = useState(() => toInput(pickupDefault, timeZone));
  const [dropoff, setDropoff] = useState(() => toInput(addMinutes(trip.appointmentAt, -DROPOFF_BEFORE_MIN), timeZone));
  const [returnChoice, setReturnChoice] = useState<ReturnChoice>(
    trip.returnTrip === 'scheduled' ? 'timed' : trip.returnTrip === 'will_call' ? 'will_call' : 'none',
  );
  const [returnPickup, setReturnPickup] = useState(() => toInput(returnDefault, timeZone));
  const [returnDropoff, setReturnDropoff] = useState(() => toInput(addMinutes(returnDefault, RETURN_RIDE_MIN), timeZone));
  const [localError, setLocalError] = useState<Record<string, string>>({});

  const schedule = useMutation({
    mutationFn: (body: { outbound: { pickupAt: string; dropoffAt: string }; return?: { pickupAt: string; dropoffAt: string } | { willCall: true } }) =>
      data(api.POST('/v1/trip-requests/{tripRequestId}/schedule', {
        params: { path: { tripRequestId: trip.id }, header: ifMatch(trip.version) },
        body,
      })),
    onSuccess: (updated, body) => {
      announce(`Scheduled ${updated.referenceCode} for ${formatDate(body.outbound.pickupAt, timeZone)}.`);
      onScheduled(isoToZonedInput(body.outbound.pickupAt, timeZone).date);
      void queryClient.invalidateQueries({ queryKey: keys.requests });
      void queryClient.invalidateQueries({ queryKey: ['legs'] });
    },
    onError: (error) => {
      if (error instanceof ApiProblem && error.status === 412) void queryClient.invalidateQueries({ queryKey: keys.requests });
    },
  });

  const problem = schedule.error instanceof ApiProblem ? schedule.error : undefined;
  const fieldError = (path: string) => localError[path] ?? problem?.field(path);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const outboundPickup = fromInput(pickup, timeZone);
    const outboundDropoff = fromInput(dropoff, timeZone);
    if (!outboundPickup) errors['outbound.pickupAt'] = 'Enter the pickup date and time.';
    if (!outboundDropoff) errors['outbound.dropoffAt'] = 'Enter the drop-off date and time.';
    let returnLeg: { pickupAt: string; dropoffAt: string } | { willCall: true } | undefined;
    if (returnChoice === 'will_call') returnLeg = { willCall: true };
    if (returnChoice === 'timed') {
      const rp = fromInput(returnPickup, timeZone);
      const rd = fromInput(returnDropoff, timeZone);
      if (!rp) errors['return.pickupAt'] = 'Enter the return pickup date and time.';
      if (!rd) errors['return.dropoffAt'] = 'Enter the return drop-off date and time.';
      if (rp && rd) returnLeg = { pickupAt: rp, dropoffAt: rd };
    }
    setLocalError(errors);
    if (Object.keys(errors).length > 0 || !outboundPickup || !outboundDropoff) return;
    schedule.mutate({ outbound: { pickupAt: outboundPickup, dropoffAt: outboundDropoff }, ...(returnLeg ? { return: returnLeg } : {}) });
  };

  const timeField = (path: string, label: string, value: string, set: (v: string) => void) => {
    const fieldId = `${id}-${path}`;
    const error = fieldError(path);
    return (
      <div className="field">
        <label htmlFor={fieldId}>{label} ({zone})</label>
        <input id={fieldId} type="datetime-local" value={value} required onChange={(e) => set(e.target.value)}
          aria-invalid={error ? true : undefined} aria-describedby={error ? `${fieldId}-error` : undefined} />
        <FieldError id={`${fieldId}-error`} message={error} />
      </div>
    );
  };

  return (
    <form className="schedule-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Schedule {trip.referenceCode}</h3>
      <fieldset>
        <legend>Outbound ride</legend>
        <p className="hint">Prefilled: pickup {PICKUP_BEFORE_MIN} min and drop-off {DROPOFF_BEFORE_MIN} min before the appointment.</p>
        <div className="field-row">
          {timeField('outbound.pickupAt', 'Pickup', pickup, setPickup)}
          {timeField('outbound.dropoffAt', 'Drop-off', dropoff, setDropoff)}
        </div>
      </fieldset>
      <fieldset>
        <legend>Return ride</legend>
        <div className="choices">
          {(['timed', 'will_call', 'none'] as const).map((choice) => (
            <label key={choice} className="choice">
              <input type="radio" name={`${id}-return`} value={choice} checked={returnChoice === choice}
                onChange={() => setReturnChoice(choice)} />
              {choice === 'timed' ? 'At a set time' : choice === 'will_call' ? 'Will-call (they phone when ready)' : 'No return'}
            </label>
          ))}
        </div>
        {returnChoice === 'timed' && (
          <div className="field-row">
            {timeField('return.pickupAt', 'Return pickup', returnPickup, setReturnPickup)}
            {timeField('return.dropoffAt', 'Return drop-off', returnDropoff, setReturnDropoff)}
          </div>
        )}
        <FieldError id={`${id}-return-error`} message={problem?.field('return')} />
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={schedule.isPending}>
          {schedule.isPending ? 'Scheduling…' : 'Schedule'}
        </button>
      </div>
      <ActionError error={schedule.error} />
    </form>
  );
}

function RejectForm({ trip, announce }: { trip: TripRequest; announce: (message: string) => void }) {
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const reject = useMutation({
    mutationFn: (reason: string) =>
      data(api.POST('/v1/trip-requests/{tripRequestId}/reject', {
        params: { path: { tripRequestId: trip.id }, header: ifMatch(trip.version) },
        body: { reason },
      })),
    onSuccess: (updated) => {
      announce(`Rejected ${updated.referenceCode}.`);
      void queryClient.invalidateQueries({ queryKey: keys.requests });
    },
  });
  return <RejectWithReason what={trip.referenceCode} toldWho="the requester" pending={reject.isPending} error={reject.error}
    send={(reason) => reject.mutate(reason)} />;
}

/** GET /v1/riders/{riderId}/duplicates: other riders with the same phone, to merge this intake's rider into. */
function Duplicates({ trip, announce }: { trip: TripRequest; announce: (message: string) => void }) {
  const { api, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const duplicates = useQuery({
    queryKey: ['duplicates', trip.riderId],
    queryFn: () => data(api.GET('/v1/riders/{riderId}/duplicates', { params: { path: { riderId: trip.riderId } } })),
  });
  const [confirming, setConfirming] = useState<string | null>(null);
  const merge = useMutation({
    mutationFn: async (into: RiderDuplicate) => {
      const rider = await data(api.GET('/v1/riders/{riderId}', { params: { path: { riderId: trip.riderId } } }));
      return data(api.POST('/v1/riders/{riderId}/merge', {
        params: { path: { riderId: trip.riderId }, header: ifMatch(rider.version) },
        body: { intoRiderId: into.id },
      }));
    },
    onSuccess: () => {
      setConfirming(null);
      announce('Rider merged.');
      void queryClient.invalidateQueries({ queryKey: ['duplicates', trip.riderId] });
    },
  });
  if (duplicates.isPending) return <LoadingState label="Looking for duplicate riders" />;
  if (duplicates.isError) return <ErrorState error={duplicates.error} onRetry={() => void duplicates.refetch()} />;
  const items = duplicates.data.items;
  if (items.length === 0) return <p className="hint">No other rider has this phone number.</p>;
  return (
    <div className="duplicates">
      <h3>Possible duplicates</h3>
      <p className="hint">Other riders with the same phone number. Merging links this request’s rider to that record; it cannot be undone.</p>
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            <span id={`dup-${item.id}`}>Rider since {formatDate(item.createdAt, timeZone)}, {item.tripCount} {item.tripCount === 1 ? 'trip' : 'trips'}</span>
            {confirming === item.id ? (
              <span className="confirm">
                <button type="button" className="danger" disabled={merge.isPending} onClick={() => merge.mutate(item)}>Yes, merge</button>
                <button type="button" onClick={() => setConfirming(null)}>Cancel</button>
              </span>
            ) : (
              <button type="button" aria-describedby={`dup-${item.id}`} onClick={() => setConfirming(item.id)}>Merge</button>
            )}
          </li>
        ))}
      </ul>
      <ActionError error={merge.error} />
    </div>
  );
}
