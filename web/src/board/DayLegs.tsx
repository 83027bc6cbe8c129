import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type RefObject, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { allPages, data, dispatcherLegs, ifMatch } from '../api/client';
import type { DispatcherLeg, User } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { ActionError, EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { addDays, formatCalendarDate, formatClock, formatWindow, minutesIntoDay, zoneName } from '../lib/time';
import { MOBILITY } from '../lib/words';
import { keys, POLL_MS, useDrivers, useNewIds } from './queries';

const UNASSIGNED = 'unassigned';
/** Legs a dispatcher may still (re)assign or unassign; the API decides, this only hides pointless buttons. */
const OPEN_STATUSES = new Set(['unassigned', 'assigned']);

type Page = { items: DispatcherLeg[]; nextCursor: string | null };

/**
 * A day's legs on a timeline: one row per driver plus the unassigned ones. Select a leg (click,
 * Enter, or j/k), choose a driver, Assign; the result shows without a reload, and a refused double
 * booking names the leg it clashes with.
 */
export function DayLegs({ sectionRef, date, onDateChange, announce }: {
  sectionRef: RefObject<HTMLElement | null>;
  date: string;
  onDateChange: (date: string) => void;
  announce: (message: string) => void;
}) {
  const { api, timeZone } = useConsole();
  const drivers = useDrivers();
  const legs = useQuery({
    queryKey: keys.legs(date),
    refetchInterval: POLL_MS,
    queryFn: async (): Promise<Page> => {
      const items = await allPages((cursor) =>
        data(api.GET('/v1/legs', { params: { query: { date, include: 'rider', limit: 500, ...(cursor ? { cursor } : {}) } } })),
      );
      return { items: dispatcherLegs(items), nextCursor: null };
    },
  });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const items = legs.data?.items;
  const fresh = useNewIds(items?.map((leg) => leg.id));
  useEffect(() => {
    if (fresh.size > 0) announce(`${fresh.size} new ${fresh.size === 1 ? 'leg' : 'legs'} on ${formatCalendarDate(date)}.`);
  }, [fresh, announce, date]);

  const ordered = useMemo(
    () => [...(items ?? [])].sort((a, b) => (a.scheduledPickupAt ?? '').localeCompare(b.scheduledPickupAt ?? '')),
    [items],
  );
  const selected = ordered.find((leg) => leg.id === selectedId) ?? null;
  const legButtons = useRef(new Map<string, HTMLButtonElement>());
  const driverSelect = useRef<HTMLSelectElement>(null);
  const unassignButton = useRef<HTMLButtonElement>(null);

  const select = (legId: string | null, focus = false) => {
    setSelectedId(legId);
    if (focus && legId) legButtons.current.get(legId)?.focus();
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      if (target instanceof HTMLElement && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.key === 'j' || event.key === 'k') {
        if (ordered.length === 0) return;
        const index = ordered.findIndex((leg) => leg.id === selectedId);
        const next = event.key === 'j' ? Math.min(ordered.length - 1, index + 1) : Math.max(0, index < 0 ? 0 : index - 1);
        const leg = ordered[next];
        if (leg) select(leg.id, true);
      } else if (event.key === 'a' && selectedId) {
        driverSelect.current?.focus();
      } else if (event.key === 'u' && selectedId) {
        unassignButton.current?.click();
      } else if (event.key === 'Escape' && selectedId) {
        setSelectedId(null);
      } else {
        return;
      }
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const driverList = drivers.data ?? [];
  const zone = zoneName(timeZone, `${date}T12:00:00Z`);

  return (
    <section className="pane legs-pane" aria-labelledby="legs-title" ref={sectionRef} data-date={date}
      data-state={items && drivers.data && !legs.isPlaceholderData ? 'ready' : 'loading'}>
      <div className="legs-toolbar">
        <h2 id="legs-title" tabIndex={-1}>Legs</h2>
        <div className="day-picker">
          <button type="button" onClick={() => onDateChange(addDays(date, -1))}>Previous day</button>
          <label>
            <span className="visually-hidden">Day</span>
            <input type="date" value={date} required onChange={(e) => e.target.value && onDateChange(e.target.value)} />
          </label>
          <button type="button" onClick={() => onDateChange(addDays(date, 1))}>Next day</button>
        </div>
        <p className="day-caption">
          {formatCalendarDate(date)} · times in {zone}
          {legs.isFetching && !legs.isPending && <span className="refreshing"> · refreshing</span>}
        </p>
      </div>

      <LegPanel
        key={selected?.id ?? 'none'}
        leg={selected}
        drivers={driverList}
        date={date}
        announce={announce}
        onSelect={(legId) => select(legId, true)}
        driverSelect={driverSelect}
        unassignButton={unassignButton}
        knownLegIds={new Set(ordered.map((leg) => leg.id))}
      />

      {(legs.isPending || drivers.isPending) && <LoadingState label="Loading the day's legs" />}
      {legs.isError && <ErrorState error={legs.error} onRetry={() => void legs.refetch()} />}
      {drivers.isError && <ErrorState error={drivers.error} onRetry={() => void drivers.refetch()} />}
      {items && drivers.data && (
        <Timeline
          legs={ordered}
          drivers={driverList}
          selectedId={selectedId}
          fresh={fresh}
          onSelect={(legId) => select(legId === selectedId ? null : legId)}
          legButtons={legButtons.current}
        />
      )}
      {items && items.length === 0 && <EmptyState>No legs on {formatCalendarDate(date)}. Scheduled requests appear here.</EmptyState>}
    </section>
  );
}

function legLabel(leg: DispatcherLeg, timeZone: string): string {
  const who = leg.rider?.fullName ?? 'rider';
  const mobility = leg.rider?.mobility && leg.rider.mobility !== 'ambulatory' ? `, ${MOBILITY[leg.rider.mobility].toLowerCase()}` : '';
  // The status is the button's description, not its name: names stay free of "assigned", so the
  // Assign and Unassign buttons are the only controls those words name.
  return `${leg.referenceCode} ${leg.kind}, ${formatWindow(leg.scheduledPickupAt, leg.scheduledDropoffAt, timeZone)}, ${who}${mobility}`;
}

/** "9:15" inside a block: the hour scale above says AM or PM, the panel and the name say it in full. */
function shortClock(iso: string, timeZone: string): string {
  return formatClock(iso, timeZone).replace(/\s?[AP]M$/, '');
}

interface Placed {
  leg: DispatcherLeg;
  start: number;
  span: number;
  lane: number;
}

function Timeline({ legs, drivers, selectedId, fresh, onSelect, legButtons }: {
  legs: DispatcherLeg[];
  drivers: User[];
  selectedId: string | null;
  fresh: ReadonlySet<string>;
  onSelect: (legId: string) => void;
  legButtons: Map<string, HTMLButtonElement>;
}) {
  const { timeZone } = useConsole();
  // The day's window: 6 AM to 8 PM, stretched to fit early or late legs.
  const minutes = legs.flatMap((leg) => [leg.scheduledPickupAt, leg.scheduledDropoffAt])
    .filter((iso): iso is string => iso !== null)
    .map((iso) => minutesIntoDay(iso, timeZone));
  const first = Math.floor(Math.min(6 * 60, ...minutes) / 60) * 60;
  const last = Math.ceil(Math.max(20 * 60, ...minutes.map((m) => m + 30)) / 60) * 60;
  const range = Math.max(60, last - first);
  const hours = Array.from({ length: range / 60 + 1 }, (_, i) => first + i * 60);

  const rows = new Map<string, DispatcherLeg[]>([[UNASSIGNED, []]]);
  for (const driver of drivers) rows.set(driver.id, []);
  for (const leg of legs) {
    const key = leg.driverId ?? UNASSIGNED;
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key)?.push(leg);
  }
  const names = new Map(drivers.map((driver) => [driver.id, driver.displayName]));

  const place = (rowLegs: DispatcherLeg[]): Placed[] => {
    // Lanes so that blocks never cover each other (a block is at least --min-leg, 19%, of the day wide).
    const minSpan = range * 0.19;
    const laneEnds: number[] = [];
    return rowLegs.map((leg) => {
      const start = leg.scheduledPickupAt ? minutesIntoDay(leg.scheduledPickupAt, timeZone) - first : 0;
      const end = leg.scheduledDropoffAt ? minutesIntoDay(leg.scheduledDropoffAt, timeZone) - first : start + 30;
      const span = Math.max(15, end - start);
      let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start);
      if (lane < 0) lane = laneEnds.length;
      laneEnds[lane] = start + Math.max(span, minSpan);
      return { leg, start, span, lane };
    });
  };

  return (
    <div className="timeline">
      <div className="timeline-hours" aria-hidden="true">
        <span className="lane-name" />
        <span className="hour-scale">
          {hours.map((m) => (
            <span key={m} className="hour" style={{ '--at': ((m - first) / range) * 100 } as React.CSSProperties}>
              {formatClock(new Date(Date.UTC(2000, 0, 1, Math.floor(m / 60), 0)).toISOString(), 'UTC').replace(':00', '')}
            </span>
          ))}
        </span>
      </div>
      <ul className="lanes">
        {[...rows.entries()].map(([key, rowLegs]) => {
          const placed = place(rowLegs);
          const laneCount = Math.max(1, ...placed.map((p) => p.lane + 1));
          const name = key === UNASSIGNED ? 'Unassigned' : (names.get(key) ?? 'Driver no longer listed');
          const headingId = `lane-${key}`;
          return (
            <li key={key} className={`lane${key === UNASSIGNED ? ' lane-unassigned' : ''}`} aria-labelledby={headingId}>
              <h3 className="lane-name" id={headingId}>
                {name} <span className="count">{rowLegs.length}</span>
              </h3>
              {rowLegs.length === 0 ? (
                <p className="lane-empty">{key === UNASSIGNED ? 'Every leg has a driver.' : 'Free all day.'}</p>
              ) : (
                <ul className="lane-legs" style={{ '--lanes': laneCount } as React.CSSProperties}>
                  {placed.map(({ leg, start, span, lane }) => (
                    <li key={leg.id} className="leg-slot"
                      style={{ '--start': (start / range) * 100, '--span': (span / range) * 100, '--lane': lane } as React.CSSProperties}>
                      <button
                        type="button"
                        data-leg-id={leg.id}
                        data-status={leg.status}
                        ref={(element) => { if (element) legButtons.set(leg.id, element); else legButtons.delete(leg.id); }}
                        className={`leg status-edge-${leg.status.replace('_', '-')}${leg.id === selectedId ? ' is-selected' : ''}${fresh.has(leg.id) ? ' is-new' : ''}`}
                        aria-pressed={leg.id === selectedId}
                        aria-label={legLabel(leg, timeZone)}
                        aria-describedby={`status-${leg.id}`}
                        onClick={() => onSelect(leg.id)}
                      >
                        <span className="leg-line">
                          <span className="leg-time">{leg.scheduledPickupAt ? shortClock(leg.scheduledPickupAt, timeZone) : 'no time'}</span>
                          <span className="leg-ref">{leg.referenceCode}</span>
                        </span>
                        <span className="leg-line">
                          <Status status={leg.status} id={`status-${leg.id}`} />
                          <span className="leg-rider">{leg.rider?.fullName ?? ''}</span>
                        </span>
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function LegPanel({ leg, drivers, date, announce, onSelect, driverSelect, unassignButton, knownLegIds }: {
  leg: DispatcherLeg | null;
  drivers: User[];
  date: string;
  announce: (message: string) => void;
  onSelect: (legId: string) => void;
  driverSelect: RefObject<HTMLSelectElement | null>;
  unassignButton: RefObject<HTMLButtonElement | null>;
  knownLegIds: ReadonlySet<string>;
}) {
  const { api, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const id = useId();
  const activeDrivers = drivers.filter((driver) => driver.active);
  // The board keys this panel by the selected leg: a new selection starts with its own driver and no old error.
  const [driverId, setDriverId] = useState(() => leg?.driverId ?? activeDrivers[0]?.id ?? '');
  const names = new Map(drivers.map((driver) => [driver.id, driver.displayName]));
  const legsKey = keys.legs(date);

  /** Put the server's answer in place, keeping what the list had and the answer lacks (rider, reference). */
  const replace = (updated: Partial<DispatcherLeg> & { id: string }) => {
    queryClient.setQueryData<Page>(legsKey, (page) =>
      page && { ...page, items: page.items.map((item) => (item.id === updated.id ? { ...item, ...updated } : item)) });
  };

  const assign = useMutation({
    mutationFn: ({ leg: target, driverId: chosen }: { leg: DispatcherLeg; driverId: string }) =>
      data(api.PUT('/v1/legs/{legId}/assignment', {
        params: { path: { legId: target.id }, header: ifMatch(target.version) },
        body: { driverId: chosen },
      })),
    onMutate: async ({ leg: target, driverId: chosen }) => {
      await queryClient.cancelQueries({ queryKey: legsKey });
      const before = queryClient.getQueryData<Page>(legsKey);
      replace({ id: target.id, driverId: chosen, status: 'assigned' });
      return { before };
    },
    onError: (_error, _vars, context) => {
      if (context?.before) queryClient.setQueryData(legsKey, context.before);
    },
    onSuccess: (updated, { leg: target, driverId: chosen }) => {
      for (const fresh of dispatcherLegs([updated])) replace(fresh);
      announce(`${target.referenceCode} assigned to ${names.get(chosen) ?? 'the driver'}.`);
    },
  });
  const unassign = useMutation({
    mutationFn: (target: DispatcherLeg) =>
      data(api.DELETE('/v1/legs/{legId}/assignment', { params: { path: { legId: target.id }, header: ifMatch(target.version) } })),
    onMutate: async (target) => {
      await queryClient.cancelQueries({ queryKey: legsKey });
      const before = queryClient.getQueryData<Page>(legsKey);
      replace({ id: target.id, driverId: null, status: 'unassigned' });
      return { before };
    },
    onError: (_error, _target, context) => {
      if (context?.before) queryClient.setQueryData(legsKey, context.before);
    },
    onSuccess: (updated, target) => {
      for (const fresh of dispatcherLegs([updated])) replace(fresh);
      announce(`${target.referenceCode} unassigned.`);
    },
  });

  if (!leg) {
    return (
      <section className="leg-panel empty" aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`} className="visually-hidden">Selected leg</h3>
        <p className="hint">Select a leg to assign or unassign it (or press <kbd>j</kbd> / <kbd>k</kbd>).</p>
      </section>
    );
  }
  const canChange = OPEN_STATUSES.has(leg.status);
  const clash = assign.error instanceof ApiProblem && assign.error.slug === 'driver-double-booked' ? assign.error : undefined;
  return (
    <section className="leg-panel" aria-labelledby={`${id}-title`}>
      <div className="leg-info">
      <h3 id={`${id}-title`}>
        {leg.referenceCode} <span className="meta">{leg.kind === 'outbound' ? 'outbound' : 'return'}</span>{' '}
        <Status status={leg.status} />
      </h3>
      <p className="meta">
        {formatWindow(leg.scheduledPickupAt, leg.scheduledDropoffAt, timeZone)} · {leg.rider?.fullName ?? 'Rider'}
        {leg.rider?.mobility ? ` · ${MOBILITY[leg.rider.mobility]}` : ''} · {leg.pickupAddress} → {leg.dropoffAddress}
      </p>
      <p className="meta">
        Driver: {leg.driverId ? (names.get(leg.driverId) ?? 'not listed') : 'none yet'} ·{' '}
        <Link to={`/trips/${leg.tripRequestId}`}>Trip details</Link>
      </p>
      </div>
      <div className="leg-actions">
      {canChange ? (
        <form className="assign-form" onSubmit={(event) => {
          event.preventDefault();
          if (driverId) assign.mutate({ leg, driverId });
        }}>
          <label htmlFor={`${id}-driver`}>Driver</label>
          <select id={`${id}-driver`} ref={driverSelect} value={driverId} onChange={(e) => setDriverId(e.target.value)}>
            {activeDrivers.length === 0 && <option value="">No drivers</option>}
            {activeDrivers.map((driver) => (
              <option key={driver.id} value={driver.id}>{driver.displayName}</option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={!driverId || assign.isPending}>Assign</button>
          {leg.driverId && (
            <button type="button" ref={unassignButton} disabled={unassign.isPending} onClick={() => unassign.mutate(leg)}>
              Unassign
            </button>
          )}
        </form>
      ) : (
        <p className="hint">This leg is {statusWord(leg.status)}; its driver can no longer be changed here.</p>
      )}
      {clash ? (
        <div className="action-error" role="alert">
          <p>
            <strong>Not assigned: {names.get(driverId) ?? 'this driver'} is already booked.</strong>{' '}
            {clash.clash
              ? `It overlaps ${clash.clash.referenceCode}, ${formatWindow(clash.clash.scheduledPickupAt, clash.clash.scheduledDropoffAt, timeZone)}.`
              : clash.detail}
          </p>
          {clash.clash && knownLegIds.has(clash.clash.legId) && (
            <button type="button" onClick={() => clash.clash && onSelect(clash.clash.legId)}>
              Show leg {clash.clash.referenceCode}
            </button>
          )}
        </div>
      ) : (
        <ActionError error={assign.error} />
      )}
      <ActionError error={unassign.error} />
      </div>
    </section>
  );
}
