// Middy ships ESM only; let tsx's CommonJS require it (as the local stack does).
import '../local/esm-only';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createLocalKeyProvider } from '../lambdas/shared/crypto/local-key-provider';
import { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { COLD_REQUEST_LIMIT_RATIO, runP1, SIZE_LIMIT_KB } from './p1-bundles';
import { runP2 } from './p2-handler-overhead';
import { runP3 } from './p3-tenant-context';
import { runP4 } from './p4-list-scaling';
import { runP5 } from './p5-audited-write';
import { runP6 } from './p6-local-server';
import { runP7 } from './p7-notifications';
import { runP8 } from './p8-audit-verify';
import { runP9a, runP9b } from './p9-console';
import { runP10 } from './p10-standing-orders';
import { runIntakeTiming } from './s28-intake-timing';
import { type BenchSettings, type DatabaseContext, settingsFor } from './support/context';
import { checkDatasetIntegrity, generateDataset } from './support/dataset';
import { applicationOutput, muteApplicationOutput, say, status } from './support/output';
import { startBenchServer, type BenchServer } from './support/postgres';
import { type BenchmarkOutcome, type BenchmarkResult, renderTable } from './support/results';
import { round } from './support/stats';

/**
 * `npm run bench [-- --quick] [-- --only P2,P3]`: runs P1–P10 of PERFORMANCE.md (and S28, the intake's timing for a
 * known vs an unknown phone, reported without a target), prints a table
 * and writes bench/results/latest.json. Exits 0 when every benchmark ran, whether or not it met
 * its target (the JSON and the table say which did not); non-zero only when one crashed.
 */
const USAGE = `usage: npm run bench [-- --quick] [-- --only P1,P4]

  --quick     smaller data set and fewer iterations (under a minute); same targets
  --only      run only these benchmarks (the JSON then holds only them; P9 = P9a,P9b)

environment:
  BENCH_DATABASE_URL  an admin URL of a PostgreSQL 16 server to use instead of a throwaway embedded one`;

const NAMES: Record<string, string> = {
  P1: 'Lambda bundles: size, module init and the cold request',
  P2: 'warm GET list through the handler',
  P3: 'tenant context (withActor) cost',
  P4: 'list latency, largest tenant vs small',
  P5: 'audited POST vs bare insert',
  P6: 'local server throughput (npm start)',
  P7: 'notification pipeline (relay + notifier)',
  P8: 'audit chain verification',
  P9a: 'console: first-screen JS + CSS (gzip)',
  P9b: 'console: board of 600 legs vs 60 (Chromium)',
  P10: 'standing orders: nightly materialisation vs direct inserts',
  S28: 'intake latency, known vs unknown phone',
};

const TARGETS: Record<string, string> = {
  P1: `API bundles ≤ ${SIZE_LIMIT_KB} KB loaded at init; init − floor ≤ 30 ms (each entry); cold request ≤ ${COLD_REQUEST_LIMIT_RATIO} × floor (API, intake)`,
  P2: 'p50 ratio ≤ 1.25, p99 ratio ≤ 1.5',
  P3: 'ratio ≤ 2.0',
  P4: 'ratio ≤ 1.3',
  P5: 'p50 ratio ≤ 1.5; throughput reported',
  P6: '0 errors; req/s and p99 reported',
  P7: '≥ 1,000 messages/s; 0 lost, 0 duplicated',
  P8: '≥ 200,000 events/s, memory flat',
  P9a: '≤ 150 KB per entry page; public request page ≤ 60 KB',
  P9b: 'ratio ≤ 2.0; an assign click shows its result within one round trip (one PUT, no reload)',
  P10: 'ratio ≤ 2.0; the same run again writes nothing in ≤ 10% of the time',
  S28: 'reported only: p50/p99 of each and their ratio',
};

/** Case-insensitive, and P9 stands for both of its parts. */
function benchmarkIds(value: string): string[] {
  const wanted = value.trim().toUpperCase();
  if (wanted === 'P9') return ['P9a', 'P9b'];
  const id = Object.keys(NAMES).find((candidate) => candidate.toUpperCase() === wanted);
  if (!id) throw new Error(`unknown benchmark ${value}`);
  return [id];
}

function parseArguments(args: readonly string[]): { quick: boolean; only: Set<string> | undefined } {
  let quick = false;
  let only: Set<string> | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      if (arg === '--only') index += 1;
      const value = arg === '--only' ? args[index] : arg.slice('--only='.length);
      only = new Set((value ?? '').split(',').filter((id) => id.trim()).flatMap(benchmarkIds));
    } else if (arg === '--help' || arg === '-h') {
      say(USAGE);
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return { quick, only };
}

async function runOne(id: string, work: () => Promise<BenchmarkOutcome>): Promise<BenchmarkResult> {
  const started = performance.now();
  say(`▶ ${id} ${NAMES[id]}`);
  const base = { id, name: NAMES[id] as string, target: TARGETS[id] as string };
  try {
    const outcome = await work();
    const seconds = round((performance.now() - started) / 1000, 1);
    const pass = !outcome.error && !outcome.skipped
      && (outcome.reportOnly === true || (outcome.checks.length > 0 && outcome.checks.every((item) => item.pass)));
    const result: BenchmarkResult = { ...base, ...outcome, pass, seconds };
    say(`  ${pass ? '✔' : result.skipped ? '–' : '✖'} ${id}: ${describe(result)} (${seconds} s)`);
    return result;
  } catch (error) {
    const seconds = round((performance.now() - started) / 1000, 1);
    const message = error instanceof Error ? error.message : String(error);
    say(`  ✖ ${id} crashed: ${message}`);
    if (error instanceof Error && error.stack) say(error.stack.split('\n').slice(1, 6).join('\n'));
    return { ...base, value: null, floor: null, ratio: null, unit: '', checks: [], absolute: {}, pass: false, error: message,
      crashed: true, seconds };
  }
}

function describe(result: BenchmarkResult): string {
  if (result.skipped) return `skipped: ${result.skipped}`;
  if (result.error) return `not measured: ${result.error}`;
  const parts = [`value ${result.value} ${result.unit}`];
  if (result.floor !== null) parts.push(`floor ${result.floor} ${result.unit}`, `ratio ${result.ratio}`);
  return parts.join(', ');
}

async function main(): Promise<number> {
  const { quick, only } = parseArguments(process.argv.slice(2));
  // The SDK warns on Node < 22 (Lambda runs 24); the warning is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const settings: BenchSettings = settingsFor(quick);
  const wanted = (id: string) => !only || only.has(id);
  muteApplicationOutput();
  const started = performance.now();
  say(`NEMT Dispatch benchmarks${quick ? ' (quick)' : ''} — ${cpus().length} CPUs, Node ${process.version}`);

  const results: BenchmarkResult[] = [];
  let postgres: { version: string | null; settings: Readonly<Record<string, string>> | null } = { version: null, settings: null };
  let server: BenchServer | undefined;
  let context: DatabaseContext | undefined;
  let datasetSeconds = 0;
  let datasetInfo: Record<string, number> | null = null;
  const pii = new PiiCrypto({ provider: createLocalKeyProvider(randomBytes(32)) });
  const databaseBenchmarks = ['P2', 'P3', 'P4', 'P5', 'P7', 'P8', 'S28'].filter(wanted);
  const stop = async () => {
    status('stopping PostgreSQL');
    await context?.database.drop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    context = undefined;
    server = undefined;
  };
  // Ctrl-C: the throwaway server and its folder go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`\n${signal}: stopping`);
      void stop().finally(() => process.exit(130));
    });
  }
  try {
    // P10 seeds databases of its own: it needs the server, not the shared data set.
    if (databaseBenchmarks.length > 0 || wanted('P10') || wanted('P1')) {
      try {
        status('starting PostgreSQL');
        server = await startBenchServer();
        say(`• PostgreSQL ${server.version} (${server.embedded ? 'embedded, throwaway' : 'BENCH_DATABASE_URL'})`);
      } catch (error) {
        say(`✖ PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // P1's cold request needs the server (a small database of its own), not the shared data set.
    const p1Server = server;
    if (wanted('P1')) results.push(await runOne('P1', () => runP1(settings, p1Server)));
    if (databaseBenchmarks.length > 0) {
      try {
        if (!server) throw new Error('PostgreSQL did not start');
        const database = await server.createDatabase('nemt_bench');
        const generationStarted = performance.now();
        const dataset = await generateDataset(database.owner, pii, { trips: settings.trips }, (step) => status(`data set: ${step}`));
        const orphans = await checkDatasetIntegrity(database.owner);
        if (orphans.length > 0) throw new Error(`generated data set breaks references: ${orphans.join(', ')}`);
        datasetSeconds = round((performance.now() - generationStarted) / 1000, 1);
        say(`• data set: ${dataset.trips.toLocaleString('en-US')} trip requests, ${dataset.legs.toLocaleString('en-US')} legs, ` +
          `${dataset.tenants} tenants (largest ${dataset.largest.trips.toLocaleString('en-US')}, small ` +
          `${dataset.small.trips.toLocaleString('en-US')}), ${dataset.riders.toLocaleString('en-US')} riders in ${datasetSeconds} s`);
        context = { server, database, dataset, api: database.pool('api', 20) };
        datasetInfo = { trips: dataset.trips, legs: dataset.legs, tenants: dataset.tenants, riders: dataset.riders,
          largestTenantTrips: dataset.largest.trips, smallTenantTrips: dataset.small.trips, seconds: datasetSeconds };
      } catch (error) {
        const message = `database set-up failed: ${error instanceof Error ? error.message : String(error)}`;
        say(`✖ ${message}`);
        for (const id of databaseBenchmarks) {
          results.push({ id, name: NAMES[id] as string, target: TARGETS[id] as string, value: null, floor: null, ratio: null, unit: '',
            checks: [], absolute: {}, pass: false, error: message, crashed: true, seconds: 0 });
        }
      }
    }
    const db = context;
    if (db) {
      if (wanted('P2')) results.push(await runOne('P2', () => runP2(settings, db, pii)));
      if (wanted('P3')) results.push(await runOne('P3', () => runP3(settings, db, pii)));
      if (wanted('P4')) results.push(await runOne('P4', () => runP4(settings, db, pii)));
      if (wanted('P5')) results.push(await runOne('P5', () => runP5(settings, db, pii)));
    }
    if (wanted('P6')) results.push(await runOne('P6', () => runP6(settings)));
    if (db) {
      if (wanted('P7')) results.push(await runOne('P7', () => runP7(settings, db, pii)));
      if (wanted('P8')) results.push(await runOne('P8', () => runP8(settings, db)));
      // Fewer rounds than the others: each one creates two tenants, and solving the challenges is setup.
      if (wanted('S28')) {
        const rounds = { iterations: Math.min(settings.iterations, 500), warmup: Math.min(settings.warmup, 50) };
        results.push(await runOne('S28', () => runIntakeTiming(rounds, db.database.pool('intake', 4), pii)));
      }
    }
    const p10Server = server;
    if (wanted('P10')) {
      results.push(await runOne('P10', () => (p10Server ? runP10(settings, p10Server) : Promise.reject(new Error('PostgreSQL did not start')))));
    }
    // After the database benchmarks: the browser and its local stack would compete with them.
    if (wanted('P9a')) results.push(await runOne('P9a', () => runP9a(settings)));
    if (wanted('P9b')) results.push(await runOne('P9b', () => runP9b(settings)));
  } finally {
    const version = server?.version;
    const serverSettings = server?.settings;
    await stop();
    postgres = { version: version ?? null, settings: serverSettings ?? null };
  }

  const ordered = results.sort((a, b) => a.id.localeCompare(b.id));
  const report = {
    generatedAt: new Date().toISOString(),
    quick,
    seconds: round((performance.now() - started) / 1000, 1),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: round(totalmem() / 1024 ** 3, 1),
      platform: `${process.platform} ${process.arch}`,
      node: process.version,
      postgres: postgres.version,
      postgresSettings: postgres.settings,
    },
    settings,
    dataset: datasetInfo,
    applicationLogLines: applicationOutput().lines,
    benchmarks: ordered,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

  say('');
  say(renderTable(ordered));
  say('');
  const passed = ordered.filter((result) => result.pass).length;
  const skipped = ordered.filter((result) => result.skipped);
  say(`${passed}/${ordered.length} met their targets${skipped.length > 0 ? ` (${skipped.length} skipped: ${
    skipped.map((result) => result.id).join(', ')})` : ''} in ${report.seconds} s · results: ${file}`);
  const crashed = ordered.filter((result) => result.crashed);
  if (crashed.length > 0) say(`crashed: ${crashed.map((result) => result.id).join(', ')}`);
  return crashed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  },
);
