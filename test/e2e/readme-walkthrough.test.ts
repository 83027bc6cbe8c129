import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack-process';

/**
 * The README's "Walk a trip through its life" as a new user runs it: every bash block from that
 * heading to "## Commands", pasted into one shell against a fresh `npm start`, twice in a row.
 * The second run must pass as the first did (its own hour, rider, invoice number and intake
 * phone), and any refused step must stop the script (`set -e`, and `field` exits 1 on a problem).
 */
const ROOT = resolve(__dirname, '..', '..');

/** The bash blocks of the README from one heading up to the next given one. */
function bashBlocks(from: string, to: string): string[] {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(from);
  const end = readme.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`the README has no section ${from}`);
  return [...readme.slice(start, end).matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

function walkthroughScript(): string {
  const blocks = bashBlocks('### Walk a trip through its life', '### A standing order');
  if (blocks.length < 6) throw new Error(`the walkthrough has only ${blocks.length} bash blocks`);
  return blocks.join('\n');
}

/** "A standing order", after the trip walkthrough's first block (the variables and helpers it uses). */
function standingOrderScript(): string {
  const [setup] = bashBlocks('### Walk a trip through its life', '### A standing order');
  const blocks = bashBlocks('### A standing order', '## Commands');
  if (blocks.length < 3) throw new Error(`the standing-order walkthrough has only ${blocks.length} bash blocks`);
  return [setup, ...blocks].join('\n');
}

let stack: LocalStackProcess;

beforeAll(async () => {
  stack = await startLocalStackProcess({ args: ['--no-build'] });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

function runWalkthrough(script = walkthroughScript()): { status: number | null; lines: string[]; stderr: string } {
  const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, BASE: stack.url, NEMT_LOCAL_DIR: stack.dataDir },
    encoding: 'utf8',
    timeout: 150_000,
  });
  return { status: run.status, lines: run.stdout.split('\n').filter(Boolean), stderr: run.stderr };
}

function expectACompleteRun(run: ReturnType<typeof runWalkthrough>): void {
  if (run.status !== 0) throw new Error(`the walkthrough stopped (exit ${run.status}):\n${run.stderr.slice(-3_000)}`);
  expect(run.stderr).not.toContain('✖');
  const me = JSON.parse(run.lines[0] as string) as { role: string };
  expect(me.role).toBe('FacilityUser');
  expect(run.lines.slice(1, 12)).toEqual([
    'scheduled', 'assigned', 'en_route', 'arrived', 'picked_up', 'completed', 'completed', 'ready', 'invoiced', 'paid',
    expect.stringMatching(/^\d+$/),
  ]);
  expect(Number(run.lines[11])).toBeGreaterThanOrEqual(10);
  expect(run.lines.slice(12, 14)).toEqual(['404', '401']);
  const sink = run.lines.slice(14).map((line) => JSON.parse(line) as { to: string; body: string });
  expect(sink.some((message) => /Ride request \S+ for .* received/.test(message.body) && message.to !== '+15550100777')).toBe(true);
  expect(sink.filter((message) => message.to === '+15550100777').map((message) => message.body)).toEqual([
    expect.stringMatching(/received/), expect.stringMatching(/is scheduled/), expect.stringMatching(/on the way/),
  ]);
}

test('the README walkthrough passes twice in a row against one stack', () => {
  const first = runWalkthrough();
  expectACompleteRun(first);
  const second = runWalkthrough();
  expectACompleteRun(second);
  // The second run walked its own trip, not the first one's again.
  expect(second.lines.slice(14)).not.toEqual(first.lines.slice(14));
}, 320_000);

test('the README standing order walkthrough passes twice in a row: accepted, its trips listed, a day skipped, ended', () => {
  for (let round = 0; round < 2; round += 1) {
    const run = runWalkthrough(standingOrderScript());
    if (run.status !== 0) throw new Error(`the standing-order walkthrough stopped (exit ${run.status}):\n${run.stderr.slice(-3_000)}`);
    expect(run.stderr).not.toContain('✖');
    // After `GET /v1/me`: accepted, between 5 and 7 trips in 14 days of Mondays, Wednesdays and Fridays, the skipped day, ended.
    expect(run.lines.slice(1)).toEqual(['active', expect.stringMatching(/^[5-7]$/), expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), 'ended']);
  }
}, 200_000);
