/**
 * `npm run db:migrate`: applies schema/ to DATABASE_URL (forward-only, see
 * lambdas/shared/db/migrator.ts) and prints each file it applied and a summary.
 *
 * Exit codes: 0 done (including nothing to do), 1 a migration failed or the applied history does
 * not match the files (the message says which), 2 DATABASE_URL is not set.
 * Run it as the login that owns the schema, never as an application login.
 */
import { join } from 'node:path';
import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';
import { loadMigrations, migrate } from '../lambdas/shared/db/migrator';
import { databaseUrlFromEnv, runCli } from './cli-support';

const COMMAND = 'db:migrate';
const SCHEMA_DIR = join(__dirname, '..', 'schema');
// A migration may rebuild an index on a large table; the adapter's 10 s API default is too short.
const STATEMENT_TIMEOUT_MS = 30 * 60_000;

async function main(): Promise<number> {
  const url = databaseUrlFromEnv(COMMAND);
  const migrations = loadMigrations(SCHEMA_DIR);
  const db = createPgDatabase({
    connectionString: url,
    max: 1,
    statementTimeoutMillis: STATEMENT_TIMEOUT_MS,
    applicationName: 'nemt-db-migrate',
  });
  try {
    const report = await migrate(db, migrations, (line) => console.log(line));
    console.log(`${report.applied.length} applied, ${report.alreadyApplied.length} already applied`);
    return 0;
  } finally {
    await db.close();
  }
}

runCli(COMMAND, 1, main);
