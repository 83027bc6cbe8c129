/**
 * `npm run standing-orders:materialise [-- options]`: the scheduled standing-orders run on demand
 * (lambdas/standing-orders): every active series materialised through the horizon, then tomorrow's
 * ride reminders queued if the reminder hour has come. Both are idempotent, so running it again,
 * or while the schedule runs, makes nothing twice.
 *
 * Connect as the materialiser's login (nemt_materialiser_user): DATABASE_URL. Exit codes: 0 done,
 * 1 some series were not materialised (named by id), 2 bad arguments or the run stopped.
 */
import { parseArgs } from 'node:util';
import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';
import { logger } from '../lambdas/shared/log';
import { runScheduledTask, type ScheduledTask, scheduledSettingsFromEnvironment } from '../lambdas/standing-orders/scheduled';
import { CliFailure, databaseUrlFromEnv, runCli, USAGE_EXIT_CODE } from './cli-support';

const COMMAND = 'standing-orders:materialise';
const USAGE = `usage: npm run standing-orders:materialise -- [options]

Runs the scheduled standing-order work now: materialises every active series through the horizon
(as ordinary scheduled trips with their legs, audited on each tenant's chain), then queues
tomorrow's ride reminders for tenants that opted in, once the provider's reminder hour has come.
Runs as often as you like: a series already materialised and a trip already reminded are left
alone. Connects with DATABASE_URL, as the materialiser's login (nemt_materialiser_user).

  --only <task>        materialise | remind (default: both, in that order)
  --now <ISO time>     the instant the run stands for (default: now), e.g. to catch up a missed night
  --help               this text

Environment: PROVIDER_TIME_ZONE (required; an IANA zone), STANDING_ORDER_HORIZON_DAYS (default 14),
RIDE_REMINDER_LOCAL_HOUR (default 18), PICKUP_WINDOW_MINUTES (default 30).

Exit codes: 0 done, 1 some series were not materialised (ids printed; rerun), 2 bad arguments or
the run stopped.`;

function usageError(message: string): CliFailure {
  return new CliFailure(`${COMMAND}: ${message}; see npm run standing-orders:materialise -- --help`, USAGE_EXIT_CODE);
}

interface Arguments {
  help: boolean;
  tasks: ScheduledTask[];
  now: Date;
}

function parseArguments(argv: string[]): Arguments {
  let values: { help?: boolean; only?: string; now?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { help: { type: 'boolean' }, only: { type: 'string' }, now: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw usageError((error as Error).message);
  }
  if (values.only !== undefined && values.only !== 'materialise' && values.only !== 'remind') {
    throw usageError('--only must be materialise or remind');
  }
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime()) || (values.now !== undefined && !/^\d{4}-\d{2}-\d{2}T/.test(values.now))) {
    throw usageError('--now must be an ISO date and time, e.g. 2030-03-09T23:30:00Z');
  }
  const tasks: ScheduledTask[] = values.only ? [values.only as ScheduledTask] : ['materialise', 'remind'];
  return { help: values.help ?? false, tasks, now };
}

function settings() {
  try {
    return scheduledSettingsFromEnvironment(process.env);
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // The run's own JSON logs are for CloudWatch; here the lines below say the same, for a person.
  logger.setLogLevel('SILENT');
  const runSettings = settings();
  const deps = { db: createPgDatabase({ connectionString: databaseUrlFromEnv(COMMAND), max: 2, applicationName: 'nemt-standing-orders' }),
    settings: runSettings };
  let incomplete = false;
  try {
    for (const task of args.tasks) {
      const report = await runScheduledTask(deps, task, args.now);
      if (report.task === 'materialise') {
        const { series, tripsCreated, failed } = report.materialised;
        console.log(`materialised ${series} series through ${report.through}: ${tripsCreated} trips created`);
        if (failed.length > 0) {
          incomplete = true;
          console.log(`not materialised (rerun): ${failed.join(', ')}`);
        }
      } else if (report.reminders.due) {
        console.log(`ride reminders for ${report.reminders.rideDate}: ${report.reminders.queued} queued`);
      } else {
        console.log(`ride reminders for ${report.reminders.rideDate}: not yet (from ${String(deps.settings.localHour).padStart(2, '0')}:00 `
          + `${deps.settings.timeZone})`);
      }
    }
  } finally {
    await deps.db.close();
  }
  return incomplete ? 1 : 0;
}

runCli(COMMAND, USAGE_EXIT_CODE, main);
