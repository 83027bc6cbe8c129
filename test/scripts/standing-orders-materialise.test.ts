import { useTestDatabase } from '../support/database';
import { createFacility, createFacilityUser, createRider, createStandingOrder } from '../support/fixtures';
import { NO_STACK, runScript, type ScriptRun } from '../support/scripts';

/**
 * `npm run standing-orders:materialise` as an operator runs it: a separate process, the
 * materialiser's DATABASE_URL, one line per task on stdout. The work itself is proven in
 * test/standing-orders and test/db/standing-orders.test.ts.
 */
function materialise(args: string[], env: Record<string, string | undefined> = {}): Promise<ScriptRun> {
  return runScript('standing-orders-materialise.ts', args, {
    clear: ['DATABASE_URL', 'PROVIDER_TIME_ZONE', 'STANDING_ORDER_HORIZON_DAYS', 'RIDE_REMINDER_LOCAL_HOUR'], env,
  });
}

const db = useTestDatabase();
const ZONE = 'America/New_York';

test('--help prints the usage and exits 0', async () => {
  const run = await materialise(['--help']);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toMatch(/^usage: npm run standing-orders:materialise -- \[options\]\n/);
  for (const flag of ['--only', '--now', '--help']) expect(run.stdout).toMatch(new RegExp(`^  ${flag}\\b`, 'm'));
  expect(run.stdout).toContain('PROVIDER_TIME_ZONE (required');
});

test('bad arguments and missing configuration are usage errors (exit 2) in one line', async () => {
  const url = db().url('materialiser');
  for (const args of [['--only', 'everything'], ['--now', 'yesterday'], ['--horizon', '3'], ['extra']]) {
    const run = await materialise(args, { DATABASE_URL: url, PROVIDER_TIME_ZONE: ZONE });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^standing-orders:materialise: .*; see npm run standing-orders:materialise -- --help\n$/);
  }
  const noZone = await materialise([], { DATABASE_URL: url });
  expect(noZone).toMatchObject({ code: 2, stdout: '' });
  expect(noZone.stderr).toMatch(/PROVIDER_TIME_ZONE/);
  const noUrl = await materialise([], { PROVIDER_TIME_ZONE: ZONE });
  expect(noUrl).toMatchObject({ code: 2, stdout: '' });
  expect(noUrl.stderr).toMatch(/DATABASE_URL is not set/);
});

test('materialises the horizon and queues tomorrow\'s reminders; the same run again makes nothing', async () => {
  const facilityId = (await createFacility(db().owner, { notifyRideReminder: true })).id;
  const riderId = (await createRider(db().owner, { facilityId })).id;
  const submittedBy = (await createFacilityUser(db().owner, 'FacilityUser', facilityId)).id;
  const order = await createStandingOrder(db().owner, { facilityId, riderId, submittedBy, daysOfWeek: [1, 3, 5],
    startDate: '2032-03-01', status: 'active' });
  // Monday 2032-03-01, 18:30 EST: today's ride is at 07:00 (past), Wednesday's is the day after tomorrow.
  const env = { DATABASE_URL: db().url('materialiser'), PROVIDER_TIME_ZONE: ZONE, STANDING_ORDER_HORIZON_DAYS: '7' };
  const first = await materialise(['--now', '2032-03-01T23:30:00Z'], env);
  expect(first).toEqual({ code: 0, stderr: '', stdout: 'materialised 1 series through 2032-03-07: 2 trips created\n'
    + 'ride reminders for 2032-03-02: 0 queued\n' });
  const repeated = await materialise(['--now', '2032-03-01T23:30:00Z'], env);
  expect(repeated).toEqual({ code: 0, stderr: '', stdout: 'materialised 0 series through 2032-03-07: 0 trips created\n'
    + 'ride reminders for 2032-03-02: 0 queued\n' });
  // The next evening: the horizon has moved a day (Monday the 8th), and Wednesday is tomorrow.
  const next = await materialise(['--now', '2032-03-02T23:30:00Z'], env);
  expect(next).toEqual({ code: 0, stderr: '', stdout: 'materialised 1 series through 2032-03-08: 1 trips created\n'
    + 'ride reminders for 2032-03-03: 1 queued\n' });
  const again = await materialise(['--only', 'remind', '--now', '2032-03-03T00:30:00Z'], env);
  expect(again).toEqual({ code: 0, stderr: '', stdout: 'ride reminders for 2032-03-03: 0 queued\n' });
  const early = await materialise(['--only', 'remind', '--now', '2032-03-02T20:00:00Z'], env);
  expect(early.stdout).toBe('ride reminders for 2032-03-03: not yet (from 18:00 America/New_York)\n');
  const { rows } = await db().owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM trip_requests WHERE standing_order_id = $1', [order.id]);
  expect(rows).toEqual([{ n: 3 }]);
});

test('a database it cannot reach is one line without a stack or the password (exit 2)', async () => {
  const url = new URL(db().url('materialiser'));
  url.port = '1';
  url.password = 'hunter2-secret';
  const run = await materialise(['--only', 'materialise'], { DATABASE_URL: url.toString(), PROVIDER_TIME_ZONE: ZONE });
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^standing-orders:materialise failed: /);
  expect(run.stderr).not.toMatch(NO_STACK);
  expect(run.stderr).not.toContain('hunter2-secret');
});
