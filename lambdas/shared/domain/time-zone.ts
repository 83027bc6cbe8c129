/** The provider's zone when none is configured (notifications and the API share it). */
export const DEFAULT_TIME_ZONE = 'America/New_York';

/**
 * Throws a RangeError for a zone the runtime does not know, so bad config fails at start-up. A
 * canonical zone name is found in the runtime's own list without building a formatter: the first
 * formatter of a process loads ICU's calendar data, about 15 ms of a cold start that most first
 * requests never format a date for (docs/performance.md, P1). Aliases (`US/Eastern`, `UTC`) and
 * unknown names take the formatter's check, as before.
 */
export function assertTimeZone(timeZone: string): void {
  if (Intl.supportedValuesOf('timeZone').includes(timeZone)) return;
  new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
}

/** PROVIDER_TIME_ZONE, or the default; an unknown zone fails the cold start, not the first request that needs a day. */
export function providerTimeZoneFrom(env: NodeJS.ProcessEnv): string {
  const timeZone = env.PROVIDER_TIME_ZONE || DEFAULT_TIME_ZONE;
  assertTimeZone(timeZone);
  return timeZone;
}
