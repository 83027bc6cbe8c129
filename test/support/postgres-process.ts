import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A PostgreSQL server of a test's own, in a child process (test/support/postgres-process-main.ts),
 * so the test can stop it under load and start it again on the same data folder and port while
 * the shared server of the global setup keeps serving every other file.
 */
export interface PostgresProcess {
  readonly port: number;
  readonly pid: number;
  adminUrl(database?: string): string;
  /** Stops the server (fast shutdown: sessions are ended, 57P01) and waits until it is gone. */
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');
const SUPERUSER_PASSWORD = 'local-test-only';

export async function startPostgresProcess(options: { dataDir: string; port?: number }): Promise<PostgresProcess> {
  const child: ChildProcess = spawn(process.execPath,
    ['--import', 'tsx', 'test/support/postgres-process-main.ts', options.dataDir, ...(options.port ? [String(options.port)] : [])],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { port: number; pid: number });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then(() => reject(new Error(`PostgreSQL did not start:\n${output}`)));
  });
  let stopping: Promise<void> | undefined;
  return {
    port: ready.port,
    pid: ready.pid,
    adminUrl: (database = 'postgres') => `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${ready.port}/${database}`,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      })();
      return stopping;
    },
  };
}
