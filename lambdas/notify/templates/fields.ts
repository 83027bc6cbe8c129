import type { NotificationEvent } from '../../shared/outbox/write';

/**
 * Everything a template may print — the whole allow-list. Templates are functions of this type
 * only; they never receive a trip, rider or outbox row, so nothing else can reach a message.
 * Values are display strings, already formatted in the provider's time zone.
 */
export interface TemplateFields {
  readonly referenceCode: string;
  readonly date?: string;
  readonly timeWindow?: string;
  readonly status?: string;
  readonly providerName: string;
}

export interface TemplateSettings {
  readonly providerName: string;
  /** IANA zone the provider works in; dates and windows are shown in it. */
  readonly timeZone: string;
}

export const DEFAULT_TIME_ZONE = 'America/New_York';

/** Receipt-level status words per event: what happened, never why. */
export const STATUS_LABELS: Readonly<Record<NotificationEvent, string>> = {
  request_received: 'Received',
  trip_scheduled: 'Scheduled',
  cancellation_approved: 'Cancelled',
  cancellation_denied: 'Still scheduled',
  request_rejected: 'Not accepted',
  driver_en_route: 'Driver on the way',
};

const REFERENCE_CODE = /^[A-Z0-9][A-Z0-9-]{0,23}$/;

/** Throws a RangeError for a zone the runtime does not know, so bad config fails at start-up. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
}

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

const STYLES: Readonly<Record<'date' | 'time' | 'zone', Intl.DateTimeFormatOptions>> = {
  date: { weekday: 'short', month: 'short', day: 'numeric' },
  time: { hour: 'numeric', minute: '2-digit', hour12: true },
  zone: { timeZoneName: 'short' },
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

/**
 * Builds the allow-list from an outbox payload by naming each allowed key: nothing else in the
 * payload (whatever a writer put there) is read. Returns undefined when the payload has no valid
 * reference code, because a receipt without one means nothing to the rider.
 */
export function templateFieldsFor(event: NotificationEvent, payload: unknown, settings: TemplateSettings): TemplateFields | undefined {
  const source = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const referenceCode = source.referenceCode;
  if (typeof referenceCode !== 'string' || !REFERENCE_CODE.test(referenceCode)) return undefined;
  const appointmentAt = instant(source.appointmentAt);
  const windowStart = instant(source.pickupWindowStart);
  const windowEnd = instant(source.pickupWindowEnd);
  const window = windowStart && windowEnd && windowEnd.getTime() >= windowStart.getTime()
    ? { start: windowStart, end: windowEnd }
    : undefined;
  const day = event === 'trip_scheduled' || event === 'driver_en_route' ? (window?.start ?? appointmentAt) : (appointmentAt ?? window?.start);
  return {
    referenceCode,
    ...(day ? { date: formatDate(day, settings.timeZone) } : {}),
    ...(window ? { timeWindow: formatWindow(window.start, window.end, settings.timeZone) } : {}),
    status: STATUS_LABELS[event],
    providerName: settings.providerName,
  };
}
