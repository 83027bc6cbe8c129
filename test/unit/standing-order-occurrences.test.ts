import fc from 'fast-check';
import {
  addDays, isoWeekday, localInstant, nextOccurrences, occurrenceDates, occurrences, type SeriesPattern, type SeriesTimes,
} from '../../lambdas/shared/standing-orders/occurrences';

/**
 * Occurrence expansion (docs/architecture.md, "Standing orders"), checked against the zone rules
 * through Intl, independently of how the code converts: every pickup reads as the series' local time
 * on one of its weekdays, in America/New_York and Australia/Sydney (southern hemisphere: its
 * daylight saving runs the other way), across the DST changes, leap days, exclusions and end dates.
 */
const ZONES = ['America/New_York', 'Australia/Sydney'] as const;

function wallClock(at: string, timeZone: string): { date: string; time: string; weekday: number } {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short',
  }).formatToParts(new Date(at)).map((part) => [part.type, part.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday as string) + 1;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}`, weekday };
}

const day = fc.integer({ min: 0, max: 3 * 365 }).map((offset) => addDays('2027-01-01', offset));
const minutes = (from: number, to: number) => fc.integer({ min: from, max: to })
  .map((value) => `${String(Math.floor(value / 60)).padStart(2, '0')}:${String(value % 60).padStart(2, '0')}`);

const series = fc.record({
  daysOfWeek: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
  startDate: day,
  length: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
  excluded: fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 20 }),
  // Clear of the 02:00-03:00 hour both zones change in: there every local time exists exactly once.
  pickupTime: minutes(3 * 60 + 1, 12 * 60),
  zone: fc.constantFrom(...ZONES),
}).map(({ daysOfWeek, startDate, length, excluded, pickupTime, zone }) => ({
  zone,
  pattern: {
    daysOfWeek, startDate, endDate: length === null ? null : addDays(startDate, length),
    excludedDates: excluded.map((offset) => addDays(startDate, offset)),
    pickupTime, appointmentTime: '13:00', returnMode: 'timed', returnPickupTime: '15:30',
  } satisfies SeriesPattern & SeriesTimes,
}));

describe('occurrence dates', () => {
  test('every date is one of the series days, within start and end, not excluded, in order, and none is missed', () => {
    fc.assert(fc.property(series, day, fc.integer({ min: 0, max: 120 }), ({ pattern }, from, span) => {
      const through = addDays(from, span);
      const dates = occurrenceDates(pattern, from, through);
      expect([...dates].sort()).toEqual(dates);
      for (const date of dates) {
        expect(pattern.daysOfWeek).toContain(isoWeekday(date));
        expect(date >= pattern.startDate && date >= from && date <= through).toBe(true);
        if (pattern.endDate) expect(date <= pattern.endDate).toBe(true);
        expect(pattern.excludedDates).not.toContain(date);
      }
      // Completeness: a day of the window that is not listed fails one of the rules.
      for (let date = from; date <= through; date = addDays(date, 1)) {
        const qualifies = pattern.daysOfWeek.includes(isoWeekday(date)) && date >= pattern.startDate
          && (pattern.endDate === null || date <= pattern.endDate) && !pattern.excludedDates.includes(date);
        expect(dates.includes(date)).toBe(qualifies);
      }
    }), { numRuns: 200 });
  });

  test('leap days: 29 February 2028 is a Tuesday occurrence, and no 29 February appears in 2027', () => {
    const tuesdays: SeriesPattern = { daysOfWeek: [2], startDate: '2027-01-01', endDate: null, excludedDates: [] };
    expect(occurrenceDates(tuesdays, '2028-02-27', '2028-03-01')).toEqual(['2028-02-29']);
    const daily: SeriesPattern = { ...tuesdays, daysOfWeek: [1, 2, 3, 4, 5, 6, 7] };
    expect(occurrenceDates(daily, '2027-02-27', '2027-03-01')).toEqual(['2027-02-27', '2027-02-28', '2027-03-01']);
    expect(() => occurrenceDates(daily, '2027-02-29', '2027-03-01')).toThrow(RangeError);
  });
});

describe('local times stay local across daylight saving', () => {
  test('each pickup, appointment and return reads as the series local time on its date and weekday, in the zone', () => {
    fc.assert(fc.property(series, day, ({ pattern, zone }, from) => {
      for (const occurrence of occurrences(pattern, from, addDays(from, 60), zone)) {
        const pickup = wallClock(occurrence.pickupAt, zone);
        expect(pickup).toEqual({ date: occurrence.date, time: pattern.pickupTime, weekday: isoWeekday(occurrence.date) });
        expect(pattern.daysOfWeek).toContain(pickup.weekday);
        expect(wallClock(occurrence.appointmentAt, zone)).toMatchObject({ date: occurrence.date, time: '13:00' });
        expect(wallClock(occurrence.returnPickupAt as string, zone)).toMatchObject({ date: occurrence.date, time: '15:30' });
      }
    }), { numRuns: 150 });
  });

  test.each([
    // The Monday after each change: 07:00 is still 07:00 (the UTC instant moves by the hour instead).
    ['America/New_York', '2027-03-12', '2027-03-15', '2027-03-12T12:00:00.000Z', '2027-03-15T11:00:00.000Z'],
    ['America/New_York', '2027-11-05', '2027-11-08', '2027-11-05T11:00:00.000Z', '2027-11-08T12:00:00.000Z'],
    ['Australia/Sydney', '2027-04-02', '2027-04-05', '2027-04-01T20:00:00.000Z', '2027-04-04T21:00:00.000Z'],
    ['Australia/Sydney', '2027-10-01', '2027-10-04', '2027-09-30T21:00:00.000Z', '2027-10-03T20:00:00.000Z'],
  ])('%s: 07:00 on %s and on %s, the Monday after the change', (zone, friday, monday, fridayAt, mondayAt) => {
    expect(localInstant(friday, '07:00', zone).toISOString()).toBe(fridayAt);
    expect(localInstant(monday, '07:00', zone).toISOString()).toBe(mondayAt);
  });

  test('a time in the spring-forward gap moves forward by the gap; a fall-back time takes the earlier instant', () => {
    // New York: 14 March 2027 02:00 EST → 03:00 EDT; 7 November 2027 02:00 EDT → 01:00 EST.
    expect(localInstant('2027-03-14', '02:30', 'America/New_York').toISOString()).toBe('2027-03-14T07:30:00.000Z');
    expect(wallClock('2027-03-14T07:30:00.000Z', 'America/New_York').time).toBe('03:30');
    expect(localInstant('2027-11-07', '01:30', 'America/New_York').toISOString()).toBe('2027-11-07T05:30:00.000Z');
    // Sydney: 3 October 2027 02:00 AEST → 03:00 AEDT; 4 April 2027 03:00 AEDT → 02:00 AEST.
    expect(localInstant('2027-10-03', '02:30', 'Australia/Sydney').toISOString()).toBe('2027-10-02T16:30:00.000Z');
    expect(localInstant('2027-04-04', '02:30', 'Australia/Sydney').toISOString()).toBe('2027-04-03T15:30:00.000Z');
  });

  test('any local time, gap or not: the instant reads as that time or, in a gap, up to an hour later on the same day', () => {
    fc.assert(fc.property(day, minutes(0, 24 * 60 - 1), fc.constantFrom(...ZONES), (date, time, zone) => {
      const read = wallClock(localInstant(date, time, zone).toISOString(), zone);
      const asMinutes = (value: string) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5));
      expect(read.date).toBe(date);
      expect([0, 60]).toContain(asMinutes(read.time) - asMinutes(time));
    }), { numRuns: 500 });
  });

  test('a preview lists the next occurrences in order, up to the end date, exclusions skipped', () => {
    const mwf: SeriesPattern & SeriesTimes = {
      daysOfWeek: [1, 3, 5], startDate: '2027-03-01', endDate: '2027-03-19', excludedDates: ['2027-03-10'],
      pickupTime: '07:00', appointmentTime: '08:00', returnMode: 'will_call', returnPickupTime: null,
    };
    const next = nextOccurrences(mwf, '2027-03-08', 10, 'America/New_York');
    expect(next.map((occurrence) => occurrence.date)).toEqual(['2027-03-08', '2027-03-12', '2027-03-15', '2027-03-17', '2027-03-19']);
    expect(next.every((occurrence) => occurrence.returnPickupAt === null)).toBe(true);
  });
});
