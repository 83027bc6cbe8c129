import type { NotificationEvent } from '../../shared/outbox/write';

/**
 * The wording of each notification. A template sees only sanitised copies of the allow-listed
 * fields (SafeFields: the SMS ones are GSM-7 already, the email ones plain text), and says what
 * happened to the ride — never why, where to, or for what care.
 */
export interface SafeFields {
  readonly referenceCode: string;
  readonly date: string;
  readonly timeWindow: string;
  readonly status: string;
  readonly providerName: string;
  readonly days: string;
  readonly localTime: string;
}

export interface EventTemplate {
  /** The SMS sentence(s) between the provider prefix and the opt-out line. */
  sms(fields: SafeFields): string;
  subject(fields: SafeFields): string;
  /** Email paragraphs, before the details table. */
  paragraphs(fields: SafeFields): string[];
  /** The details table's name for the date ("Date" unless the event says what the date is). */
  readonly dateLabel?: string;
}

const on = (date: string, word: string) => (date ? ` ${word} ${date}` : '');
const standingRide = (f: SafeFields) => (f.referenceCode ? `Standing ride ${f.referenceCode}` : 'Your standing ride');
/** Which series: a rider may have more than one, and a series has no code of its own. */
const series = (f: SafeFields, at = '') => `${standingRide(f)}${f.days && f.localTime ? ` (${f.days}, pickup ${at}${f.localTime})` : ''}`;

export const EVENT_TEMPLATES: Readonly<Record<NotificationEvent, EventTemplate>> = {
  request_received: {
    sms: (f) => `Ride request ${f.referenceCode}${on(f.date, 'for')} received. We will send your pickup window when it is scheduled.`,
    subject: (f) => `Ride request ${f.referenceCode} received`,
    paragraphs: (f) => [
      `We received your ride request ${f.referenceCode}${on(f.date, 'for')}.`,
      'We will send you the pickup window as soon as the ride is scheduled.',
    ],
  },
  trip_scheduled: {
    sms: (f) => `Ride ${f.referenceCode} is scheduled${on(f.date, 'for')}.${f.timeWindow ? ` Pickup window ${f.timeWindow}.` : ''}`,
    subject: (f) => `Ride ${f.referenceCode} is scheduled`,
    paragraphs: (f) => [
      `Your ride ${f.referenceCode} is scheduled${on(f.date, 'for')}.`,
      f.timeWindow ? `Please be ready during the pickup window, ${f.timeWindow}.` : 'Please be ready at your pickup time.',
    ],
  },
  cancellation_approved: {
    sms: (f) => `Ride ${f.referenceCode}${on(f.date, 'on')} is cancelled as requested.`,
    subject: (f) => `Ride ${f.referenceCode} is cancelled`,
    paragraphs: (f) => [`Your ride ${f.referenceCode}${on(f.date, 'on')} is cancelled as you requested.`],
  },
  cancellation_denied: {
    sms: (f) => `Ride ${f.referenceCode}${on(f.date, 'on')} could not be cancelled; it is still booked. Call us with questions.`,
    subject: (f) => `Ride ${f.referenceCode} is still scheduled`,
    paragraphs: (f) => [
      `We could not cancel your ride ${f.referenceCode}${on(f.date, 'on')}; it is still scheduled.`,
      'Please call us if you have questions.',
    ],
  },
  request_rejected: {
    sms: (f) => `We cannot provide ride ${f.referenceCode}. Call us for details.`,
    subject: (f) => `Ride request ${f.referenceCode} not accepted`,
    paragraphs: (f) => [`We are unable to provide ride ${f.referenceCode}.`, 'Please call us for details.'],
  },
  driver_en_route: {
    sms: (f) => `Your driver is on the way for ride ${f.referenceCode}${f.timeWindow ? `, pickup window ${f.timeWindow}` : ''}.`,
    subject: (f) => `Your driver is on the way (ride ${f.referenceCode})`,
    paragraphs: (f) => [`Your driver is on the way for ride ${f.referenceCode}.`],
  },
  // Once per accepted series; the rides themselves come with their own reminders and codes.
  series_confirmed: {
    dateLabel: 'Starting',
    sms: (f) => `${standingRide(f)} is confirmed: ${f.days}, pickup ${f.localTime}${on(f.date, 'from')}.`,
    subject: (f) => `${standingRide(f)} is confirmed`,
    paragraphs: (f) => [
      `${standingRide(f)} is confirmed: ${f.days}, pickup at ${f.localTime}${on(f.date, 'starting')}.`,
      'Please call us if a day needs to change.',
    ],
  },
  ride_reminder: {
    sms: (f) => `Reminder: ride ${f.referenceCode} is tomorrow${f.date ? `, ${f.date}` : ''}.${f.timeWindow ? ` Pickup window ${f.timeWindow}.` : ''}`,
    subject: (f) => `Reminder: ride ${f.referenceCode} is tomorrow`,
    paragraphs: (f) => [
      `This is a reminder that your ride ${f.referenceCode} is tomorrow${f.date ? `, ${f.date}` : ''}.`,
      f.timeWindow ? `Please be ready during the pickup window, ${f.timeWindow}.` : 'Please be ready at your pickup time.',
    ],
  },
  // Once per change of the series, never per ride: the date says from when it holds.
  series_paused: {
    dateLabel: 'Paused from',
    sms: (f) => `${series(f)} is paused${on(f.date, 'from')}.`,
    subject: (f) => `${standingRide(f)} is paused`,
    paragraphs: (f) => [
      `${series(f, 'at ')} is paused${on(f.date, 'from')}.`,
      'Please call us when you would like it to resume.',
    ],
  },
  series_resumed: {
    dateLabel: 'Resuming from',
    sms: (f) => `${series(f)} is resumed${on(f.date, 'from')}.`,
    subject: (f) => `${standingRide(f)} is resumed`,
    paragraphs: (f) => [
      `${series(f, 'at ')} is resumed${on(f.date, 'from')}.`,
      'Please call us if a day needs to change.',
    ],
  },
  series_ended: {
    dateLabel: 'Last ride',
    sms: (f) => `${series(f)} has ended; ${f.date ? `last ride ${f.date}` : 'no more rides'}.`,
    subject: (f) => `${standingRide(f)} has ended`,
    paragraphs: (f) => [
      `${series(f, 'at ')} has ended. ${f.date ? `Your last ride is on ${f.date}.` : 'There are no more rides in it.'}`,
      'Please call us if you have questions.',
    ],
  },
};
