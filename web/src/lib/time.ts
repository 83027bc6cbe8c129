import { TZDate } from '@date-fns/tz';

/**
 * Times on screen are always in the provider's time zone, with the zone named ("7:30 AM EDT"),
 * and dates read like "Tue, Jun 23": never a raw ISO string, never the browser's own zone.
 * Shared by the console and the public request page (no React here).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let cached = formatters.get(key);
  if (!cached) {
    cached = new Intl.DateTimeFormat('en-US', { timeZone, ...options });
    formatters.set(key, cached);
  }
  return cached;
}

const TIME: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit' };
const DATE: Intl.DateTimeFormatOptions = { weekday: 'short', month: 'short', day: 'numeric' };

/** The zone's short name at that instant, e.g. "EST" or "EDT". */
export function zoneName(timeZone: string, at: Date | string = new Date()): string {
  const part = formatter(timeZone, { timeZoneName: 'short' })
    .formatToParts(new Date(at))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** "7:30 AM EDT" */
export function formatTime(iso: string, timeZone: string): string {
  return `${formatter(timeZone, TIME).format(new Date(iso))} ${zoneName(timeZone, iso)}`;
}

/** "7:30 AM" (the zone named elsewhere in the same sentence or heading). */
export function formatClock(iso: string, timeZone: string): string {
  return formatter(timeZone, TIME).format(new Date(iso));
}

/** "Tue, Jun 23" */
export function formatDate(iso: string, timeZone: string): string {
  return formatter(timeZone, DATE).format(new Date(iso));
}

/** "Tue, Jun 23, 7:30 AM EDT" */
export function formatDateTime(iso: string, timeZone: string): string {
  return `${formatDate(iso, timeZone)}, ${formatTime(iso, timeZone)}`;
}

/** "7:30 – 8:15 AM EDT" (or with both meridiems when they differ). */
export function formatWindow(fromIso: string | null, toIso: string | null, timeZone: string): string {
  if (!fromIso) return 'time not set';
  if (!toIso) return formatTime(fromIso, timeZone);
  return `${formatClock(fromIso, timeZone)} – ${formatTime(toIso, timeZone)}`;
}

/** A calendar date ("YYYY-MM-DD") shown as "Tue, Jun 23". */
export function formatCalendarDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return formatter('UTC', DATE).format(new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)));
}

/** Date and time typed into inputs ("2026-06-23", "07:30"), read in the provider's zone → ISO with offset. */
export function zonedInputToIso(date: string, time: string, timeZone: string): string | null {
  const dateMatch = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const timeMatch = /^(\d{2}):(\d{2})/.exec(time);
  if (!dateMatch || !timeMatch) return null;
  const zoned = new TZDate(
    Number(dateMatch[1]), Number(dateMatch[2]) - 1, Number(dateMatch[3]),
    Number(timeMatch[1]), Number(timeMatch[2]), timeZone,
  );
  return Number.isNaN(zoned.getTime()) ? null : zoned.toISOString();
}

/** An instant as the values of date and time inputs in the provider's zone. */
export function isoToZonedInput(iso: string, timeZone: string): { date: string; time: string } {
  const zoned = new TZDate(new Date(iso).getTime(), timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${zoned.getFullYear()}-${pad(zoned.getMonth() + 1)}-${pad(zoned.getDate())}`,
    time: `${pad(zoned.getHours())}:${pad(zoned.getMinutes())}`,
  };
}

/** Today in the provider's zone, "YYYY-MM-DD". */
export function todayInZone(timeZone: string): string {
  return isoToZonedInput(new Date().toISOString(), timeZone).date;
}

/** "YYYY-MM-DD" plus some days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10);
}

/** Minutes since midnight in the provider's zone, for placing an instant on a day's timeline. */
export function minutesIntoDay(iso: string, timeZone: string): number {
  const zoned = new TZDate(new Date(iso).getTime(), timeZone);
  return zoned.getHours() * 60 + zoned.getMinutes();
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(new Date(iso).getTime() + minutes * 60_000).toISOString();
}

/**
 * The zone's generic short name ("ET"): for wall-clock times that hold all year, like a standing
 * order's 7:00 AM, which is EST in winter and EDT in summer.
 */
export function genericZoneName(timeZone: string): string {
  const part = formatter(timeZone, { timeZoneName: 'shortGeneric' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** A local wall-clock time ("06:30", "18:05:00") as "6:30 AM"; no zone arithmetic, it is the time as written. */
export function formatWallClock(time: string): string {
  const match = /^(\d{1,2}):(\d{2})/.exec(time);
  if (!match) return time;
  const hours = Number(match[1]);
  const meridiem = hours < 12 ? 'AM' : 'PM';
  return `${hours % 12 === 0 ? 12 : hours % 12}:${match[2]} ${meridiem}`;
}
