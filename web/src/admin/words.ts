import type { Facility, Role, User, Vehicle } from '../api/contract';

/** The administration screens' words for the API's enums and flags (the shared ones are in lib/words.ts). */
export const FACILITY_KIND: Record<Facility['kind'], string> = {
  facility: 'Facility (books for its patients)',
  individual: 'Private-pay rider',
};

export function notificationsText(facility: Pick<Facility, 'notifyDriverEnRoute' | 'notifyRideReminder'>): string {
  const messages = [
    facility.notifyDriverEnRoute ? 'driver on the way' : '',
    facility.notifyRideReminder ? 'evening reminder' : '',
  ].filter(Boolean);
  return messages.length > 0 ? `Messages: ${messages.join(', ')}` : 'No messages to riders';
}

export const VEHICLE_STATUS: Record<Vehicle['status'], string> = {
  in_service: 'in service',
  out_of_service: 'out of service',
  retired: 'retired',
};

/** "4 seats, 2 wheelchair positions, bariatric lift, oxygen". */
export function capabilitiesText(capabilities: Vehicle['capabilities']): string {
  const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  const parts = [plural(capabilities.ambulatorySeats, 'seat', 'seats')];
  if (capabilities.wheelchairPositions > 0) {
    parts.push(plural(capabilities.wheelchairPositions, 'wheelchair position', 'wheelchair positions'));
  }
  if (capabilities.bariatric) parts.push('bariatric lift');
  if (capabilities.stretcher) parts.push('stretcher');
  if (capabilities.oxygen) parts.push('oxygen');
  return parts.join(', ');
}

/** The roles each administrator may give: a FacilityAdmin only its own facility's two. */
export const GRANTABLE_ROLES: Record<'Dispatcher' | 'FacilityAdmin', readonly Role[]> = {
  Dispatcher: ['Dispatcher', 'Driver', 'Billing', 'FacilityAdmin', 'FacilityUser'],
  FacilityAdmin: ['FacilityAdmin', 'FacilityUser'],
};

export function userStateText(user: Pick<User, 'active'>): string {
  return user.active ? 'active' : 'disabled';
}
