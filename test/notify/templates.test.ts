import fc from 'fast-check';
import { EVENT_TEMPLATES } from '../../lambdas/notify/templates/events';
import { type TemplateFields, templateFieldsFor } from '../../lambdas/notify/templates/fields';
import { assertTimeZone } from '../../lambdas/shared/domain/time-zone';
import { FIELD_LIMITS, renderEmail, renderSms, SMS_MAX_CHARS, SMS_OPT_OUT } from '../../lambdas/notify/templates/render';
import { isGsm7Basic } from '../../lambdas/notify/templates/text';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../lambdas/shared/outbox/write';

const SETTINGS = { providerName: 'Sunrise Transport', timeZone: 'America/New_York' };
const PAYLOAD = {
  referenceCode: 'ABCDE-FGHJK',
  appointmentAt: '2030-03-04T15:00:00Z',
  pickupWindowStart: '2030-03-04T14:00:00Z',
  pickupWindowEnd: '2030-03-04T14:30:00Z',
  daysOfWeek: [5, 1, 3],
  pickupTime: '07:00',
  startDate: '2030-03-04',
  fromDate: '2030-03-11',
  lastRideDate: '2030-03-08',
};
const ALLOWED_KEYS = ['referenceCode', 'date', 'timeWindow', 'status', 'providerName', 'days', 'localTime'];

/** What a careless caller might hold and pass along: everything about the trip and the rider. */
const SECRETS = {
  clinicalNotes: 'SECRET-NOTES dialysis three times weekly',
  diagnosis: 'SECRET-DIAGNOSIS',
  appointmentType: 'SECRET-APPT-TYPE oncology',
  facilityName: 'SECRET-FACILITY Cancer Center',
  fullName: 'SECRET-NAME Jane Rider',
  phone: '+15550009999',
  email: 'secret-rider@example.test',
  homeAddress: 'SECRET-ADDRESS 12 Elm St',
  dropoffAddress: 'SECRET-DROPOFF 9 Clinic Rd',
  dateOfBirth: '1950-01-01',
  mobility: 'SECRET-MOBILITY stretcher',
};
const SECRET_MARKERS = ['SECRET', 'dialysis', 'oncology', 'Cancer', 'Jane', '5550009999', 'secret-rider', 'Elm St', 'Clinic Rd',
  '1950', 'stretcher'];

function everyRendering(event: NotificationEvent, fields: TemplateFields): string[] {
  const email = renderEmail(event, fields);
  return [renderSms(event, fields), email.subject, email.text, email.html];
}

function fieldsFor(event: NotificationEvent, payload: unknown = PAYLOAD): TemplateFields {
  const fields = templateFieldsFor(event, payload, SETTINGS);
  if (!fields) throw new Error('expected template fields');
  return fields;
}

describe('every event has an SMS and an email template with receipt-level content', () => {
  const expectations: Record<NotificationEvent, { sms: RegExp; subject: RegExp }> = {
    request_received: { sms: /^Sunrise Transport: Ride request ABCDE-FGHJK for Mon, Mar 4 received\./, subject: /received/ },
    trip_scheduled: { sms: /^Sunrise Transport: Ride ABCDE-FGHJK is scheduled for Mon, Mar 4\. Pickup window 9:00-9:30 AM EST\./, subject: /scheduled/ },
    cancellation_approved: { sms: /^Sunrise Transport: Ride ABCDE-FGHJK on Mon, Mar 4 is cancelled/, subject: /cancelled/ },
    cancellation_denied: { sms: /^Sunrise Transport: Ride ABCDE-FGHJK on Mon, Mar 4 could not be cancelled/, subject: /still scheduled/ },
    request_rejected: { sms: /^Sunrise Transport: We cannot provide ride ABCDE-FGHJK\./, subject: /not accepted/ },
    driver_en_route: { sms: /^Sunrise Transport: Your driver is on the way for ride ABCDE-FGHJK, pickup window 9:00-9:30 AM EST\./, subject: /on the way/ },
    series_confirmed: {
      sms: /^Sunrise Transport: Standing ride ABCDE-FGHJK is confirmed: Mon, Wed, Fri, pickup 7:00 AM Eastern Time from Mon, Mar 4\./,
      subject: /Standing ride ABCDE-FGHJK is confirmed/,
    },
    ride_reminder: {
      sms: /^Sunrise Transport: Reminder: ride ABCDE-FGHJK is tomorrow, Mon, Mar 4\. Pickup window 9:00-9:30 AM EST\./,
      subject: /Reminder: ride ABCDE-FGHJK is tomorrow/,
    },
    series_paused: {
      sms: /^Sunrise Transport: Standing ride ABCDE-FGHJK \(Mon, Wed, Fri, pickup 7:00 AM Eastern Time\) is paused from Mon, Mar 11\./,
      subject: /Standing ride ABCDE-FGHJK is paused/,
    },
    series_resumed: {
      sms: /^Sunrise Transport: Standing ride ABCDE-FGHJK \(Mon, Wed, Fri, pickup 7:00 AM Eastern Time\) is resumed from Mon, Mar 11\./,
      subject: /Standing ride ABCDE-FGHJK is resumed/,
    },
    series_ended: {
      sms: /^Sunrise Transport: Standing ride ABCDE-FGHJK \(Mon, Wed, Fri, pickup 7:00 AM Eastern Time\) has ended; last ride Fri, Mar 8\./,
      subject: /Standing ride ABCDE-FGHJK has ended/,
    },
  };

  test.each(NOTIFICATION_EVENTS)('%s', (event) => {
    const fields = fieldsFor(event);
    const sms = renderSms(event, fields);
    expect(sms).toMatch(expectations[event].sms);
    expect(sms.endsWith(SMS_OPT_OUT)).toBe(true);
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(isGsm7Basic(sms)).toBe(true);

    const email = renderEmail(event, fields);
    expect(email.subject).toMatch(expectations[event].subject);
    expect(email.subject).toContain('ABCDE-FGHJK');
    expect(email.text).toContain('Reference: ABCDE-FGHJK');
    expect(email.text).toContain(`Status: ${fields.status}`);
    expect(email.html).toContain('<strong>ABCDE-FGHJK</strong>');
    expect(email.html.startsWith('<!DOCTYPE html>')).toBe(true);
  });
});

test('dates and windows are shown in the provider time zone', () => {
  const window = { referenceCode: 'ABCDE-FGHJK', pickupWindowStart: '2030-03-04T23:45:00Z', pickupWindowEnd: '2030-03-05T00:15:00Z' };
  expect(templateFieldsFor('trip_scheduled', window, { ...SETTINGS, timeZone: 'America/New_York' })).toMatchObject({
    date: 'Mon, Mar 4', timeWindow: '6:45-7:15 PM EST',
  });
  expect(templateFieldsFor('trip_scheduled', window, { ...SETTINGS, timeZone: 'America/Los_Angeles' })).toMatchObject({
    date: 'Mon, Mar 4', timeWindow: '3:45-4:15 PM PST',
  });
  // English has no abbreviation for Central European Time: the offset stands in for it.
  expect(templateFieldsFor('trip_scheduled', window, { ...SETTINGS, timeZone: 'Europe/Berlin' })).toMatchObject({
    date: 'Tue, Mar 5', timeWindow: '12:45-1:15 AM GMT+1',
  });
  const acrossNoon = { referenceCode: 'ABCDE-FGHJK', pickupWindowStart: '2030-03-04T16:45:00Z', pickupWindowEnd: '2030-03-04T17:15:00Z' };
  expect(templateFieldsFor('trip_scheduled', acrossNoon, SETTINGS)?.timeWindow).toBe('11:45 AM-12:15 PM EST');
});

describe('a pickup window names the zone its clock times are in (PROVIDER_TIME_ZONE), daylight saving included', () => {
  const windowAt = (start: string, end: string, timeZone = 'America/New_York') =>
    templateFieldsFor('trip_scheduled', { referenceCode: 'ABCDE-FGHJK', pickupWindowStart: start, pickupWindowEnd: end },
      { ...SETTINGS, timeZone })?.timeWindow;

  test('standard time in winter, daylight time in summer', () => {
    expect(windowAt('2030-01-15T14:00:00Z', '2030-01-15T14:30:00Z')).toBe('9:00-9:30 AM EST');
    expect(windowAt('2030-07-15T14:00:00Z', '2030-07-15T14:30:00Z')).toBe('10:00-10:30 AM EDT');
    expect(windowAt('2030-07-15T14:00:00Z', '2030-07-15T14:30:00Z', 'America/Los_Angeles')).toBe('7:00-7:30 AM PDT');
    // Arizona keeps standard time all year.
    expect(windowAt('2030-07-15T14:00:00Z', '2030-07-15T14:30:00Z', 'America/Phoenix')).toBe('7:00-7:30 AM MST');
  });

  test('the days the clocks change: before and after the change, and a window across it names both zones', () => {
    // 2030-03-10: 2:00 AM EST becomes 3:00 AM EDT.
    expect(windowAt('2030-03-10T06:00:00Z', '2030-03-10T06:30:00Z')).toBe('1:00-1:30 AM EST');
    expect(windowAt('2030-03-10T07:00:00Z', '2030-03-10T07:30:00Z')).toBe('3:00-3:30 AM EDT');
    expect(windowAt('2030-03-10T06:45:00Z', '2030-03-10T07:15:00Z')).toBe('1:45 AM EST-3:15 AM EDT');
    // 2030-11-03: 2:00 AM EDT becomes 1:00 AM EST, so 1:15 AM happens twice; the zone tells which.
    expect(windowAt('2030-11-03T05:15:00Z', '2030-11-03T05:30:00Z')).toBe('1:15-1:30 AM EDT');
    expect(windowAt('2030-11-03T06:15:00Z', '2030-11-03T06:30:00Z')).toBe('1:15-1:30 AM EST');
    expect(windowAt('2030-11-03T05:45:00Z', '2030-11-03T06:15:00Z')).toBe('1:45 AM EDT-1:15 AM EST');
  });

  test('the zone reaches the SMS and the email, and the SMS still fits one GSM-7 segment', () => {
    const fields = fieldsFor('trip_scheduled', { ...PAYLOAD, pickupWindowStart: '2030-03-10T06:45:00Z', pickupWindowEnd: '2030-03-10T07:15:00Z' });
    const sms = renderSms('trip_scheduled', fields);
    expect(sms).toContain('Pickup window 1:45 AM EST-3:15 AM EDT.');
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(isGsm7Basic(sms)).toBe(true);
    expect(renderEmail('trip_scheduled', fields).text).toContain('Pickup window: 1:45 AM EST-3:15 AM EDT');
    expect(renderSms('driver_en_route', fieldsFor('driver_en_route'))).toContain('pickup window 9:00-9:30 AM EST.');
  });
});

describe('series confirmation: days and local time, the zone named, receipt-level', () => {
  const series = { daysOfWeek: [3, 1, 5], pickupTime: '07:00', startDate: '2030-03-04' };

  test('the same wall-clock time all year, so the zone is named generically, not as EST or EDT', () => {
    const fields = templateFieldsFor('series_confirmed', series, SETTINGS);
    expect(fields).toEqual({ referenceCode: '', days: 'Mon, Wed, Fri', localTime: '7:00 AM Eastern Time', date: 'Mon, Mar 4',
      status: 'Confirmed', providerName: 'Sunrise Transport' });
    expect(templateFieldsFor('series_confirmed', { ...series, pickupTime: '13:30' }, { ...SETTINGS, timeZone: 'America/Los_Angeles' })
      ?.localTime).toBe('1:30 PM Pacific Time');
    expect(templateFieldsFor('series_confirmed', { ...series, pickupTime: '00:05', daysOfWeek: [7, 6, 5, 4, 3, 2, 1] }, SETTINGS))
      .toMatchObject({ localTime: '12:05 AM Eastern Time', days: 'every day' });
  });

  test('without a reference code the message still reads, and the email lists days and time', () => {
    const fields = templateFieldsFor('series_confirmed', series, SETTINGS);
    if (!fields) throw new Error('expected fields');
    const sms = renderSms('series_confirmed', fields);
    expect(sms).toBe('Sunrise Transport: Your standing ride is confirmed: Mon, Wed, Fri, pickup 7:00 AM Eastern Time from Mon, Mar 4. '
      + 'Reply STOP to opt out');
    const email = renderEmail('series_confirmed', fields);
    expect(email.text).toContain('Days: Mon, Wed, Fri');
    expect(email.text).toContain('Pickup time: 7:00 AM Eastern Time');
    expect(email.text).toContain('Starting: Mon, Mar 4');
    expect(email.text).not.toContain('Reference:');
  });

  test('days and time are required and validated; nothing else in the payload is read', () => {
    expect(templateFieldsFor('series_confirmed', { pickupTime: '07:00' }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_confirmed', { ...series, daysOfWeek: [] }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_confirmed', { ...series, daysOfWeek: [1, 1] }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_confirmed', { ...series, daysOfWeek: [0, 8] }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_confirmed', { ...series, pickupTime: '24:00' }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_confirmed', { ...series, pickupTime: 'dialysis' }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_confirmed', { ...series, startDate: '2030-02-30' }, SETTINGS)).not.toHaveProperty('date');
  });
});

describe('series paused, resumed, ended: one receipt-level notice per change, the zone named', () => {
  const series = { daysOfWeek: [5, 1, 3], pickupTime: '07:00' };

  test.each([
    ['series_paused', { fromDate: '2030-01-14' }, 'is paused from Mon, Jan 14.', 'Paused from: Mon, Jan 14', 'Paused', 'is paused'],
    ['series_resumed', { fromDate: '2030-01-18' }, 'is resumed from Fri, Jan 18.', 'Resuming from: Fri, Jan 18', 'Resumed', 'is resumed'],
    ['series_ended', { lastRideDate: '2030-01-25' }, 'has ended; last ride Fri, Jan 25.', 'Last ride: Fri, Jan 25', 'Ended', 'has ended'],
  ] as const)('%s: the series by its days and local time, the status and its date', (event, dates, smsEnd, detail, status, subject) => {
    const fields = fieldsFor(event, { ...series, ...dates });
    expect(fields).toMatchObject({ referenceCode: '', status, days: 'Mon, Wed, Fri', localTime: '7:00 AM Eastern Time' });
    const sms = renderSms(event, fields);
    expect(sms).toBe(`Sunrise Transport: Your standing ride (Mon, Wed, Fri, pickup 7:00 AM Eastern Time) ${smsEnd} ${SMS_OPT_OUT}`);
    expect(isGsm7Basic(sms)).toBe(true);
    const email = renderEmail(event, fields);
    expect(email.subject).toBe(`Your standing ride ${subject} - Sunrise Transport`);
    expect(email.text).toContain(detail);
    expect(email.text).toContain('Pickup time: 7:00 AM Eastern Time');
    expect(email.text).toContain(`Status: ${status}`);
    expect(email.text).not.toContain('Reference:');
  });

  test('an ended series with no ride left says so; one with a bad last-ride date is not sent rather than saying it', () => {
    const none = fieldsFor('series_ended', series);
    expect(none).not.toHaveProperty('date');
    expect(renderSms('series_ended', none)).toContain('has ended; no more rides.');
    expect(renderEmail('series_ended', none).text).toContain('There are no more rides in it.');
    expect(templateFieldsFor('series_ended', { ...series, lastRideDate: '2030-02-30' }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor('series_ended', { ...series, lastRideDate: 'dialysis' }, SETTINGS)).toBeUndefined();
    // Paused or resumed without a date still reads, and a bad one is left out.
    expect(renderSms('series_paused', fieldsFor('series_paused', { ...series, fromDate: 'x' }))).toContain('Time) is paused. Reply');
  });

  test('the longest realistic series still fits one segment and names its zone; provider zones other than New York too', () => {
    const fields = templateFieldsFor('series_ended', { daysOfWeek: [1, 2, 3, 4, 5, 6], pickupTime: '12:30', lastRideDate: '2030-09-30' },
      { ...SETTINGS, timeZone: 'Pacific/Honolulu' });
    if (!fields) throw new Error('expected fields');
    const sms = renderSms('series_ended', fields);
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    // The provider's name is shortened to make room; the series and its date are not.
    expect(sms).toBe('Sun...: Your standing ride (Mon, Tue, Wed, Thu, Fri, Sat, pickup 12:30 PM Hawaii-Aleutian Standard Time) has ended; '
      + `last ride Mon, Sep 30. ${SMS_OPT_OUT}`);
    expect(templateFieldsFor('series_paused', { ...series, fromDate: '2030-07-15' }, { ...SETTINGS, timeZone: 'America/Chicago' }))
      .toMatchObject({ localTime: '7:00 AM Central Time', date: 'Mon, Jul 15' });
  });

  test.each(['series_paused', 'series_resumed', 'series_ended'] as const)('%s: days and time are required; addresses and notes never read', (event) => {
    expect(templateFieldsFor(event, { pickupTime: '07:00', fromDate: '2030-01-14' }, SETTINGS)).toBeUndefined();
    expect(templateFieldsFor(event, { daysOfWeek: [1], pickupTime: 'dialysis' }, SETTINGS)).toBeUndefined();
    const fields = fieldsFor(event, { ...SECRETS, ...series, fromDate: '2030-01-14', lastRideDate: '2030-01-25' });
    for (const output of everyRendering(event, fields)) {
      for (const marker of SECRET_MARKERS) expect(output.toLowerCase()).not.toContain(marker.toLowerCase());
    }
  });
});

describe('ride reminder: the date and pickup window of tomorrow\'s ride, in the provider zone', () => {
  test('the window names its zone, daylight saving included', () => {
    const summer = { referenceCode: 'ABCDE-FGHJK', pickupWindowStart: '2030-07-16T11:00:00Z', pickupWindowEnd: '2030-07-16T11:30:00Z' };
    expect(templateFieldsFor('ride_reminder', summer, SETTINGS)).toMatchObject({ date: 'Tue, Jul 16', timeWindow: '7:00-7:30 AM EDT' });
    const email = renderEmail('ride_reminder', fieldsFor('ride_reminder', summer));
    expect(email.text).toContain('Pickup window: 7:00-7:30 AM EDT');
    expect(email.text).toContain('Reference: ABCDE-FGHJK');
  });
});

test('a payload without a usable reference code yields no template fields (the notifier records it as failed)', () => {
  expect(templateFieldsFor('request_received', { appointmentAt: PAYLOAD.appointmentAt }, SETTINGS)).toBeUndefined();
  expect(templateFieldsFor('request_received', { referenceCode: '<script>' }, SETTINGS)).toBeUndefined();
  expect(templateFieldsFor('request_received', { referenceCode: 'A'.repeat(200) }, SETTINGS)).toBeUndefined();
  expect(templateFieldsFor('request_received', null, SETTINGS)).toBeUndefined();
  // Unparseable instants are left out rather than printed.
  expect(templateFieldsFor('trip_scheduled', { referenceCode: 'ABCDE-FGHJK', appointmentAt: 'diabetic clinic', pickupWindowStart: 'x',
    pickupWindowEnd: 'y' }, SETTINGS)).toEqual({ referenceCode: 'ABCDE-FGHJK', status: 'Scheduled', providerName: 'Sunrise Transport' });
});

describe('nothing outside the allow-list can appear', () => {
  test('extra properties on the outbox payload are never read into the template fields', () => {
    for (const event of NOTIFICATION_EVENTS) {
      const fields = fieldsFor(event, { ...SECRETS, ...PAYLOAD, date: 'SECRET-DATE', status: 'SECRET-STATUS', providerName: 'SECRET-PROVIDER' });
      for (const key of Object.keys(fields)) expect(ALLOWED_KEYS).toContain(key);
      expect(JSON.stringify(fields)).not.toMatch(/SECRET|dialysis|oncology|Jane/);
    }
  });

  test.each(NOTIFICATION_EVENTS)('%s: a trip and rider smuggled in through a cast never reach a message', (event) => {
    const smuggled = { ...SECRETS, ...fieldsFor(event), rider: { ...SECRETS }, trip: { ...SECRETS }, toString: () => SECRETS.clinicalNotes };
    for (const output of everyRendering(event, smuggled as never)) {
      for (const marker of SECRET_MARKERS) expect(output.toLowerCase()).not.toContain(marker.toLowerCase());
    }
  });

  test.each(NOTIFICATION_EVENTS)('%s: the renderers read only the allow-listed properties', (event) => {
    const read = new Set<string | symbol>();
    const spy = new Proxy({ ...SECRETS, ...fieldsFor(event) }, {
      get(target, property, receiver) {
        read.add(property);
        return Reflect.get(target, property, receiver);
      },
    });
    everyRendering(event, spy);
    expect([...read].every((property) => ALLOWED_KEYS.includes(String(property)))).toBe(true);
    expect(read.has('referenceCode')).toBe(true);
  });
});

describe('hostile field values are sanitised and bounded', () => {
  const ALLOWED_TAG = /<\/?(?:!DOCTYPE html|html|head|meta|title|body|p|table|tr|td|strong)(?:\s[^<>]*)?>/g;
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.string({ unit: 'grapheme', maxLength: 400 }),
    fc.constantFrom(
      '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'a\r\nBcc: victim@example.test', '\u202Eevil\u202C',
      '\u0000\u0007\u001b[31m', 'x'.repeat(100_000), '😀'.repeat(300), '\uD800lonely', 'Ünïcödé “quotes” — dash…', '{[~^|\\€]}',
      '&amp; &lt;', '\u200B\u200Bhidden', 'Line\u2028separator',
    ),
  );
  const fields = fc.record({
    referenceCode: fc.oneof(hostile, fc.constant('ABCDE-FGHJK'), fc.stringMatching(/^[A-Z0-9-]{1,30}$/)),
    date: fc.option(hostile, { nil: undefined }),
    timeWindow: fc.option(hostile, { nil: undefined }),
    status: fc.option(hostile, { nil: undefined }),
    providerName: hostile,
    days: fc.option(hostile, { nil: undefined }),
    localTime: fc.option(hostile, { nil: undefined }),
  });

  test('every SMS fits one GSM-7 segment, uses only GSM-7 basic characters and keeps the opt-out line', () => {
    fc.assert(fc.property(fc.constantFrom(...NOTIFICATION_EVENTS), fields, (event, input) => {
      const sms = renderSms(event, input);
      expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
      expect(isGsm7Basic(sms)).toBe(true);
      expect(sms.endsWith(SMS_OPT_OUT)).toBe(true);
    }), { numRuns: 400 });
  });

  test('the reference code is never shortened to make room', () => {
    fc.assert(fc.property(fc.constantFrom(...NOTIFICATION_EVENTS), fields, fc.stringMatching(/^[A-Z0-9]{5}-[A-Z0-9]{5}$/), (event, input, code) => {
      expect(renderSms(event, { ...input, referenceCode: code })).toContain(code);
    }), { numRuns: 200 });
  });

  test('email values are escaped: only the template\'s own tags remain, and the subject is one line', () => {
    fc.assert(fc.property(fc.constantFrom(...NOTIFICATION_EVENTS), fields, (event, input) => {
      const email = renderEmail(event, input);
      expect(email.html.replace(ALLOWED_TAG, '')).not.toMatch(/[<>]/);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting they are absent
      expect(email.subject).not.toMatch(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/);
      expect(email.subject.length).toBeLessThanOrEqual(200);
      expect(email.text.length).toBeLessThanOrEqual(2_000);
    }), { numRuns: 400 });
  });

  test('worst cases: maximal fields, markup and a huge provider name', () => {
    const maximal: TemplateFields = {
      referenceCode: 'R'.repeat(FIELD_LIMITS.referenceCode),
      date: 'D'.repeat(500),
      timeWindow: 'W'.repeat(500),
      status: 'S'.repeat(500),
      providerName: 'P'.repeat(5_000),
      days: 'Y'.repeat(500),
      localTime: 'T'.repeat(500),
    };
    for (const event of NOTIFICATION_EVENTS) {
      const sms = renderSms(event, maximal);
      expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
      expect(sms).toContain(maximal.referenceCode);
    }
    const markup: TemplateFields = { referenceCode: 'ABCDE-FGHJK', providerName: '<b>Bold</b> & "Co"', date: '<i>x</i>' };
    const email = renderEmail('cancellation_approved', markup);
    expect(email.html).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Co&quot;');
    expect(email.html).not.toContain('<b>');
    expect(renderSms('cancellation_approved', markup)).toMatch(/^<b>Bold<\/b> & "Co": Ride ABCDE-FGHJK on <i>x<\/i> is cancelled/);
    // GSM-7 has é, Ü and ø but not ï (→ i), curly quotes, dashes or braces.
    expect(renderSms('trip_scheduled', { referenceCode: 'ABCDE-FGHJK', providerName: 'Café “Ünïcødé” — Rides {NY}' }))
      .toMatch(/^Café "Ünicødé" - Rides \(NY\): Ride ABCDE-FGHJK is scheduled\./);
  });

  test('every event has a template', () => {
    expect(Object.keys(EVENT_TEMPLATES).sort()).toEqual([...NOTIFICATION_EVENTS].sort());
  });
});

describe('the configured time zone', () => {
  test('a canonical zone and the aliases the runtime knows are accepted', () => {
    for (const zone of ['America/New_York', 'Pacific/Honolulu', 'US/Eastern', 'UTC']) expect(() => assertTimeZone(zone)).not.toThrow();
  });

  test('a zone the runtime does not know fails as a RangeError', () => {
    for (const zone of ['Mars/Olympus_Mons', 'America/New York', 'america/new_york_']) expect(() => assertTimeZone(zone)).toThrow(RangeError);
  });
});
