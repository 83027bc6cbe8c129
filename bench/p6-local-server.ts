import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existingIssuer } from '../local/issuer-key';
import { actorFor, readManifest, type StackUser } from '../local/manifest';
import { freePort } from '../test/support/postgres-server';
import type { BenchSettings } from './support/context';
import { status } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { percentile, round } from './support/stats';

/**
 * P6: the local stack as a developer runs it (`npm start`: local/start.ts with its own embedded
 * PostgreSQL, demo data, in-process notification pipeline), started fresh in a temporary data
 * folder on a free port, then 50 keep-alive connections on 127.0.0.1 for N seconds (20 in a full
 * run) of mixed reads and writes as the demo facility admin. Stopped with SIGTERM afterwards, as
 * Ctrl-C would.
 */
const ROOT = join(__dirname, '..');
const CONNECTIONS = 50;
const READY = /✔ Ready: (http:\/\/\S+)/;
const START_TIMEOUT_MS = 180_000;

interface Answer {
  status: number;
  body: string;
}

function call(agent: Agent, port: number, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
      timeout: 30_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function startStack(dataDir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, ['local/start.ts', '--fresh'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), NEMT_LOCAL_DIR: dataDir, NEMT_PG_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stderr?.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack not ready after ${START_TIMEOUT_MS / 1000} s: ${tail.slice(-500)}`)),
      START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      keep(chunk);
      if (READY.test(tail)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with ${code} before it was ready: ${tail.slice(-800)}`));
    });
  });
  // Keep draining its output (request logs, the notification sink) so it never blocks on a full pipe.
  child.stdout?.removeAllListeners('data');
  child.stdout?.on('data', keep);
  return { child, output: () => tail };
}

async function stopStack(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

export async function runP6(settings: BenchSettings): Promise<BenchmarkOutcome> {
  if (!existsSync(join(ROOT, 'local', 'start.ts'))) {
    return { value: null, floor: null, ratio: null, unit: 'req/s', checks: [], absolute: {}, error: 'local/start.ts does not exist' };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'nemt-bench-local-'));
  const port = await freePort();
  status('P6 starting the local stack (npm start --fresh)');
  const startedAt = performance.now();
  const stack = await startStack(dataDir, port);
  const startSeconds = round((performance.now() - startedAt) / 1000, 1);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    const manifest = readManifest(join(dataDir, 'stack.json'));
    if (!manifest) throw new Error('the local stack wrote no manifest');
    const issuer = existingIssuer(join(dataDir, 'issuer-key.pem'), manifest.issuer);
    if (!issuer) throw new Error('the local stack has no issuer key');
    const admin = manifest.users.find((user: StackUser) => user.demo && user.role === 'FacilityAdmin');
    if (!admin) throw new Error('no demo facility admin');
    const token = issuer.mint(actorFor(admin), { expiresInSeconds: 3600 });
    const riders = await call(agent, port, 'GET', '/v1/riders?limit=5', token);
    const rider = (JSON.parse(riders.body) as { items?: { id: string }[] }).items?.[0]?.id;
    if (riders.status !== 200 || !rider) throw new Error(`GET /v1/riders answered ${riders.status}: ${riders.body.slice(0, 200)}`);

    const mix = { list: 0, get: 0, create: 0 };
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    const tripIds: string[] = [];
    let sequence = 0;
    const deadline = performance.now() + settings.loadSeconds * 1000;
    status(`P6 ${CONNECTIONS} connections for ${settings.loadSeconds} s on ${manifest.issuer}`);
    const started = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async (_, connection) => {
      for (let turn = connection; performance.now() < deadline; turn += CONNECTIONS) {
        const kind = turn % 10 < 3 ? 'create' : turn % 10 < 7 || tripIds.length === 0 ? 'list' : 'get';
        const begin = performance.now();
        let answer: Answer;
        try {
          if (kind === 'create') {
            sequence += 1;
            answer = await call(agent, port, 'POST', '/v1/trip-requests', token, {
              riderId: rider, pickupAddress: '1 Bench Street', dropoffAddress: '2 Clinic Road',
              appointmentAt: new Date(Date.UTC(2032, 0, 1) + sequence * 60_000).toISOString(),
            });
            if (answer.status === 201) tripIds.push((JSON.parse(answer.body) as { id: string }).id);
          } else if (kind === 'list') {
            answer = await call(agent, port, 'GET', '/v1/trip-requests?limit=20', token);
          } else {
            answer = await call(agent, port, 'GET', `/v1/trip-requests/${tripIds[turn % tripIds.length]}`, token);
          }
        } catch (error) {
          answer = { status: 0, body: error instanceof Error ? error.message : String(error) };
        }
        latencies.push(performance.now() - begin);
        mix[kind] += 1;
        const expected = kind === 'create' ? 201 : 200;
        if (answer.status !== expected) {
          const key = `${kind} ${answer.status}`;
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const errorCount = Object.values(errors).reduce((sum, count) => sum + count, 0);
    const perSecond = round(latencies.length / seconds, 1);
    return {
      value: perSecond,
      floor: null,
      ratio: null,
      unit: 'req/s',
      checks: [check('errors', errorCount, 'max', 0)],
      absolute: {
        connections: CONNECTIONS,
        seconds: round(seconds, 2),
        requests: latencies.length,
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        mix,
        errors,
        stack: 'local/start.ts --fresh (embedded PostgreSQL, in-process notification pipeline)',
        startSeconds,
      },
    };
  } finally {
    agent.destroy();
    status('P6 stopping the local stack');
    const code = await stopStack(stack.child);
    rmSync(dataDir, { recursive: true, force: true });
    if (code !== 0 && code !== null) status(`P6 local stack exited with ${code}`);
  }
}
