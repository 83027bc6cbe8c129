import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localLayout } from '../../local/layout';
import { freePort, postmasterPid, processIsAlive } from '../../local/processes';

/**
 * `npm start -- --fresh` as a child process, for the browser tests and the console benchmark:
 * the real local stack (local/start.ts) on a free port with its own temporary data folder, in a
 * process group of its own so that nothing it starts can outlive it. `stop()` asks it to shut
 * down as Ctrl-C would (SIGTERM: server, relay, pools, PostgreSQL), then makes sure: whatever is
 * left of the group is killed, and so is a PostgreSQL still running on the data folder.
 */
export interface LocalStackProcess {
  readonly url: string;
  readonly port: number;
  /** The stack's NEMT_LOCAL_DIR: its manifest and token signing key are there. */
  readonly dataDir: string;
  readonly pid: number;
  /** The last few thousand characters the stack printed. */
  output(): string;
  /** Idempotent; resolves with the stack's exit code (null when it had to be killed). */
  stop(): Promise<number | null>;
}

export interface LocalStackProcessOptions {
  /** Where to append everything the stack prints (the full log; `output()` keeps only the tail). */
  logFile?: string;
  /** How long `npm start` may take to answer (it migrates, seeds and may build the console). */
  startTimeoutMs?: number;
  env?: Record<string, string>;
  /** More `npm start` arguments, e.g. `--no-build` when the console is not under test. */
  args?: readonly string[];
}

const ROOT = resolve(__dirname, '..', '..');
const READY = /✔ Ready: (http:\/\/\S+)/;
const STOP_TIMEOUT_MS = 45_000;

export async function startLocalStackProcess(options: LocalStackProcessOptions = {}): Promise<LocalStackProcess> {
  try {
    return await startOnce(options);
  } catch (error) {
    // The ports are picked free before PostgreSQL binds its own: on a busy machine another process
    // can take it first. A second try gets new ports; a real start-up fault fails it the same way.
    if (!(error instanceof Error) || !error.message.includes('PostgreSQL did not start')) throw error;
    return startOnce(options);
  }
}

async function startOnce(options: LocalStackProcessOptions): Promise<LocalStackProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nemt-browser-stack-'));
  // As root the cluster runs as the `postgres` user, which must be able to enter the folder.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', '--fresh', ...(options.args ?? [])], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      NEMT_LOCAL_DIR: dataDir,
      NEMT_PG_PORT: String(await freePort()),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: stop() can reach everything it started, whatever happened to it.
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the local stack did not start (no process id)');
  let tail = '';
  const keep = (chunk: Buffer) => {
    log?.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  let stopping: Promise<number | null> | undefined;
  // Should the parent end without stopping it (an interrupted run), the stack still shuts down:
  // it is in its own process group, so a terminal's Ctrl-C never reached it.
  const orphaned = () => {
    if (stopping === undefined && child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', orphaned);
  const stop = (): Promise<number | null> => {
    stopping ??= (async () => {
      process.off('exit', orphaned);
      let code: number | null = child.exitCode;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), STOP_TIMEOUT_MS).unref());
        const outcome = await Promise.race([exit, timer]);
        code = outcome === 'timeout' ? null : outcome;
      }
      killGroup(pid);
      await stopLeftoverPostgres(dataDir);
      await new Promise<void>((done) => (log ? log.end(done) : done()));
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    })();
    return stopping;
  };

  try {
    await waitUntilReady(url, exit, () => tail, options.startTimeoutMs ?? 240_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, dataDir, pid, output: () => tail, stop };
}

async function waitUntilReady(url: string, exit: Promise<number | null>, tail: () => string, timeoutMs: number): Promise<void> {
  let exited: number | null | undefined;
  void exit.then((code) => {
    exited = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`the local stack exited (${exited}) while starting:\n${tail()}`);
    // It prints "Ready" once every route answers; the HTTP port is bound long before that.
    if (READY.test(tail())) {
      const answer = await fetch(`${url}/.well-known/jwks.json`).catch(() => undefined);
      if (answer?.status === 200) return;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the local stack did not answer within ${timeoutMs / 1000} s:\n${tail()}`);
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is empty, as it should be after a clean stop.
  }
}

/** A stack that died before stopping its PostgreSQL may leave the postmaster behind (it may run outside the group). */
async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  const pid = postmasterPid(localLayout({ NEMT_LOCAL_DIR: dataDir }).postgresDir);
  if (pid === undefined || !processIsAlive(pid)) return;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGKILL'];
  for (const signal of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + 10_000;
    while (processIsAlive(pid) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
    if (!processIsAlive(pid)) return;
  }
}
