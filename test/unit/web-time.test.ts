import { normalisePhone } from '../../web/request/phone';
import {
  addDays, formatCalendarDate, formatDateTime, formatTime, formatWindow, isoToZonedInput, minutesIntoDay, zonedInputToIso,
} from '../../web/src/lib/time';

/** The console's times: typed and shown in the provider's zone, across daylight-saving changes. */
const NEW_YORK = 'America/New_York';

describe('times in the provider zone (web/src/lib/time.ts)', () => {
  it('reads what was typed as wall-clock time in the provider zone, with the offset of that date', () => {
    expect(zonedInputToIso('2026-06-23', '07:30', NEW_YORK)).toBe('2026-06-23T07:30:00.000-04:00');
    expect(zonedInputToIso('2026-01-23', '07:30', NEW_YORK)).toBe('2026-01-23T07:30:00.000-05:00');
    // The morning after each change keeps 07:00 at 07:00 local.
    expect(zonedInputToIso('2026-03-08', '07:00', NEW_YORK)).toBe('2026-03-08T07:00:00.000-04:00');
    expect(zonedInputToIso('2026-11-01', '07:00', NEW_YORK)).toBe('2026-11-01T07:00:00.000-05:00');
  });

  it('refuses what is not a date and a time', () => {
    expect(zonedInputToIso('', '07:30', NEW_YORK)).toBeNull();
    expect(zonedInputToIso('2026-06-23', '', NEW_YORK)).toBeNull();
    expect(zonedInputToIso('23/06/2026', '07:30', NEW_YORK)).toBeNull();
  });

  it('shows instants in the provider zone with the zone named, never as ISO', () => {
    expect(formatTime('2026-06-23T11:30:00Z', NEW_YORK)).toBe('7:30 AM EDT');
    expect(formatDateTime('2026-01-23T12:30:00Z', NEW_YORK)).toBe('Fri, Jan 23, 7:30 AM EST');
    expect(formatWindow('2026-06-23T11:30:00Z', '2026-06-23T12:15:00Z', NEW_YORK)).toBe('7:30 AM – 8:15 AM EDT');
    expect(formatWindow(null, null, NEW_YORK)).toBe('time not set');
  });

  it('round-trips inputs and places instants on the local day', () => {
    expect(isoToZonedInput('2026-06-23T03:30:00Z', NEW_YORK)).toEqual({ date: '2026-06-22', time: '23:30' });
    expect(minutesIntoDay('2026-06-23T11:30:00Z', NEW_YORK)).toBe(450);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(formatCalendarDate('2026-06-23')).toBe('Tue, Jun 23');
  });
});

describe('phone numbers on the request page (web/request/phone.ts)', () => {
  it('accepts numbers as people write them and leaves the rest to the API', () => {
    expect(normalisePhone('(555) 010-0777')).toBe('+15550100777');
    expect(normalisePhone('1 555 010 0777')).toBe('+15550100777');
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normalisePhone('0044 20 7946 0958')).toBe('+442079460958');
    expect(normalisePhone('12345')).toBe('12345');
  });
});
