import fc from 'fast-check';
import { timestampToIso } from '../../lambdas/shared/db/normalise';

/**
 * timestampToIso rewrites UTC timestamp text directly instead of parsing it (the list pages'
 * hottest conversion). It must answer exactly what parsing into a Date answers.
 */
function viaDate(text: string): string {
  const withZone = /[zZ]|[+-]\d{2}(:?\d{2})?$/.test(text) ? text : `${text}Z`;
  return new Date(withZone.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')).toISOString();
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** Text as Postgres writes a timestamptz in a UTC session: fraction only when there is one, up to 6 digits, zeros trimmed. */
const postgresUtcText = fc.record({
  year: fc.integer({ min: 1000, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  micros: fc.integer({ min: 0, max: 999_999 }),
}).map(({ year, month, day, hour, minute, second, micros }) => {
  const fraction = micros === 0 ? '' : `.${pad(micros, 6).replace(/0+$/, '')}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}+00`;
});

test('UTC text from Postgres converts exactly as parsing it into a Date would', () => {
  fc.assert(fc.property(postgresUtcText, (text) => {
    expect(timestampToIso(text)).toBe(viaDate(text));
  }), { numRuns: 2_000 });
});

test('milliseconds are truncated, not rounded, and always three digits', () => {
  expect(timestampToIso('2024-05-01 09:30:00.123999+00')).toBe('2024-05-01T09:30:00.123Z');
  expect(timestampToIso('2024-05-01 09:30:00.5+00')).toBe('2024-05-01T09:30:00.500Z');
  expect(timestampToIso('2024-05-01 09:30:00+00')).toBe('2024-05-01T09:30:00.000Z');
});

test('other zones and the Data API\'s zone-less text still convert to UTC', () => {
  expect(timestampToIso('2024-05-01 11:30:00.25+02')).toBe('2024-05-01T09:30:00.250Z');
  expect(timestampToIso('2024-05-01 04:00:00-05:30')).toBe('2024-05-01T09:30:00.000Z');
  expect(timestampToIso('2024-05-01 09:30:00.123456')).toBe('2024-05-01T09:30:00.123Z');
  expect(() => timestampToIso('infinity')).toThrow('unparseable timestamp');
});
