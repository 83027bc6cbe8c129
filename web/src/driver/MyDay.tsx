import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useId, useRef, useState } from 'react';
import { allPages, data } from '../api/client';
import type { DriverLeg, LegStatus, Schemas, Vehicle } from '../api/contract';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { formatCalendarDate, formatClock, formatTime, todayInZone, zoneName } from '../lib/time';
import { capitalise, formatPhone, serviceText, vehicleText } from '../lib/words';
import { CompletionForm } from './CompletionForm';
import { type Tap, tapStatus } from './taps';
import { useOnline, useTaps } from './useTaps';
import './driver.css';

/** GET /v1/legs answers a shape per role; a Driver's has the rider's name and phone. */
function driverLegs(items: readonly Schemas['Leg'][]): DriverLeg[] {
  return items.filter((leg): leg is DriverLeg => 'riderName' in leg);
}

/** By pickup time; will-call legs (no time yet) last. */
function byPickup(a: DriverLeg, b: DriverLeg): number {
  if (a.scheduledPickupAt === b.scheduledPickupAt) return 0;
  if (a.scheduledPickupAt === null) return 1;
  if (b.scheduledPickupAt === null) return -1;
  return a.scheduledPickupAt < b.scheduledPickupAt ? -1 : 1;
}

const FINISHED: readonly LegStatus[] = ['completed', 'no_show', 'cancelled'];

export default function MyDay() {
  const { api, me, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const day = todayInZone(timeZone);
  const legsKey = ['driver-legs', day];
  const legs = useQuery({
    queryKey: legsKey,
    queryFn: async () => driverLegs(await allPages((cursor) =>
      data(api.GET('/v1/legs', { params: { query: { date: day, limit: 500, ...(cursor ? { cursor } : {}) } } })))),
    refetchInterval: 60_000,
  });
  const recorded = useCallback((leg: Schemas['Leg']) => {
    const [fresh] = driverLegs([leg]);
    if (!fresh) return;
    queryClient.setQueryData<DriverLeg[]>(['driver-legs', day], (current) => current?.map((old) => (old.id === fresh.id ? fresh : old)));
    // A completion moves the vehicle's odometer: the next form starts from the new reading.
    if (fresh.status === 'completed' && fresh.vehicleId) void queryClient.invalidateQueries({ queryKey: ['vehicle', fresh.vehicleId] });
  }, [queryClient, day]);
  // A refusal usually means the leg changed under the driver (reassigned, cancelled): show it as it is now.
  const reread = useCallback(() => void queryClient.invalidateQueries({ queryKey: ['driver-legs'] }), [queryClient]);
  const { taps, sending, storageProblem, tap, complete, dismiss } = useTaps(api, me.sub, recorded, reread);
  const online = useOnline();

  const vehicleIds = [...new Set((legs.data ?? []).map((leg) => leg.vehicleId).filter((id): id is string => id !== null))];
  const vehicles = useQueries({
    queries: vehicleIds.map((vehicleId) => ({
      queryKey: ['vehicle', vehicleId],
      queryFn: () => data(api.GET('/v1/vehicles/{vehicleId}', { params: { path: { vehicleId } } })),
    })),
  });
  const vehicleById = new Map(vehicles.flatMap((query) => (query.data ? [[query.data.id, query.data] as const] : [])));
  const pending = taps.filter((candidate) => candidate.state === 'pending');
  const refused = taps.filter((candidate) => candidate.state === 'refused');
  // A refused tap's leg may have left the list (reassigned): its rider is still named, from memory only.
  const seenRiders = useRef(new Map<string, string>());
  for (const leg of legs.data ?? []) if (leg.riderName) seenRiders.current.set(leg.id, leg.riderName);
  const riderOf = (legId: string) => seenRiders.current.get(legId) ?? 'a rider';
  const onlyVehicle = vehicleIds.length === 1 ? vehicleById.get(vehicleIds[0] as string) : undefined;

  return (
    <section className="page driver-day" aria-labelledby="my-day">
      <h1 id="my-day">My day</h1>
      <p className="meta">
        {formatCalendarDate(day)} · times in {zoneName(timeZone)}
        {onlyVehicle && <> · <span>Your vehicle: <strong>{vehicleText(onlyVehicle)}</strong>, plate {onlyVehicle.plate}</span></>}
      </p>
      <p className={`connection ${online ? 'online' : 'offline'}`} role="status" data-pending={pending.length}>
        {connectionText(online, sending, pending)}
      </p>
      {storageProblem && <p className="action-error" role="alert">{storageProblem}</p>}
      {refused.length > 0 && (
        <ul className="refusals" aria-label="Taps not recorded">
          {refused.map((item) => (
            <li key={item.key} className="refusal">
              <p role="alert">
                <strong>Not recorded: {tapWhat(item)} for {riderOf(item.legId)}</strong>, {item.completion ? 'sent' : 'tapped'} at{' '}
                {formatTime(item.tappedAt, timeZone)}. {item.refusal} Call dispatch if this is not what you expect.
              </p>
              <button type="button" onClick={() => void dismiss(item.key)}>Dismiss</button>
            </li>
          ))}
        </ul>
      )}
      {legs.isPending && <LoadingState label="Loading your legs" />}
      {legs.isError && !legs.data && <ErrorState error={legs.error} onRetry={() => void legs.refetch()} />}
      {legs.data && legs.data.length === 0 && <EmptyState>No legs assigned to you today. Dispatch will add them here.</EmptyState>}
      {legs.data && legs.data.length > 0 && (
        <ol className="driver-legs">
          {nextFirst(legs.data, taps).map((leg) => (
            <LegCard key={leg.id} leg={leg} vehicle={leg.vehicleId ? vehicleById.get(leg.vehicleId) : undefined}
              taps={taps.filter((item) => item.legId === leg.id)} onTap={tap} onComplete={complete} />
          ))}
        </ol>
      )}
    </section>
  );
}

/** The legs still to drive in pickup order, then the ones done with (completed, no-show, cancelled). */
function nextFirst(legs: readonly DriverLeg[], taps: readonly Tap[]): DriverLeg[] {
  const sorted = [...legs].sort(byPickup);
  const finished = (leg: DriverLeg) => FINISHED.includes(effectiveStatus(leg, taps.filter((item) => item.legId === leg.id)));
  return [...sorted.filter((leg) => !finished(leg)), ...sorted.filter(finished)];
}

/** "2 taps", "1 completion", "1 tap and 1 completion". */
function waitingText(waiting: readonly Tap[]): string {
  const completions = waiting.filter((item) => item.completion).length;
  const statuses = waiting.length - completions;
  const parts = [
    statuses > 0 || completions === 0 ? `${statuses} ${statuses === 1 ? 'tap' : 'taps'}` : '',
    completions > 0 ? `${completions} ${completions === 1 ? 'completion' : 'completions'}` : '',
  ].filter(Boolean);
  return parts.join(' and ');
}

function connectionText(online: boolean, sending: boolean, waiting: readonly Tap[]): string {
  const what = waitingText(waiting);
  if (!online) {
    return waiting.length > 0 ? `No signal: ${what} saved on this phone, sent when the signal returns.` : 'No signal: taps are saved on this phone and sent later.';
  }
  if (waiting.length > 0) return sending ? `Sending ${what}…` : `${what} waiting to send; trying again shortly.`;
  return 'Online: every tap is sent.';
}

/** "en route", or "the completion": what a refused tap was. */
function tapWhat(tap: Tap): string {
  return tap.completion ? 'the completion' : statusWord(tap.event.status);
}

/** The status the driver has moved the leg to: the server's, or the last tap still on its way. */
function effectiveStatus(leg: DriverLeg, taps: readonly Tap[]): LegStatus {
  const last = taps.filter((item) => item.state === 'pending').at(-1);
  return last ? tapStatus(last) : leg.status;
}

const NEXT: Partial<Record<LegStatus, { status: 'en_route' | 'arrived' | 'picked_up'; label: string }>> = {
  assigned: { status: 'en_route', label: 'En route' },
  en_route: { status: 'arrived', label: 'Arrived' },
  arrived: { status: 'picked_up', label: 'Picked up' },
};

function LegCard({ leg, vehicle, taps, onTap, onComplete }: {
  leg: DriverLeg;
  vehicle: Vehicle | undefined;
  taps: readonly Tap[];
  onTap: (legId: string, event: Schemas['LegStatusEventBody']) => Promise<void>;
  onComplete: (legId: string, completion: Schemas['CompletionBody']) => Promise<void>;
}) {
  const { timeZone } = useConsole();
  const headingId = useId();
  const reasonId = useId();
  const [askingReason, setAskingReason] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const status = effectiveStatus(leg, taps);
  const next = NEXT[status];
  const waiting = taps.some((item) => item.state === 'pending');
  const rider = leg.riderName ?? 'Rider (name unavailable)';
  // The pick-up the driver tapped, sent or still on its way: the completion goes after it.
  const pickupTap = taps.filter((item) => item.event?.status === 'picked_up' && item.state !== 'refused').at(-1);
  const refusedCompletion = taps.filter((item) => item.completion && item.state === 'refused').at(-1);

  const recordNoShow = () => {
    if (reason.trim() === '') {
      setReasonError('Say why, e.g. "Nobody answered the door".');
      return;
    }
    setAskingReason(false);
    setReasonError(undefined);
    void onTap(leg.id, { status: 'no_show', reason: reason.trim() });
  };

  return (
    <li className={`driver-leg${FINISHED.includes(status) ? ' finished' : ''}`} data-status={status}>
      <h2 id={headingId}>
        <span className="pickup-time">{leg.scheduledPickupAt ? formatTime(leg.scheduledPickupAt, timeZone) : 'Will-call'}</span>{' '}
        {rider}
      </h2>
      <p className="leg-status">
        <Status status={status} />
        {waiting && <span className="pending-mark"> waiting to send</span>}
        <span className="meta"> {leg.kind === 'outbound' ? 'Outbound' : 'Return'}</span>
      </p>
      <dl className="leg-facts">
        <dt>Pick up</dt>
        <dd>{leg.pickupAddress}</dd>
        <dt>Drop off</dt>
        <dd>{leg.dropoffAddress}{leg.scheduledDropoffAt && <> by {formatTime(leg.scheduledDropoffAt, timeZone)}</>}</dd>
        <dt>Needs</dt>
        <dd>{serviceText(leg)}</dd>
        {leg.riderPhone && (
          <>
            <dt>Phone</dt>
            <dd><a href={`tel:${leg.riderPhone}`}>Call {formatPhone(leg.riderPhone)}</a></dd>
          </>
        )}
        {vehicle && (
          <>
            <dt>Vehicle</dt>
            <dd>{vehicleText(vehicle)}</dd>
          </>
        )}
      </dl>
      {taps.length > 0 && (
        <ol className="tap-log" aria-label={`Taps for ${rider}`}>
          {taps.map((item) => (
            <li key={item.key} data-state={item.state}>
              {capitalise(statusWord(tapStatus(item)))} at {formatClock(item.tappedAt, timeZone)}:{' '}
              <strong>{item.state === 'sent' ? 'sent' : item.state === 'pending' ? 'waiting to send' : 'not recorded'}</strong>
            </li>
          ))}
        </ol>
      )}
      {!FINISHED.includes(status) && (
        <div className="tap-actions">
          {next && (
            <button type="button" className="primary big" onClick={() => void onTap(leg.id, { status: next.status })}>
              {next.label}
            </button>
          )}
          {status === 'arrived' && !askingReason && (
            <button type="button" className="big" onClick={() => setAskingReason(true)}>No-show</button>
          )}
        </div>
      )}
      {status === 'arrived' && askingReason && (
        <div className="no-show">
          <label htmlFor={reasonId}>Reason for the no-show</label>
          <input id={reasonId} value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500}
            aria-invalid={reasonError ? true : undefined} aria-describedby={reasonError ? `${reasonId}-error` : undefined} />
          {reasonError && <p className="field-error" id={`${reasonId}-error`}>{reasonError}</p>}
          <div className="tap-actions">
            <button type="button" className="danger big" onClick={recordNoShow}>Record the no-show</button>
            <button type="button" className="big" onClick={() => setAskingReason(false)}>Back</button>
          </div>
        </div>
      )}
      {status === 'picked_up' && (
        <CompletionForm key={refusedCompletion?.key ?? 'new'} leg={leg} rider={rider} vehicle={vehicle} pickedUpAt={pickupTap?.tappedAt}
          refused={refusedCompletion} onComplete={(body) => void onComplete(leg.id, body)} />
      )}
    </li>
  );
}
