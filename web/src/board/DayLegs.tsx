import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { memo, type RefObject, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { allPages, data, dispatcherLegs, ifMatch } from '../api/client';
import type { DispatcherLeg, User, Vehicle } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { ActionError, EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { addDays, formatCalendarDate, formatClock, formatWindow, minutesIntoDay, zoneName } from '../lib/time';
import { MOBILITY, serviceText, vehicleText } from '../lib/words';
import { useVehicles } from '../api/records';
import { keys, POLL_MS, useDrivers, useNewIds } from './queries';

const UNASSIGNED = 'unassigned';
const NO_DRIVERS: User[] = [];
const NO_VEHICLES: Vehicle[] = [];
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
  const vehicles = useVehicles();
  const legs = useQuery({
    queryKey: keys.legs(date),
    refetchInterval: POLL_MS,
    queryFn: async (): Promise<Page> => {
      const items = await allPages((cursor) =>
        data(api.GET('/v1/legs', { params: { query: { date, include: 'rider', limit: 1000, ...(cursor ? { cursor } : {}) } } })),
      );
      return { items: dispatcherLegs(items), nextCursor: null };
    },
  });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const items = legs.data?.items;
  const ids = useMemo(() => items?.map((leg) => leg.id), [items]);
  const fresh = useNewIds(ids, date);
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

  const select = useCallback((legId: string | null, focus = false) => {
    setSelectedId(legId);
    if (focus && legId) legButtons.current.get(legId)?.focus();
  }, []);
  // Stable, so that a click re-renders only the leg it selects and the one it deselects.
  const toggle = useCallback((legId: string) => setSelectedId((current) => (current === legId ? null : legId)), []);
  const selectAndFocus = useCallback((legId: string) => select(legId, true), [select]);
  const knownLegIds = useMemo(() => new Set(ordered.map((leg) => leg.id)), [ordered]);

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

  const driverList = drivers.data ?? NO_DRIVERS;
  const vehicleList = vehicles.data ?? NO_VEHICLES;
  const zone = zoneName(timeZone, `${date}T12:00:00Z`);

  return (
    <section className="pane legs-pane" aria-labelledby="legs-title" ref={sectionRef} data-date={date}
      data-state={items && drivers.data && vehicles.data && !legs.isPlaceholderData ? 'ready' : 'loading'}>
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
        vehicles={vehicleList}
        dayLegs={ordered}
        date={date}
        announce={announce}
        onSelect={selectAndFocus}
        driverSelect={driverSelect}
        unassignButton={unassignButton}
        knownLegIds={knownLegIds}
      />

      {(legs.isPending || drivers.isPending || vehicles.isPending) && <LoadingState label="Loading the day's legs" />}
      {legs.isError && <ErrorState error={legs.error} onRetry={() => void legs.refetch()} />}
      {drivers.isError && <ErrorState error={drivers.error} onRetry={() => void drivers.refetch()} />}
      {vehicles.isError && <ErrorState error={vehicles.error} onRetry={() => void vehicles.refetch()} />}
      {items && drivers.data && vehicles.data && (
        <Timeline
          legs={ordered}
          drivers={driverList}
          vehicles={vehicleList}
          selectedId={selectedId}
          fresh={fresh}
          onSelect={toggle}
          legButtons={legButtons.current}
        />
      )}
      {items && items.length === 0 && <EmptyState>No legs on {formatCalendarDate(date)}. Scheduled requests appear here.</EmptyState>}
    </section>
  );
}

function legLabel(leg: DispatcherLeg, timeZone: string): string {
  const who = leg.rider?.fullName ?? 'rider';
  const service = needsOf(leg);
  const mobility = service && service !== MOBILITY.ambulatory ? `, ${service.toLowerCase()}` : '';
  // The status is the button's description, not its name: names stay free of "assigned", so the
  // Assign and Unassign buttons are the only controls those words name.
  const when = windowOf(`${leg.scheduledPickupAt ?? ''}|${leg.scheduledDropoffAt ?? ''}`, timeZone);
  return `${leg.referenceCode} ${leg.kind}, ${when}, ${who}${mobility}`;
}

/** "9:15" inside a block: the hour scale above says AM or PM, the panel and the name say it in full. */
function shortClock(iso: string, timeZone: string): string {
  return formatClock(iso, timeZone).replace(/\s?[AP]M$/, '');
}

/**
 * What a leg's block shows, worked out once per leg object: the zone arithmetic behind it costs
 * tens of microseconds a call, and a day has hundreds of legs. The query keeps an unchanged leg's
 * object from one refresh to the next, so a refresh only works out the legs that changed.
 */
interface LegFacts {
  readonly timeZone: string;
  /** Minutes into the day (provider's zone) of the pickup and drop-off, or null without a time. */
  readonly pickup: number | null;
  readonly dropoff: number | null;
  readonly label: string;
  readonly clock: string;
}

const legFacts = new WeakMap<DispatcherLeg, LegFacts>();

/** A day's legs share a handful of times (on the quarter hour, mostly): each is worked out once. */
function remembered<T>(work: (key: string, timeZone: string) => T): (key: string, timeZone: string) => T {
  const known = new Map<string, T>();
  return (key, timeZone) => {
    const at = `${timeZone}|${key}`;
    let value = known.get(at);
    if (value === undefined) {
      if (known.size >= 5_000) known.clear();
      value = work(key, timeZone);
      known.set(at, value);
    }
    return value;
  };
}

const minutesAt = remembered(minutesIntoDay);
const clockAt = remembered(shortClock);
const windowOf = remembered((pair, timeZone) => {
  const [from, to] = pair.split('|');
  return formatWindow(from || null, to || null, timeZone);
});


function factsOf(leg: DispatcherLeg, timeZone: string): LegFacts {
  const known = legFacts.get(leg);
  if (known && known.timeZone === timeZone) return known;
  const facts: LegFacts = {
    timeZone,
    pickup: leg.scheduledPickupAt ? minutesAt(leg.scheduledPickupAt, timeZone) : null,
    dropoff: leg.scheduledDropoffAt ? minutesAt(leg.scheduledDropoffAt, timeZone) : null,
    label: legLabel(leg, timeZone),
    clock: leg.scheduledPickupAt ? clockAt(leg.scheduledPickupAt, timeZone) : 'no time',
  };
  legFacts.set(leg, facts);
  return facts;
}

interface Placed {
  leg: DispatcherLeg;
  facts: LegFacts;
  start: number;
  span: number;
  lane: number;
}

interface Row {
  key: string;
  name: string;
  /** The vehicles the driver's legs of the day are assigned with ("Van 3, Sedan 1"), or ''. */
  vehicles: string;
  placed: Placed[];
  laneCount: number;
}

/**
 * Lanes so that blocks never cover each other (a block is at least --min-leg, 19%, of the day
 * wide): each leg goes to the lowest lane free at its start. Legs come sorted by pickup; a heap of
 * free lanes and one of busy lanes by end keep this O(n log n) for a row with many legs.
 */
function place(rowLegs: readonly { leg: DispatcherLeg; facts: LegFacts }[], first: number, range: number): Placed[] {
  const minSpan = range * 0.19;
  const spans = rowLegs.map(({ facts }) => {
    const start = facts.pickup === null ? 0 : facts.pickup - first;
    const end = facts.dropoff === null ? start + 30 : facts.dropoff - first;
    return { start, span: Math.max(15, end - start) };
  });
  if (spans.some((item, index) => index > 0 && item.start < (spans[index - 1] as { start: number }).start)) {
    // Not in order of start (a time past midnight): the plain scan, same answer, O(n × lanes).
    const laneEnds: number[] = [];
    return rowLegs.map(({ leg, facts }, index) => {
      const { start, span } = spans[index] as { start: number; span: number };
      let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start);
      if (lane < 0) lane = laneEnds.length;
      laneEnds[lane] = start + Math.max(span, minSpan);
      return { leg, facts, start, span, lane };
    });
  }
  const busy = new MinHeap<[end: number, lane: number]>((a, b) => a[0] - b[0] || a[1] - b[1]);
  const free = new MinHeap<number>((a, b) => a - b);
  let lanes = 0;
  return rowLegs.map(({ leg, facts }, index) => {
    const { start, span } = spans[index] as { start: number; span: number };
    // Lanes whose last block ends by this start are free again.
    for (let top = busy.peek(); top && top[0] <= start; top = busy.peek()) free.push((busy.pop() as [number, number])[1]);
    const lane = free.size > 0 ? (free.pop() as number) : lanes++;
    busy.push([start + Math.max(span, minSpan), lane]);
    return { leg, facts, start, span, lane };
  });
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size(): number { return this.items.length; }
  peek(): T | undefined { return this.items[0]; }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let at = items.length - 1;
    while (at > 0) {
      const up = (at - 1) >> 1;
      if (this.before(items[at] as T, items[up] as T) >= 0) break;
      [items[at], items[up]] = [items[up] as T, items[at] as T];
      at = up;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let at = 0;
      for (;;) {
        const left = at * 2 + 1;
        const right = left + 1;
        let least = at;
        if (left < items.length && this.before(items[left] as T, items[least] as T) < 0) least = left;
        if (right < items.length && this.before(items[right] as T, items[least] as T) < 0) least = right;
        if (least === at) break;
        [items[at], items[least]] = [items[least] as T, items[at] as T];
        at = least;
      }
    }
    return top;
  }
}

const Timeline = memo(function Timeline({ legs, drivers, vehicles, selectedId, fresh, onSelect, legButtons }: {
  legs: DispatcherLeg[];
  drivers: User[];
  vehicles: Vehicle[];
  selectedId: string | null;
  fresh: ReadonlySet<string>;
  onSelect: (legId: string) => void;
  legButtons: Map<string, HTMLButtonElement>;
}) {
  const { timeZone } = useConsole();
  const layout = useMemo(() => {
    const withFacts = legs.map((leg) => ({ leg, facts: factsOf(leg, timeZone) }));
    // The day's window: 6 AM to 8 PM, stretched to fit early or late legs.
    let earliest = 6 * 60;
    let latest = 20 * 60;
    for (const { facts } of withFacts) {
      for (const m of [facts.pickup, facts.dropoff]) {
        if (m === null) continue;
        earliest = Math.min(earliest, m);
        latest = Math.max(latest, m + 30);
      }
    }
    const first = Math.floor(earliest / 60) * 60;
    const last = Math.ceil(latest / 60) * 60;
    const range = Math.max(60, last - first);
    const hours = Array.from({ length: range / 60 + 1 }, (_, i) => first + i * 60);

    const byRow = new Map<string, { leg: DispatcherLeg; facts: LegFacts }[]>([[UNASSIGNED, []]]);
    for (const driver of drivers) byRow.set(driver.id, []);
    for (const item of withFacts) {
      const key = item.leg.driverId ?? UNASSIGNED;
      let row = byRow.get(key);
      if (!row) {
        row = [];
        byRow.set(key, row);
      }
      row.push(item);
    }
    const names = new Map(drivers.map((driver) => [driver.id, driver.displayName]));
    const vehicleNames = new Map(vehicles.map((vehicle) => [vehicle.id, vehicle.name]));
    const rows: Row[] = [...byRow.entries()].map(([key, rowLegs]) => {
      const placed = place(rowLegs, first, range);
      let laneCount = 1;
      for (const p of placed) laneCount = Math.max(laneCount, p.lane + 1);
      const name = key === UNASSIGNED ? 'Unassigned' : (names.get(key) ?? 'Driver no longer listed');
      const used = key === UNASSIGNED ? [] : [...new Set(rowLegs.map(({ leg }) => leg.vehicleId).filter((id) => id !== null))];
      return { key, name, vehicles: used.map((id) => vehicleNames.get(id) ?? 'a retired vehicle').join(', '), placed, laneCount };
    });
    return { first, range, hours, rows };
  }, [legs, drivers, vehicles, timeZone]);
  const { first, range, hours, rows } = layout;

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
        {rows.map((row) => (
          <Lane key={row.key} row={row} range={range}
            // Only the lanes holding the selected leg see it: selecting re-renders those, not all.
            selectedId={selectedId !== null && row.placed.some((p) => p.leg.id === selectedId) ? selectedId : null}
            fresh={fresh} onSelect={onSelect} legButtons={legButtons} />
        ))}
      </ul>
    </div>
  );
});

const Lane = memo(function Lane({ row, range, selectedId, fresh, onSelect, legButtons }: {
  row: Row;
  range: number;
  selectedId: string | null;
  fresh: ReadonlySet<string>;
  onSelect: (legId: string) => void;
  legButtons: Map<string, HTMLButtonElement>;
}) {
  const { key, name, vehicles, placed, laneCount } = row;
  const headingId = `lane-${key}`;
  return (
    <li className={`lane${key === UNASSIGNED ? ' lane-unassigned' : ''}`} aria-labelledby={headingId}
      style={{ '--lanes': laneCount } as React.CSSProperties}>
      <h3 className="lane-name" id={headingId}>
        {name} <span className="count">{placed.length}</span>
        {vehicles && <span className="lane-vehicle">{vehicles}</span>}
      </h3>
      {placed.length === 0 ? (
        <p className="lane-empty">{key === UNASSIGNED ? 'Every leg has a driver.' : 'Free all day.'}</p>
      ) : (
        <ul className="lane-legs">
          {placed.map(({ leg, facts, start, span, lane }) => (
            <li key={leg.id} className="leg-slot"
              style={{ '--start': (start / range) * 100, '--span': (span / range) * 100, '--lane': lane } as React.CSSProperties}>
              <LegButton leg={leg} facts={facts} selected={leg.id === selectedId} isNew={fresh.has(leg.id)}
                onSelect={onSelect} legButtons={legButtons} />
            </li>
          ))}
        </ul>
      )}
    </li>
  );
});

const LegButton = memo(function LegButton({ leg, facts, selected, isNew, onSelect, legButtons }: {
  leg: DispatcherLeg;
  facts: LegFacts;
  selected: boolean;
  isNew: boolean;
  onSelect: (legId: string) => void;
  legButtons: Map<string, HTMLButtonElement>;
}) {
  const id = leg.id;
  const ref = useCallback((element: HTMLButtonElement | null) => {
    if (element) legButtons.set(id, element);
    else legButtons.delete(id);
  }, [legButtons, id]);
  return (
    <button
      type="button"
      data-leg-id={id}
      data-status={leg.status}
      ref={ref}
      className={`leg status-edge-${leg.status.replace('_', '-')}${selected ? ' is-selected' : ''}${isNew ? ' is-new' : ''}`}
      aria-pressed={selected}
      aria-label={facts.label}
      aria-describedby={`status-${id}`}
      onClick={() => onSelect(id)}
    >
      <span className="leg-line">
        <span className="leg-time">{facts.clock}</span>
        <span className="leg-ref">{leg.referenceCode}</span>
      </span>
      <span className="leg-line">
        <Status status={leg.status} id={`status-${id}`} />
        <span className="leg-rider">{leg.rider?.fullName ?? ''}</span>
      </span>
    </button>
  );
});

function LegPanel({ leg, drivers, vehicles, dayLegs, date, announce, onSelect, driverSelect, unassignButton, knownLegIds }: {
  leg: DispatcherLeg | null;
  drivers: User[];
  vehicles: Vehicle[];
  dayLegs: readonly DispatcherLeg[];
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
  const inService = vehicles.filter((vehicle) => vehicle.status === 'in_service');
  // Until the dispatcher picks one, the vehicle follows the driver: the one they drive that day.
  const [chosenVehicleId, setChosenVehicleId] = useState<string | null>(() => leg?.vehicleId ?? null);
  // Only a vehicle the select offers: one out of service since (or retired) falls back to the first in service.
  const offered = (candidate: string | null | undefined) => (inService.some((vehicle) => vehicle.id === candidate) ? candidate : null);
  const vehicleId = offered(chosenVehicleId) ?? offered(vehicleOfTheDay(dayLegs, driverId, leg?.id)) ?? inService[0]?.id ?? '';
  const names = new Map(drivers.map((driver) => [driver.id, driver.displayName]));
  const vehicleLabels = new Map(vehicles.map((vehicle) => [vehicle.id, vehicleText(vehicle)]));
  const legsKey = keys.legs(date);

  /** Put the server's answer in place, keeping what the list had and the answer lacks (rider, reference). */
  const replace = (updated: Partial<DispatcherLeg> & { id: string }) => {
    queryClient.setQueryData<Page>(legsKey, (page) =>
      page && { ...page, items: page.items.map((item) => (item.id === updated.id ? { ...item, ...updated } : item)) });
  };

  const assign = useMutation({
    mutationFn: ({ leg: target, driverId: chosen, vehicleId: vehicle }: { leg: DispatcherLeg; driverId: string; vehicleId: string }) =>
      data(api.PUT('/v1/legs/{legId}/assignment', {
        params: { path: { legId: target.id }, header: ifMatch(target.version) },
        body: { driverId: chosen, vehicleId: vehicle },
      })),
    onMutate: async ({ leg: target, driverId: chosen, vehicleId: vehicle }) => {
      await queryClient.cancelQueries({ queryKey: legsKey });
      const before = queryClient.getQueryData<Page>(legsKey);
      replace({ id: target.id, driverId: chosen, vehicleId: vehicle, status: 'assigned' });
      return { before };
    },
    onError: (_error, _vars, context) => {
      if (context?.before) queryClient.setQueryData(legsKey, context.before);
    },
    onSuccess: (updated, { leg: target, driverId: chosen, vehicleId: vehicle }) => {
      for (const fresh of dispatcherLegs([updated])) replace(fresh);
      announce(`${target.referenceCode} assigned to ${names.get(chosen) ?? 'the driver'} with ${vehicleLabels.get(vehicle) ?? 'the vehicle'}.`);
    },
  });
  const unassign = useMutation({
    mutationFn: (target: DispatcherLeg) =>
      data(api.DELETE('/v1/legs/{legId}/assignment', { params: { path: { legId: target.id }, header: ifMatch(target.version) } })),
    onMutate: async (target) => {
      await queryClient.cancelQueries({ queryKey: legsKey });
      const before = queryClient.getQueryData<Page>(legsKey);
      replace({ id: target.id, driverId: null, vehicleId: null, status: 'unassigned' });
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
  const refusal = assign.error instanceof ApiProblem ? assign.error : undefined;
  const clash = refusal && DOUBLE_BOOKED.has(refusal.slug) ? refusal : undefined;
  const vehicleRefused = refusal && VEHICLE_REFUSALS.has(refusal.slug) ? refusal : undefined;
  const booked = clash?.slug === 'vehicle-double-booked' ? (vehicleLabels.get(vehicleId) ?? 'this vehicle') : (names.get(driverId) ?? 'this driver');
  return (
    <section className="leg-panel" aria-labelledby={`${id}-title`}>
      <div className="leg-info">
      <h3 id={`${id}-title`}>
        {leg.referenceCode} <span className="meta">{leg.kind === 'outbound' ? 'outbound' : 'return'}</span>{' '}
        <Status status={leg.status} />
      </h3>
      <p className="meta">
        {formatWindow(leg.scheduledPickupAt, leg.scheduledDropoffAt, timeZone)} · {leg.rider?.fullName ?? 'Rider'}
        {needsOf(leg) ? ` · ${needsOf(leg)}` : ''} · {leg.pickupAddress} → {leg.dropoffAddress}
      </p>
      <p className="meta">
        Driver: {leg.driverId ? (names.get(leg.driverId) ?? 'not listed') : 'none yet'} · Vehicle:{' '}
        {leg.vehicleId ? (vehicleLabels.get(leg.vehicleId) ?? 'not listed') : 'none yet'} ·{' '}
        <Link to={`/trips/${leg.tripRequestId}`}>Trip details</Link>
      </p>
      </div>
      <div className="leg-actions">
      {canChange ? (
        <form className="assign-form" onSubmit={(event) => {
          event.preventDefault();
          if (driverId && vehicleId) assign.mutate({ leg, driverId, vehicleId });
        }}>
          <span className="assign-field">
            <label htmlFor={`${id}-driver`}>Driver</label>
            <select id={`${id}-driver`} ref={driverSelect} value={driverId} onChange={(e) => setDriverId(e.target.value)}>
              {activeDrivers.length === 0 && <option value="">No drivers</option>}
              {activeDrivers.map((driver) => (
                <option key={driver.id} value={driver.id}>{driver.displayName}</option>
              ))}
            </select>
          </span>
          <span className="assign-field">
            <label htmlFor={`${id}-vehicle`}>Vehicle</label>
            <select id={`${id}-vehicle`} value={vehicleId} onChange={(e) => setChosenVehicleId(e.target.value)}>
              {inService.length === 0 && <option value="">No vehicle in service</option>}
              {inService.map((vehicle) => (
                <option key={vehicle.id} value={vehicle.id}>{vehicleText(vehicle)}</option>
              ))}
            </select>
          </span>
          <button type="submit" className="primary" disabled={!driverId || !vehicleId || assign.isPending}>Assign</button>
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
            <strong>Not assigned: {booked} is already booked.</strong>{' '}
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
      ) : vehicleRefused ? (
        <p className="action-error" role="alert"><strong>Not assigned:</strong> {vehicleRefused.detail}</p>
      ) : (
        <ActionError error={assign.error} />
      )}
      <ActionError error={unassign.error} />
      </div>
    </section>
  );
}

/** The refusals that name the leg they clash with (`clash`): the driver's or the vehicle's. */
const DOUBLE_BOOKED = new Set(['driver-double-booked', 'vehicle-double-booked']);
/** The vehicle cannot take this leg at all; the API's detail says why in words. */
const VEHICLE_REFUSALS = new Set(['vehicle-lacks-service-level', 'vehicle-out-of-service']);

/** The vehicle a driver has on their other legs of the day (the one nearest in the list), if any. */
function vehicleOfTheDay(dayLegs: readonly DispatcherLeg[], driverId: string, exceptLegId: string | undefined): string | undefined {
  return dayLegs.find((other) => other.driverId === driverId && other.id !== exceptLegId && other.vehicleId)?.vehicleId ?? undefined;
}

/** What the leg's trip needs of the vehicle, in words; the rider's mobility for a leg without it. */
function needsOf(leg: DispatcherLeg): string {
  if (leg.service) return serviceText(leg.service);
  return leg.rider?.mobility ? MOBILITY[leg.rider.mobility] : '';
}
