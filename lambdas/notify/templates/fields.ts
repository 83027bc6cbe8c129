import type { NotificationEvent } from '../../shared/outbox/write';

/**
 * Everything a template may print — the whole allow-list. Templates are functions of this type
 * only; they never receive a trip, rider or outbox row, so nothing else can reach a message.
 * Values are display strings, already formatted in the provider's time zone.
 */
export interface TemplateFields {
  /** Empty only for a message about a series that names no code. */
  readonly referenceCode: string;
  readonly date?: string;
  readonly timeWindow?: string;
  readonly status?: string;
  readonly providerName: string;
  /** Series events: the weekdays, "Mon, Wed, Fri". */
  readonly days?: string;
  /** Series events: the local pickup time with its zone named, "7:00 AM Eastern Time". */
  readonly localTime?: string;
}

export interface TemplateSettings {
  readonly providerName: string;
  /** IANA zone the provider works in; dates and windows are shown in it. */
  readonly timeZone: string;
}

/** Receipt-level status words per event: what happened, never why. */
export const STATUS_LABELS: Readonly<Record<NotificationEvent, string>> = {
  request_received: 'Received',
  trip_scheduled: 'Scheduled',
  cancellation_approved: 'Cancelled',
  cancellation_denied: 'Still scheduled',
  request_rejected: 'Not accepted',
  driver_en_route: 'Driver on the way',
  series_confirmed: 'Confirmed',
  ride_reminder: 'Scheduled',
  series_paused: 'Paused',
  series_resumed: 'Resumed',
  series_ended: 'Ended',
};

/** Events about one ride at one time: the date is the pickup window's, and the window is shown. */
export const WINDOW_EVENTS: ReadonlySet<NotificationEvent> = new Set(['trip_scheduled', 'driver_en_route', 'ride_reminder']);

/**
 * Events about a whole series, and the payload date each one shows: the first day, the first day
 * without a ride, the first day with one again, the last ride.
 */
const SERIES_DATES = {
  series_confirmed: 'startDate',
  series_paused: 'fromDate',
  series_resumed: 'fromDate',
  series_ended: 'lastRideDate',
} as const satisfies Partial<Record<NotificationEvent, string>>;
type SeriesEvent = keyof typeof SERIES_DATES;

/** A series has no code of its own: its messages name it by its days and local pickup time. */
export const SERIES_EVENTS: ReadonlySet<NotificationEvent> = new Set(Object.keys(SERIES_DATES) as SeriesEvent[]);
const isSeriesEvent = (event: NotificationEvent): event is SeriesEvent => SERIES_EVENTS.has(event);

const REFERENCE_CODE = /^[A-Z0-9][A-Z0-9-]{0,23}$/;

function instant(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function spaces(text: string): string {
  // ICU puts a narrow no-break space before AM/PM; plain spaces keep SMS in GSM-7.
  return text.replace(/\s/gu, ' ');
}

// Building an Intl formatter costs far more than using one; keep one per zone and style.
const formatters = new Map<string, Intl.DateTimeFormat>();

const STYLES: Readonly<Record<'date' | 'time' | 'zone' | 'zoneName', Intl.DateTimeFormatOptions>> = {
  date: { weekday: 'short', month: 'short', day: 'numeric' },
  time: { hour: 'numeric', minute: '2-digit', hour12: true },
  zone: { timeZoneName: 'short' },
  zoneName: { timeZoneName: 'longGeneric' },
};

function formatter(timeZone: string, style: keyof typeof STYLES): Intl.DateTimeFormat {
  const key = `${style}|${timeZone}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', { timeZone, ...STYLES[style] });
    formatters.set(key, found);
  }
  return found;
}

export function formatDate(at: Date, timeZone: string): string {
  return spaces(formatter(timeZone, 'date').format(at));
}

export function formatTime(at: Date, timeZone: string): string {
  return spaces(formatter(timeZone, 'time').format(at));
}

/**
 * The zone's abbreviation at that instant, as the rider's clock reads it: "EST" or "EDT" for
 * America/New_York; "GMT+1" where English has no abbreviation for the zone.
 */
export function zoneAbbreviation(at: Date, timeZone: string): string {
  const name = formatter(timeZone, 'zone').formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? '';
  return spaces(name);
}

/**
 * "9:00-9:30 AM EST", or "11:45 AM-12:15 PM EST" when the window crosses noon. A window across a
 * clock change names both zones ("1:45 AM EST-3:15 AM EDT"): a time without its zone is ambiguous
 * for a rider reading it (and the hour repeated in autumn is otherwise two different hours).
 */
export function formatWindow(start: Date, end: Date, timeZone: string): string {
  const from = formatTime(start, timeZone);
  const to = formatTime(end, timeZone);
  const fromZone = zoneAbbreviation(start, timeZone);
  const toZone = zoneAbbreviation(end, timeZone);
  if (fromZone !== toZone) return `${from} ${fromZone}-${to} ${toZone}`;
  const fromPeriod = from.slice(-2);
  return `${fromPeriod === to.slice(-2) ? `${from.slice(0, -3)}-${to}` : `${from}-${to}`} ${toZone}`;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** "Mon, Wed, Fri" from ISO weekdays; undefined unless they are 1-7, distinct and at least one. */
export function formatWeekdays(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 7) return undefined;
  if (!value.every((day) => Number.isInteger(day) && day >= 1 && day <= 7) || new Set(value).size !== value.length) return undefined;
  if (value.length === 7) return 'every day';
  return [...(value as number[])].sort((a, b) => a - b).map((day) => WEEKDAYS[day - 1]).join(', ');
}

/**
 * A wall-clock time that recurs, with the zone named generically ("7:00 AM Eastern Time"): it is
 * the same local time in winter and summer, so neither EST nor EDT alone would be right.
 */
export function formatLocalTime(value: unknown, timeZone: string): string | undefined {
  const match = typeof value === 'string' ? LOCAL_TIME.exec(value) : null;
  if (!match) return undefined;
  const hour = Number(match[1]);
  const clock = `${hour % 12 === 0 ? 12 : hour % 12}:${match[2]} ${hour < 12 ? 'AM' : 'PM'}`;
  const zone = formatter(timeZone, 'zoneName').formatToParts(0).find((part) => part.type === 'timeZoneName')?.value ?? '';
  return spaces(zone ? `${clock} ${zone}` : clock);
}

/** A calendar date as the rider reads it ("Mon, Mar 4"); it is already local, so no zone applies. */
function formatLocalDate(value: unknown): string | undefined {
  if (typeof value !== 'string' || !LOCAL_DATE.test(value)) return undefined;
  const at = new Date(`${value}T12:00:00Z`);
  return Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value ? undefined : formatDate(at, 'UTC');
}

function seriesFieldsFor(event: SeriesEvent, source: Record<string, unknown>, settings: TemplateSettings): TemplateFields | undefined {
  const days = formatWeekdays(source.daysOfWeek);
  const localTime = formatLocalTime(source.pickupTime, settings.timeZone);
  if (!days || !localTime) return undefined;
  const referenceCode = typeof source.referenceCode === 'string' && REFERENCE_CODE.test(source.referenceCode) ? source.referenceCode : '';
  const named = source[SERIES_DATES[event]];
  const date = formatLocalDate(named);
  // An ended series without a last ride says "no more rides": only when the writer named none, never for a date it named badly.
  if (event === 'series_ended' && named !== undefined && !date) return undefined;
  return {
    referenceCode,
    days,
    localTime,
    ...(date ? { date } : {}),
    status: STATUS_LABELS[event],
    providerName: settings.providerName,
  };
}

/**
 * Builds the allow-list from an outbox payload by naming each allowed key: nothing else in the
 * payload (whatever a writer put there) is read. Returns undefined when the payload has no valid
 * reference code, because a receipt without one means nothing to the rider; a message about a
 * series instead needs its days and time (its code, when the writer gives one, is shown too).
 */
export function templateFieldsFor(event: NotificationEvent, payload: unknown, settings: TemplateSettings): TemplateFields | undefined {
  const source = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  if (isSeriesEvent(event)) return seriesFieldsFor(event, source, settings);
  const referenceCode = source.referenceCode;
  if (typeof referenceCode !== 'string' || !REFERENCE_CODE.test(referenceCode)) return undefined;
  const appointmentAt = instant(source.appointmentAt);
  const windowStart = instant(source.pickupWindowStart);
  const windowEnd = instant(source.pickupWindowEnd);
  const window = windowStart && windowEnd && windowEnd.getTime() >= windowStart.getTime()
    ? { start: windowStart, end: windowEnd }
    : undefined;
  const day = WINDOW_EVENTS.has(event) ? (window?.start ?? appointmentAt) : (appointmentAt ?? window?.start);
  return {
    referenceCode,
    ...(day ? { date: formatDate(day, settings.timeZone) } : {}),
    ...(window ? { timeWindow: formatWindow(window.start, window.end, settings.timeZone) } : {}),
    status: STATUS_LABELS[event],
    providerName: settings.providerName,
  };
}
