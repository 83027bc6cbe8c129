import type { Database } from '../shared/db/port';
import { required } from '../shared/db/rds-proxy';
import { assertTimeZone } from '../shared/domain/time-zone';
import { logger } from '../shared/log';
import { horizonDaysFrom, integerSetting, pickupWindowMinutesFrom } from '../shared/settings';
import {
  horizonFrom, type MaterialiseAllReport, materialiseAll, providerToday,
} from '../shared/standing-orders/materialise';
import { DEFAULT_RIDE_REMINDER_LOCAL_HOUR, type RideReminderReport, type RideReminderSettings, sendRideReminders } from './reminders';

/**
 * The scheduled work of standing orders, shared by the Lambda (EventBridge), the local stack's
 * timer and `npm run standing-orders:materialise`: materialise every active series for the
 * horizon (nightly), and queue tomorrow's ride reminders (hourly; a no-op before the local hour
 * and for trips already reminded). Both are idempotent, so a retried or doubled run changes nothing.
 */
export const SCHEDULED_TASKS = ['materialise', 'remind'] as const;
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number];

/** What an EventBridge rule hands the function: `{ task }` naming one of the tasks, nothing else. */
function scheduledTaskOf(event: unknown): ScheduledTask | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const { task, ...rest } = event as { task?: unknown };
  return Object.keys(rest).length === 0 && SCHEDULED_TASKS.includes(task as ScheduledTask) ? (task as ScheduledTask) : undefined;
}

export interface ScheduledSettings extends RideReminderSettings {
  /** Days ahead an active series has its trips (STANDING_ORDER_HORIZON_DAYS). */
  readonly horizonDays: number;
}

export interface ScheduledDependencies {
  /** As the materialiser's login (nemt_materialiser_user). */
  readonly db: Database;
  readonly settings: ScheduledSettings;
}

export type ScheduledReport =
  | { readonly task: 'materialise'; readonly through: string; readonly materialised: MaterialiseAllReport }
  | { readonly task: 'remind'; readonly reminders: Omit<RideReminderReport, 'outboxIds'> };

/**
 * Runs one task. The materialisation report names the series that failed (ids only; each series is
 * its own transaction, so the others went on); the caller decides whether that is an error.
 */
export async function runScheduledTask(deps: ScheduledDependencies, task: ScheduledTask, now: Date = new Date()): Promise<ScheduledReport> {
  if (task === 'materialise') {
    const { horizonDays, timeZone } = deps.settings;
    const through = horizonFrom(providerToday(timeZone, now), horizonDays).through;
    const materialised = await materialiseAll(deps.db, { timeZone, now }, { horizonDays });
    const log = materialised.failed.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log('standing orders materialised', { through, series: materialised.series, tripsCreated: materialised.tripsCreated,
      failed: materialised.failed });
    return { task, through, materialised };
  }
  const { outboxIds: _ids, ...reminders } = await sendRideReminders(deps.db, deps.settings, { now });
  return { task, reminders };
}

/** Some series could not be materialised: the run fails so Lambda retries it and the alarm fires. */
export class MaterialisationIncompleteError extends Error {
  constructor(readonly failed: readonly string[]) {
    super(`${failed.length} standing orders not materialised`);
    this.name = 'MaterialisationIncompleteError';
  }
}

/** The settings from the function's environment; a bad value fails the cold start, not a run. */
export function scheduledSettingsFromEnvironment(env: NodeJS.ProcessEnv): ScheduledSettings {
  // Tomorrow, the reminder hour and the nightly run are all the provider's local time: no default zone.
  const timeZone = required(env, 'PROVIDER_TIME_ZONE');
  assertTimeZone(timeZone);
  return {
    timeZone,
    localHour: integerSetting(env, 'RIDE_REMINDER_LOCAL_HOUR', DEFAULT_RIDE_REMINDER_LOCAL_HOUR, 0, 23),
    pickupWindowMinutes: pickupWindowMinutesFrom(env),
    // The same reading as the API's accept and edit paths, so both make trips as far ahead.
    horizonDays: horizonDaysFrom(env),
  };
}

/**
 * The EventBridge-invoked handler. An event that names no known task is refused (an error, so it
 * shows in the function's error alarm) rather than guessed at.
 */
export function createScheduledHandler(deps: ScheduledDependencies, clock: () => Date = () => new Date()) {
  // No middleware to run: a plain async handler, so the CLI and the local stack load no Middy.
  return async (event: unknown): Promise<ScheduledReport> => {
    const task = scheduledTaskOf(event);
    if (!task) throw new Error('unknown scheduled event: expected { "task": "materialise" | "remind" }');
    const report = await runScheduledTask(deps, task, clock());
    if (report.task === 'materialise' && report.materialised.failed.length > 0) {
      throw new MaterialisationIncompleteError(report.materialised.failed);
    }
    return report;
  };
}
