import { localDate } from '../lambdas/shared/standing-orders/occurrences';
import { logger } from '../lambdas/shared/log';
import { runScheduledTask, type ScheduledDependencies, type ScheduledTask } from '../lambdas/standing-orders/scheduled';

export const STANDING_ORDERS_CHECK_INTERVAL_MS = 3_600_000;

export interface StandingOrdersTimer {
  /** A check now, after the one under way (what the hourly timer does); resolves when it is done. */
  checkNow(): Promise<void>;
  /** Resolves when the run under way (if any) has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The scheduled standing-orders Lambda's local twin. At start and then every hour: materialise
 * once per provider-local day (the first check of a day, so a laptop that sleeps through 02:00
 * still gets its horizon), and queue tomorrow's ride reminders (a no-op before the reminder hour
 * and for trips already reminded). A check never overlaps the previous one.
 */
export function startStandingOrdersTimer(deps: ScheduledDependencies, options: {
  intervalMs?: number;
  clock?: () => Date;
  onReport?: (task: ScheduledTask, report: unknown) => void;
} = {}): StandingOrdersTimer {
  const clock = options.clock ?? (() => new Date());
  let materialisedOn: string | undefined;
  let running: Promise<void> = Promise.resolve();
  const runTask = async (task: ScheduledTask, now: Date) => {
    try {
      const report = await runScheduledTask(deps, task, now);
      options.onReport?.(task, report);
      return true;
    } catch (error) {
      logger.warn('local standing-orders run failed', { task, errorName: (error as Error)?.name });
      return false;
    }
  };
  const check = async () => {
    const now = clock();
    const today = localDate(now, deps.settings.timeZone);
    if (materialisedOn !== today && (await runTask('materialise', now))) materialisedOn = today;
    await runTask('remind', now);
  };
  const tick = () => {
    running = running.then(check);
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? STANDING_ORDERS_CHECK_INTERVAL_MS);
  timer.unref();
  return {
    checkNow: () => {
      tick();
      return running;
    },
    idle: () => running,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
