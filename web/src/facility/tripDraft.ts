import type { Mobility, TripRequest } from '../api/contract';
import { zonedInputToIso } from '../lib/time';

/** A trip request as the form holds it: the inputs' values, times on the appointment's day in the provider's zone. */
export interface TripDraft {
  riderId: string;
  date: string;
  appointmentTime: string;
  pickupTime: string;
  returnTrip: TripRequest['returnTrip'];
  returnTime: string;
  pickupAddress: string;
  dropoffAddress: string;
  mobility: Mobility;
  oxygen: boolean;
  companions: number;
  clinicalNotes: string;
}

export const emptyTripDraft = (date: string): TripDraft => ({
  riderId: '', date, appointmentTime: '', pickupTime: '', returnTrip: 'none', returnTime: '', pickupAddress: '',
  dropoffAddress: '', mobility: 'ambulatory', oxygen: false, companions: 0, clinicalNotes: '',
});

/**
 * Where the API's paths are shown in the form: the instants belong to their time inputs (the day
 * is shared, so a refused appointment is said at its time, which names the day too).
 */
export const FIELD_OF_PATH: Record<string, keyof TripDraft> = {
  riderId: 'riderId',
  appointmentAt: 'appointmentTime',
  requestedPickupAt: 'pickupTime',
  requestedReturnAt: 'returnTime',
  returnTrip: 'returnTrip',
  pickupAddress: 'pickupAddress',
  dropoffAddress: 'dropoffAddress',
  mobility: 'mobility',
  oxygen: 'oxygen',
  companions: 'companions',
  clinicalNotes: 'clinicalNotes',
};

/** What the form checks before sending; the API checks everything again and answers per field. */
export function tripDraftErrors(draft: TripDraft, timeZone: string): Partial<Record<keyof TripDraft, string>> {
  const errors: Partial<Record<keyof TripDraft, string>> = {};
  if (!draft.riderId) errors.riderId = 'Choose the rider, or register a new one.';
  if (!draft.date) errors.date = 'Enter the day of the appointment.';
  if (!draft.appointmentTime) errors.appointmentTime = 'Enter the appointment time.';
  if (!draft.pickupAddress.trim()) errors.pickupAddress = 'Enter where to pick them up.';
  if (!draft.dropoffAddress.trim()) errors.dropoffAddress = 'Enter where they are going.';
  if (draft.returnTrip === 'scheduled' && !draft.returnTime) errors.returnTime = 'Enter when to pick them up to come back.';
  const appointment = draft.date && draft.appointmentTime ? zonedInputToIso(draft.date, draft.appointmentTime, timeZone) : null;
  if (appointment && Date.parse(appointment) < Date.now()) errors.appointmentTime = 'This time is already past; give one still to come.';
  if (draft.pickupTime && draft.appointmentTime && draft.pickupTime >= draft.appointmentTime) {
    errors.pickupTime = 'The pickup must be before the appointment.';
  }
  if (draft.returnTrip === 'scheduled' && draft.returnTime && draft.appointmentTime && draft.returnTime <= draft.appointmentTime) {
    errors.returnTime = 'The return pickup must be after the appointment.';
  }
  return errors;
}

/** The body of POST /v1/trip-requests (a facility's tenant comes from its token). */
export function tripCreateBody(draft: TripDraft, timeZone: string) {
  const at = (time: string) => zonedInputToIso(draft.date, time, timeZone) ?? '';
  return {
    riderId: draft.riderId,
    pickupAddress: draft.pickupAddress.trim(),
    dropoffAddress: draft.dropoffAddress.trim(),
    appointmentAt: at(draft.appointmentTime),
    ...(draft.pickupTime ? { requestedPickupAt: at(draft.pickupTime) } : {}),
    returnTrip: draft.returnTrip,
    ...(draft.returnTrip === 'scheduled' ? { requestedReturnAt: at(draft.returnTime) } : {}),
    mobility: draft.mobility,
    oxygen: draft.oxygen,
    companions: draft.companions,
    ...(draft.clinicalNotes.trim() ? { clinicalNotes: draft.clinicalNotes.trim() } : {}),
  };
}
