import type { Rider, Role, TripRequest, Vehicle } from '../api/contract';
import { formatDateTime } from './time';

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
