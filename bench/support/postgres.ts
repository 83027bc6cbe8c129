import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadMigrations, migrate } from '../../lambdas/shared/db/migrator';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import type { Database } from '../../lambdas/shared/db/port';
import { LOGIN_USERS, type LoginName, SCHEMA_DIR, setLoginPasswords } from '../../test/support/database';
import { type RunningPostgres, startEmbeddedPostgres } from '../../test/support/postgres-server';

/**
 * The benchmarks' PostgreSQL: a throwaway embedded server (the one the tests use), or the server
 * named by BENCH_DATABASE_URL (an admin URL; a database per benchmark run is created and dropped
 * on it). Databases are migrated with the real migrator and reached through the real adapter.
 */
export interface BenchServer {
  readonly version: string;
  readonly embedded: boolean;
  readonly settings: Readonly<Record<string, string>>;
  createDatabase(name: string): Promise<BenchDatabase>;
  stop(): Promise<void>;
}

export interface BenchDatabase {
  readonly name: string;
  /** The migrating owner: setup and inspection only (bypasses row-level security). */
  readonly owner: Database;
  url(login?: LoginName): string;
  /** A new pool as an application login (RLS applies); closed by `drop`. */
  pool(login: LoginName, max?: number): Database;
  drop(): Promise<void>;
}

const LOGIN_PASSWORD = 'local-test-only';

function withDatabase(adminUrl: string, database: string, user?: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (user) {
    url.username = user;
    url.password = LOGIN_PASSWORD;
  }
  return url.toString();
}

async function admin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Server settings of the embedded benchmark server. The default 128 MB of shared buffers is
 * smaller than the 1M-row tables and their indexes, so reads would come from the OS page cache
 * through a system call each, which measures the kernel rather than the queries (Aurora gives
 * its buffer cache most of the instance's memory). The WAL settings only make the bulk load
 * cheaper: fsync is off on this throwaway server anyway.
 */
export const BENCH_SERVER_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '1GB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
};

/**
 * Starts the shared embedded server once to create the cluster and write the settings
 * (ALTER SYSTEM; shared_buffers needs a restart), then again on the same folder, which is
 * removed when the benchmark stops it.
 */
async function startTunedEmbeddedPostgres(): Promise<RunningPostgres> {
  const parent = mkdtempSync(join(tmpdir(), 'nemt-bench-pg-'));
  // The server runs as another user when we are root: it must be able to enter the parent.
  chmodSync(parent, 0o755);
  const dataDir = join(parent, 'data');
  try {
    const first = await startEmbeddedPostgres({ dataDir, persistent: true });
    await admin(first.adminUrl(), async (client) => {
      for (const [name, value] of Object.entries(BENCH_SERVER_SETTINGS)) {
        await client.query(`ALTER SYSTEM SET ${name} = ${pg.escapeLiteral(value)}`);
      }
    });
    await first.stop();
    const running = await startEmbeddedPostgres({ dataDir, persistent: false });
    return {
      ...running,
      stop: async () => {
        await running.stop();
        rmSync(parent, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(parent, { recursive: true, force: true });
    throw error;
  }
}

export async function startBenchServer(): Promise<BenchServer> {
  const external = process.env.BENCH_DATABASE_URL;
  const running: RunningPostgres | undefined = external ? undefined : await startTunedEmbeddedPostgres();
  const adminUrl = external ?? (running as RunningPostgres).adminUrl();
  let passwordsSet = false;
  const { version, settings } = await admin(adminUrl, async (client) => {
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'fsync', 'max_connections', 'jit')`,
    );
    const named = Object.fromEntries(rows.map((row) => [row.name, row.unit ? `${row.setting} × ${row.unit}` : row.setting]));
    return { version: named.server_version ?? '?', settings: named };
  });

  return {
    version,
    settings,
    embedded: !external,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,40}$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${name}`);
      });
      const owner = createPgDatabase({ connectionString: withDatabase(adminUrl, name), max: 4, statementTimeoutMillis: 600_000 });
      await migrate(owner, loadMigrations(SCHEMA_DIR));
      // The login roles exist once the first database is migrated (roles are cluster-wide).
      if (!passwordsSet) {
        await setLoginPasswords(adminUrl, LOGIN_PASSWORD);
        passwordsSet = true;
      }
      const pools: Database[] = [owner];
      const url = (login?: LoginName) => withDatabase(adminUrl, name, login ? LOGIN_USERS[login] : undefined);
      return {
        name,
        owner,
        url,
        pool(login, max = 10) {
          const db = createPgDatabase({ connectionString: url(login), max });
          pools.push(db);
          return db;
        },
        async drop() {
          await Promise.all(pools.map((db) => db.close().catch(() => undefined)));
          await admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        },
      };
    },
    async stop() {
      await running?.stop();
    },
  };
}
