import type { LeftAlone, LevelOfService, Rider, Role, StandingOrder, TripRequest, Vehicle } from '../api/contract';
import { formatCalendarDate, formatDateTime, formatWallClock, genericZoneName } from './time';

/**
 * The words the console uses for the API's enums, in one place: the board and the trip detail
 * say the same thing for the same value (never the raw enum).
 */
export const ROLE_NAMES: Record<Role, string> = {
  Dispatcher: 'Dispatcher',
  Driver: 'Driver',
  Billing: 'Billing',
  FacilityAdmin: 'Facility admin',
  FacilityUser: 'Facility scheduler',
};

/** The roles of a facility's own people (FacilityAdmin, FacilityUser), as against the provider's staff. */
export const isFacilityRole = (role: Role) => role === 'FacilityAdmin' || role === 'FacilityUser';

export const MOBILITY: Record<TripRequest['mobility'], string> = {
  ambulatory: 'Walks',
  wheelchair: 'Wheelchair',
  wheelchair_xl: 'Bariatric wheelchair',
  stretcher: 'Stretcher',
};

export const VEHICLE_KIND: Record<Vehicle['kind'], string> = {
  sedan: 'sedan',
  minivan: 'minivan',
  wheelchair_van: 'wheelchair van',
  stretcher_van: 'stretcher van',
};

/** A billing record's level of service (the trip's mobility when the leg ended), as a claim names it. */
export const LEVEL_OF_SERVICE: Record<LevelOfService, string> = {
  ambulatory: 'Ambulatory',
  wheelchair: 'Wheelchair',
  wheelchair_xl: 'Bariatric wheelchair',
  stretcher: 'Stretcher',
};

/** What a trip needs, in words: "Wheelchair, oxygen, 1 companion". */
export function serviceText(trip: Pick<TripRequest, 'mobility' | 'oxygen' | 'companions'>): string {
  const parts = [MOBILITY[trip.mobility]];
  if (trip.oxygen) parts.push('oxygen');
  if (trip.companions > 0) parts.push(`${trip.companions} ${trip.companions === 1 ? 'companion' : 'companions'}`);
  return parts.join(', ');
}

/** "Van 7 (wheelchair van)" */
export function vehicleText(vehicle: Pick<Vehicle, 'name' | 'kind'>): string {
  return `${vehicle.name} (${VEHICLE_KIND[vehicle.kind]})`;
}

export const SOURCE: Record<TripRequest['source'], string> = {
  intake: 'Public request',
  facility: 'Facility',
  dispatcher: 'Dispatcher',
};

export const NOTIFY_CHANNEL: Record<Rider['notifyChannel'], string> = {
  sms: 'Text message',
  email: 'Email',
  none: 'No messages',
};

/** How the rider hears about the ride: the channel, or why not. */
export function messagesText(rider: Pick<Rider, 'notifyChannel' | 'notifyConsent' | 'smsOptedOut'>): string {
  if (rider.notifyChannel === 'none') return NOTIFY_CHANNEL.none;
  if (!rider.notifyConsent) return 'No messages (no consent)';
  if (rider.notifyChannel === 'sms' && rider.smsOptedOut) return 'No messages (opted out of texts)';
  return NOTIFY_CHANNEL[rider.notifyChannel];
}

/** The return ride a request asks for, as a sentence part. */
export function returnText(trip: Pick<TripRequest, 'returnTrip' | 'requestedReturnAt'>, timeZone: string): string {
  if (trip.returnTrip === 'none') return 'No return';
  if (trip.returnTrip === 'will_call') return 'Will-call return (they will phone)';
  return `Return at ${trip.requestedReturnAt ? formatDateTime(trip.requestedReturnAt, timeZone) : 'a time to agree'}`;
}

/** "+15550100201" → "(555) 010-0201" for North American numbers; any other number as the API has it. */
export function formatPhone(e164: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : e164;
}

/** ISO weekdays, 1 = Monday … 7 = Sunday, as the API numbers a standing order's days. */
export const WEEKDAYS: readonly { iso: number; short: string; long: string }[] = [
  { iso: 1, short: 'Mon', long: 'Monday' },
  { iso: 2, short: 'Tue', long: 'Tuesday' },
  { iso: 3, short: 'Wed', long: 'Wednesday' },
  { iso: 4, short: 'Thu', long: 'Thursday' },
  { iso: 5, short: 'Fri', long: 'Friday' },
  { iso: 6, short: 'Sat', long: 'Saturday' },
  { iso: 7, short: 'Sun', long: 'Sunday' },
];

/** "Mon, Wed, Fri"; "Mon–Fri" for the working week; "Every day" for all seven. */
export function daysText(days: readonly number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length === 7) return 'Every day';
  if (sorted.join() === '1,2,3,4,5') return 'Mon–Fri';
  return sorted.map((iso) => WEEKDAYS.find((day) => day.iso === iso)?.short ?? String(iso)).join(', ');
}

/**
 * "Mon, Wed, Fri · pickup 6:30 AM ET · appointment 7:00 AM": a series' times are wall-clock
 * times that hold all year (EST in winter, EDT in summer), so the zone is named generically.
 * As parts, so that a screen can keep each on one line.
 */
export function seriesTimesParts(series: Pick<StandingOrder, 'daysOfWeek' | 'pickupTime' | 'appointmentTime'>, timeZone: string): string[] {
  return [
    daysText(series.daysOfWeek),
    `pickup ${formatWallClock(series.pickupTime)} ${genericZoneName(timeZone)}`,
    `appointment ${formatWallClock(series.appointmentTime)}`,
  ];
}

/** The words for a series' fields where the API's messages name them by key ("Must be before appointmentTime"). */
export const SERIES_FIELD_WORDS: Readonly<Record<string, string>> = {
  appointmentTime: 'the appointment time',
  pickupTime: 'the pickup time',
  returnPickupTime: 'the return pickup time',
  startDate: 'the first day',
  endDate: 'the last day',
  daysOfWeek: 'the days',
};

/** An API message with the field keys it names said in words: "Must be before appointmentTime" → "… the appointment time". */
export function fieldWordsMessage(message: string, words: Readonly<Record<string, string>>): string {
  // The keys are identifiers (letters and digits): nothing in them needs escaping.
  const keys = new RegExp(`\\b(${Object.keys(words).join('|')})\\b`, 'g');
  return message.replace(keys, (key) => words[key] ?? key);
}

export const RETURN_MODE: Record<StandingOrder['returnMode'], string> = {
  timed: 'At a set time',
  will_call: 'Will-call (they phone when ready)',
  none: 'No return',
};

/** The return ride of a series, as a sentence part. */
export function seriesReturnText(series: Pick<StandingOrder, 'returnMode' | 'returnPickupTime'>, timeZone: string): string {
  if (series.returnMode === 'none') return 'No return';
  if (series.returnMode === 'will_call') return 'Will-call return (they will phone)';
  return series.returnPickupTime
    ? `Return pickup at ${formatWallClock(series.returnPickupTime)} ${genericZoneName(timeZone)}`
    : 'Return at a time to agree';
}

/** "From Tue, Jun 23, no end date" / "From Tue, Jun 23 to Fri, Jul 31". */
export function seriesDatesText(series: Pick<StandingOrder, 'startDate' | 'endDate'>): string {
  const from = `From ${formatCalendarDate(series.startDate)}`;
  return series.endDate ? `${from} to ${formatCalendarDate(series.endDate)}` : `${from}, no end date`;
}

const LEFT_ALONE_REASON: Record<LeftAlone['reason'], string> = {
  assigned: 'a driver is already assigned',
  started: 'the ride has started',
  cancelled: 'its trip was cancelled',
};

/** "Wed, Jun 24 kept as it was: a driver is already assigned." */
export function leftAloneText(item: LeftAlone): string {
  return `${formatCalendarDate(item.occurrenceDate)} kept as it was: ${LEFT_ALONE_REASON[item.reason] ?? item.reason}.`;
}

/** "picked up" → "Picked up": a word list's item at the start of a sentence or a heading. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
