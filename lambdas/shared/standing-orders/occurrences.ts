/**
 * When a standing order's rides happen (docs/architecture.md, "Standing orders"). Pure: no clock, no
 * database. Dates are ISO calendar dates (YYYY-MM-DD) in the provider's zone; times are local
 * wall-clock times (HH:MM or HH:MM:SS) in that zone.
 *
 * The days come from plain date arithmetic on UTC calendar dates (a weekly by-day rule with
 * exclusions needs nothing more, and calendar dates have no daylight saving). Each day's wall-clock
 * time becomes an instant with the zone rules of the runtime's ICU data (Intl), never a written-down
 * offset, with Temporal's "compatible" disambiguation: a time inside a spring-forward gap moves
 * forward by the gap, an ambiguous time in a fall-back overlap takes the earlier instant.
 */

export interface SeriesPattern {
  /** ISO weekdays, 1 = Monday .. 7 = Sunday. */
  readonly daysOfWeek: readonly number[];
  readonly startDate: string;
  readonly endDate: string | null;
  readonly excludedDates: readonly string[];
}

export interface SeriesTimes {
  readonly pickupTime: string;
  readonly appointmentTime: string;
  readonly returnMode: 'none' | 'timed' | 'will_call';
  readonly returnPickupTime: string | null;
}

/** One ride of a series: its day and the instants (ISO, UTC) its trip and legs are scheduled at. */
export interface Occurrence {
  readonly date: string;
  readonly pickupAt: string;
  readonly appointmentAt: string;
  /** Timed returns only. */
  readonly returnPickupAt: string | null;
  /** A timed return takes as long as the ride there (appointment minus pickup). */
  readonly returnDropoffAt: string | null;
}

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

function utcMidnight(date: string): number {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`not an ISO date: ${date}`);
  const at = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (new Date(at).toISOString().slice(0, 10) !== date) throw new RangeError(`not a calendar date: ${date}`);
  return at;
}

function isoDate(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return isoDate(utcMidnight(date) + days * DAY_MS);
}

/** 1 = Monday .. 7 = Sunday. */
export function isoWeekday(date: string): number {
  const day = new Date(utcMidnight(date)).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The series' days from `from` through `through` (both inclusive): right weekday, within start and end, not excluded. */
export function occurrenceDates(series: SeriesPattern, from: string, through: string): string[] {
  const first = Math.max(utcMidnight(from), utcMidnight(series.startDate));
  const last = series.endDate === null ? utcMidnight(through) : Math.min(utcMidnight(through), utcMidnight(series.endDate));
  const days = new Set(series.daysOfWeek);
  const excluded = new Set(series.excludedDates);
  const dates: string[] = [];
  for (let at = first; at <= last; at += DAY_MS) {
    const date = isoDate(at);
    const weekday = new Date(at).getUTCDay() || 7;
    if (days.has(weekday) && !excluded.has(date)) dates.push(date);
  }
  return dates;
}

/** Whether `date` is one of the series' days (ignoring the window a caller asks about). */
export function isOccurrenceDate(series: SeriesPattern, date: string): boolean {
  return occurrenceDates(series, date, date).length === 1;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let found = partsFormatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
      second: 'numeric', era: 'short',
    });
    partsFormatters.set(timeZone, found);
  }
  return found;
}

/** The wall-clock reading in `timeZone` at `instantMs`, as if it were UTC (ms). */
function wallClockMs(instantMs: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const part of partsFormatter(timeZone).formatToParts(instantMs)) parts[part.type] = part.value;
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year);
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  return wall.getTime();
}

/** The zone's offset from UTC (ms) at an instant, from the zone rules. */
function offsetAt(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / 1000) * 1000;
  return wallClockMs(whole, timeZone) - whole;
}

/**
 * The instant a local date and wall-clock time name in `timeZone`. Gap: forward by the gap (02:30 on
 * the spring-forward night is 03:30 new time). Overlap: the earlier instant (01:30 on the fall-back
 * night is the first 01:30, still daylight time).
 */
export function localInstant(date: string, time: string, timeZone: string): Date {
  const match = LOCAL_TIME.exec(time);
  if (!match) throw new RangeError(`not a local time: ${time}`);
  const wall = utcMidnight(date) + ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3] ?? 0)) * 1000;
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const candidates = [...new Set([before, after])]
    .map((offset) => ({ offset, instant: wall - offset }))
    .filter((candidate) => offsetAt(candidate.instant, timeZone) === candidate.offset)
    .map((candidate) => candidate.instant)
    .sort((x, y) => x - y);
  return new Date(candidates[0] ?? wall - before);
}

/** The local calendar date of an instant in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  return isoDate(wallClockMs(at.getTime(), timeZone));
}

/** A day's instants. */
export function occurrenceOn(series: SeriesTimes, date: string, timeZone: string): Occurrence {
  const pickupAt = localInstant(date, series.pickupTime, timeZone);
  const appointmentAt = localInstant(date, series.appointmentTime, timeZone);
  const returnPickupAt = series.returnMode === 'timed' && series.returnPickupTime
    ? localInstant(date, series.returnPickupTime, timeZone) : null;
  return {
    date,
    pickupAt: pickupAt.toISOString(),
    appointmentAt: appointmentAt.toISOString(),
    returnPickupAt: returnPickupAt?.toISOString() ?? null,
    returnDropoffAt: returnPickupAt
      ? new Date(returnPickupAt.getTime() + Math.max(appointmentAt.getTime() - pickupAt.getTime(), 60_000)).toISOString()
      : null,
  };
}

/** The series' occurrences from `from` through `through`, with their instants. */
export function occurrences(series: SeriesPattern & SeriesTimes, from: string, through: string, timeZone: string): Occurrence[] {
  return occurrenceDates(series, from, through).map((date) => occurrenceOn(series, date, timeZone));
}

/** The next `count` occurrences on or after `from` (looking at most `withinDays` ahead), for a preview. */
export function nextOccurrences(series: SeriesPattern & SeriesTimes, from: string, count: number, timeZone: string,
  withinDays = 3 * 366): Occurrence[] {
  const found: Occurrence[] = [];
  let start = from;
  const limit = addDays(from, withinDays);
  while (found.length < count && start <= limit) {
    const through = [addDays(start, 89), limit].sort()[0] as string;
    for (const date of occurrenceDates(series, start, through)) {
      if (found.length < count) found.push(occurrenceOn(series, date, timeZone));
    }
    start = addDays(through, 1);
  }
  return found;
}
