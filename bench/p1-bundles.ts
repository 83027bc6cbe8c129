import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleLambda, type LambdaBundle } from '../lib/constructs/lambda-bundle';
import { runChild } from './support/child';
import { progressReporter, status } from './support/output';
import { type BenchmarkOutcome, type Check, check } from './support/results';
import type { BenchSettings } from './support/context';
import type { BenchServer } from './support/postgres';
import { median, round } from './support/stats';

/**
 * P1: every Lambda bundle, built by the construct's own build (lib/constructs/lambda-bundle.ts),
 * then loaded in fresh Node processes as Lambda loads it (`import()` of index.mjs). The floor is
 * an empty handler built the same way. Network access is cut in those processes: a module that
 * reached for the network at load would fail here rather than wait.
 */
const ROOT = join(__dirname, '..');
export const LAMBDA_ENTRIES = [
  'lambdas/api/handler.ts',
  'lambdas/users/handler.ts',
  'lambdas/intake/handler.ts',
  'lambdas/notify/handler.ts',
  'lambdas/relay/handler.ts',
  'lambdas/migrate/handler.ts',
  'lambdas/pre-token/handler.ts',
  'lambdas/anchor/handler.ts',
  'lambdas/standing-orders/handler.ts',
] as const;
/** Behind API Gateway: these carry the 300 KB size target. */
export const API_ENTRIES = new Set<string>(['lambdas/api/handler.ts', 'lambdas/users/handler.ts', 'lambdas/intake/handler.ts']);
/** Whose cold request P1 measures, and its target (× the floor's). */
export const COLD_ENTRIES = ['lambdas/api/handler.ts', 'lambdas/intake/handler.ts'] as const;
export const COLD_REQUEST_LIMIT_RATIO = 1.5;

/** The cold-request check of an entry; `null` (not measured) fails it. */
export function coldRequestCheck(entry: string, ratio: number | null): Check {
  return check(`${entry} cold request ÷ floor's`, ratio, 'max', COLD_REQUEST_LIMIT_RATIO);
}
export const SIZE_LIMIT_KB = 300;
const PROCESSES_AT_ONCE = (settings: BenchSettings) => (settings.quick ? 2 : 1);
const INIT_LIMIT_MS = 30;

/** Heaviest inputs of the files a bundle loads at init, by bytes in the output, grouped by package. */
function heaviestPackages(built: LambdaBundle, top = 8): Record<string, number> {
  const byPackage = new Map<string, number>();
  const atInit = new Set(built.initFiles);
  for (const [path, output] of Object.entries(built.metafile.outputs)) {
    if (!atInit.has(path.slice(path.lastIndexOf('/') + 1))) continue;
    for (const [input, info] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match?.[1] ?? 'project';
      byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
    }
  }
  return Object.fromEntries(
    [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, bytes]) => [name, round(bytes / 1024, 1)]),
  );
}

/** Configuration names the Lambda sources read, with harmless dummy values (no secrets, no hosts). */
export function dummyEnvironment(): Record<string, string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/(?:required\((?:process\.)?env, |required\()'([A-Z][A-Z0-9_]+)'|env\.([A-Z][A-Z0-9_]+)|env\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) {
          names.add((match[1] ?? match[2] ?? match[3]) as string);
        }
      }
    }
  };
  walk(join(ROOT, 'lambdas'));
  const env: Record<string, string> = {};
  for (const name of names) env[name] = dummyValue(name);
  return env;
}

export function dummyValue(name: string): string {
  if (/REGION$/.test(name)) return 'us-east-1';
  if (/ARN$/.test(name)) return 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000';
  if (/URL$/.test(name)) return 'https://sqs.us-east-1.amazonaws.com/000000000000/bench';
  if (/URI$/.test(name)) return 'https://bench.invalid/.well-known/jwks.json';
  if (/ISSUER$/.test(name)) return 'https://bench.invalid';
  if (/PORT$/.test(name)) return '5432';
  if (/HOST$/.test(name)) return 'bench.invalid';
  if (name === 'DB_USER') return 'nemt_api_user';
  if (/USER_POOL_ID$/.test(name)) return 'us-east-1_Bench0000';
  if (/ADDRESS$/.test(name)) return 'bench@example.com';
  if (/SCOPE$/.test(name)) return 'nemt-api/api';
  if (/(MINUTES|SECONDS|MAX|COUNT|BATCHES|DISPATCHES|MILES|DAYS|PER_DAY)$/.test(name)) return '30';
  if (/CALLING_CODES$/.test(name)) return '+1';
  if (/TIME_ZONE$/.test(name)) return 'America/New_York';
  return `bench-${name.toLowerCase().replace(/_/g, '-')}`;
}

/** Entry-specific values an entry insists on (e.g. the intake refuses any login but its own). */
export function entryEnvironment(entry: string): Record<string, string> {
  const source = readFileSync(join(ROOT, entry), 'utf8');
  const login = /'(nemt_[a-z]+_user)'/.exec(source)?.[1];
  const name = entry.split('/')[1] ?? 'bench';
  return {
    AWS_LAMBDA_FUNCTION_NAME: `bench-${name}`,
    // Lambda runs Node 24, where the SDK has nothing to warn about; here (Node 20) it would.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(login ? { DB_USER: login } : {}),
  };
}

/**
 * No network for the init measurement: every connection is refused the way an unreachable host
 * refuses it, asynchronously. A module may start a connection at load (the Lambdas open their
 * database connection and fetch the token keys during init) but must not wait for one, and a
 * module whose load depended on an answer fails here instead of timing a network.
 */
export const NETWORK_GUARD = `
const refused = (what) => Object.assign(new Error(what + ' ECONNREFUSED (no network in the benchmark)'), { code: 'ECONNREFUSED' });
const net = require('node:net');
net.Socket.prototype.connect = function () { process.nextTick(() => this.destroy(refused('connect'))); return this; };
const tls = require('node:tls');
tls.connect = function () { const socket = new tls.TLSSocket(new net.Socket()); process.nextTick(() => socket.destroy(refused('tls'))); return socket; };
const dns = require('node:dns');
dns.lookup = (host, options, callback) => process.nextTick(typeof options === 'function' ? options : callback, refused('lookup ' + host));
if (dns.promises) dns.promises.lookup = async (host) => { throw refused('lookup ' + host); };
`;

function initScript(file: string): string {
  return `const t0 = performance.now();
import(${JSON.stringify(pathToFileURL(file).href)}).then((mod) => {
  const ms = performance.now() - t0;
  if (typeof mod.handler !== 'function') throw new Error('bundle exports no handler function');
  process.stdout.write(JSON.stringify({ ms, boot: t0 }));
  process.exit(0);
}, (error) => { process.stdout.write(JSON.stringify({ error: String(error && error.message || error) })); process.exit(3); });`;
}

interface InitSample {
  ms?: number;
  boot?: number;
  wall: number;
  error?: string;
}

async function loadOnce(file: string, guard: string, env: Record<string, string>): Promise<InitSample> {
  const started = performance.now();
  const { out, err } = await runChild(process.execPath, ['--require', guard, '-e', initScript(file)],
    { env: { PATH: process.env.PATH ?? '', ...env }, timeoutMs: 30_000 });
  const wall = performance.now() - started;
  try {
    const parsed = JSON.parse(out) as { ms?: number; boot?: number; error?: string };
    return { ...parsed, wall };
  } catch {
    return { wall, error: (err || out || 'no output').trim().split('\n').slice(-3).join(' ').slice(0, 300) };
  }
}

/** Adds the configuration an entry says it misses, until it loads or asks for nothing new. */
export async function environmentThatLoads(file: string, guard: string, base: Record<string, string>) {
  const env = { ...base };
  for (;;) {
    const sample = await loadOnce(file, guard, env);
    const asked = sample.error
      ? /(?:missing|invalid) configuration:? ([A-Z][A-Z0-9_]+)|([A-Z][A-Z0-9_]+) is not set/.exec(sample.error)
      : null;
    const name = asked ? (asked[1] ?? asked[2]) : undefined;
    if (!name || name in env) return { env, sample };
    env[name] = dummyValue(name);
  }
}

/**
 * `server`: where the cold request (init plus the first request, see p1-cold-request.ts) finds
 * its database; without one only sizes and init are measured.
 */
export async function runP1(settings: BenchSettings, server?: BenchServer): Promise<BenchmarkOutcome> {
  const present = LAMBDA_ENTRIES.filter((entry) => existsSync(join(ROOT, entry)));
  const missing = LAMBDA_ENTRIES.filter((entry) => !existsSync(join(ROOT, entry)));
  const work = mkdtempSync(join(tmpdir(), 'nemt-bench-bundles-'));
  try {
    const guard = join(work, 'network-guard.cjs');
    writeFileSync(guard, NETWORK_GUARD);
    const floorEntry = join(work, 'empty-handler.ts');
    writeFileSync(floorEntry, 'export const handler = async () => ({ statusCode: 200, body: "" });\n');

    status(`P1 bundling ${present.length} entries and the floor`);
    const entries = [floorEntry, ...present.map((path) => join(ROOT, path))];
    const targets = entries.map((entry, index) => {
      const built = bundleLambda(entry, join(work, 'out', String(index)));
      return {
        name: entry === floorEntry ? 'floor (empty handler)' : relative(ROOT, entry),
        entry,
        file: built.entryFile,
        bytes: built.initBytes,
        totalBytes: built.totalBytes,
        files: built.files.length,
        heaviest: heaviestPackages(built),
      };
    });

    const base = dummyEnvironment();
    const envs: Record<string, string>[] = [];
    const loadErrors: Record<string, string> = {};
    for (const target of targets) {
      const entryEnv = target.name.startsWith('floor') ? {} : entryEnvironment(target.name);
      const found = await environmentThatLoads(target.file, guard, { ...base, ...entryEnv });
      envs.push(found.env);
      if (found.sample.error) loadErrors[target.name] = found.sample.error;
    }

    // Round robin over the bundles, so drift on a shared machine lands on all of them alike. (The
    // probe above already loaded each bundle once, so the files are in the page cache.) A quick
    // run starts two processes at a time, one per core; the floor is loaded the same way.
    const samples = targets.map(() => [] as InitSample[]);
    const report = progressReporter('P1 loading bundles in fresh processes');
    const jobs = Array.from({ length: settings.processes }, (_, round) => targets.map((target, index) => ({ round, index, target })))
      .flat()
      .filter((job) => !loadErrors[job.target.name]);
    let nextJob = 0;
    let finished = 0;
    await Promise.all(Array.from({ length: PROCESSES_AT_ONCE(settings) }, async () => {
      while (nextJob < jobs.length) {
        const job = jobs[nextJob] as (typeof jobs)[number];
        nextJob += 1;
        const env = envs[job.index] as Record<string, string>;
        samples[job.index]?.push(await loadOnce(job.target.file, guard, env));
        finished += 1;
        if (finished % targets.length === 0) report(finished / targets.length, settings.processes);
      }
    }));

    const initOf = (index: number) => {
      const ok = (samples[index] ?? []).filter((sample) => sample.ms !== undefined);
      return { init: median(ok.map((sample) => sample.ms as number)), wall: median(ok.map((sample) => sample.wall)), n: ok.length };
    };
    const floor = initOf(0);
    const bundles = targets.slice(1).map((target, offset) => {
      const index = offset + 1;
      const measured = initOf(index);
      const error = loadErrors[target.name] ?? (samples[index] ?? []).find((sample) => sample.error)?.error;
      return {
        entry: target.name,
        // What a cold start reads and compiles: the entry and the chunks it imports statically.
        sizeKb: round(target.bytes / 1024, 1),
        // Everything deployed, including the chunks loaded on first use.
        totalKb: round(target.totalBytes / 1024, 1),
        files: target.files,
        initMs: round(measured.init, 2),
        initMinusFloorMs: round(measured.init - floor.init, 2),
        processWallMs: round(measured.wall, 1),
        processes: measured.n,
        heaviestPackagesKb: target.heaviest,
        ...(error ? { error } : {}),
      };
    });

    const coldRequests = async (database: BenchServer) => {
      // Loaded only here: it pulls in the application (the bundle-size test imports this file).
      const { FLOOR_SOURCE, runColdRequests } = await import('./p1-cold-request');
      return runColdRequests({
        settings, server: database, work,
        bundles: targets.slice(1).map((target, offset) => ({ entry: target.name, file: target.file, env: envs[offset + 1] ?? {} })),
        floorFile: bundleLambda(FLOOR_SOURCE, join(work, 'out', 'cold-floor')).entryFile,
        writePreload: (name, text) => {
          const file = join(work, name);
          writeFileSync(file, text);
          return file;
        },
      });
    };
    const checks: Check[] = bundles.flatMap((item) => [
      ...(API_ENTRIES.has(item.entry) ? [check(`${item.entry} size KB loaded at init`, item.sizeKb, 'max', SIZE_LIMIT_KB)] : []),
      check(`${item.entry} init − floor ms`, item.error ? null : item.initMinusFloorMs, 'max', INIT_LIMIT_MS),
    ]);
    const cold = server ? await coldRequests(server) : undefined;
    // Without a database the cold request is not measured, and its target counts as not met.
    checks.push(...(cold?.checks ?? COLD_ENTRIES.map((entry) => coldRequestCheck(entry, null))));

    const worst = bundles.reduce((max, item) => (item.error ? max : Math.max(max, item.initMs)), 0);
    return {
      value: round(worst, 2),
      floor: round(floor.init, 2),
      ratio: floor.init > 0 ? round(worst / floor.init, 1) : null,
      unit: 'ms',
      checks,
      absolute: {
        note: 'value: the slowest bundle\'s module init (median); floor: the empty handler\'s; targets are differences and sizes',
        bundling: 'lib/constructs/lambda-bundle.ts (ES modules, split; size = entry + chunks it imports statically)',
        processesAtOnce: PROCESSES_AT_ONCE(settings),
        floor: { sizeKb: round((targets[0]?.bytes ?? 0) / 1024, 2), initMs: round(floor.init, 3), processWallMs: round(floor.wall, 1), processes: floor.n },
        bundles,
        missingEntries: missing,
        coldRequest: cold?.absolute ?? 'not measured: no PostgreSQL',
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
