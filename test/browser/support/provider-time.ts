import type { APIRequestContext } from '@playwright/test';
import { expect } from './fixtures';

/**
 * The provider's zone as the local stack runs it (PROVIDER_TIME_ZONE's default), and the calendar
 * arithmetic the specs need to book rides on a given local day and time.
 */
export const TIME_ZONE = 'America/New_York';

/** YYYY-MM-DD of the day `days` after today in the provider's zone. */
export function dayInZone(days: number): string {
  return dayOf(Date.now() + days * 86_400_000);
}

/** YYYY-MM-DD of an instant (milliseconds) in the provider's zone. */
export function dayOf(instant: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(instant));
}

/** The instant of a wall-clock time on a day in the provider's zone, as ISO 8601 UTC. */
export function zonedInstant(day: string, time: string): string {
  const guess = new Date(`${day}T${time}:00Z`);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(guess).map((part) => [part.type, part.value]),
  );
  const shown = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  return new Date(guess.getTime() - (shown - guess.getTime())).toISOString();
}

/** The JSON body of an API answer that must have succeeded (the failure names the URL, status and body). */
export async function json<T>(answer: Awaited<ReturnType<APIRequestContext['get']>>): Promise<T> {
  expect(answer.ok(), `${answer.url()} answered ${answer.status()}: ${await answer.text()}`).toBe(true);
  return (await answer.json()) as T;
}
