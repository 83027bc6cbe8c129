import { DatabaseResumingException, type RDSDataClient } from '@aws-sdk/client-rds-data';
import { createMigrationHandler, runMigrations, settingsFrom } from '../../lambdas/migrate/handler';
import { createDataApiDatabase } from '../../lambdas/shared/db/data-api-adapter';
import { loadMigrations } from '../../lambdas/shared/db/migrator';
import { type DataApiFake, installDataApiFake } from '../support/data-api-fake';
import { SCHEMA_DIR, useTestDatabase } from '../support/database';

/**
 * The deployment trigger's handler, end to end through the RDS Data API adapter on an empty
 * database (the Data API faked at the SDK client, statements running on the test PostgreSQL).
 */
let fake: DataApiFake | undefined;
const saved = { ...process.env };

// Declared before the database hooks so the fake's connections close before the database is dropped.
afterAll(async () => {
  process.env = saved;
  await fake?.close();
});

const target = useTestDatabase({ migrated: false });

function dataApi(): DataApiFake {
  if (!fake) throw new Error('the Data API fake is not installed');
  return fake;
}

beforeAll(() => {
  fake = installDataApiFake({ connectionString: target().url() });
  process.env.DB_CLUSTER_ARN = fake.config.resourceArn;
  process.env.DB_SECRET_ARN = fake.config.secretArn;
  process.env.DB_NAME = fake.config.database;
});

test('the first run applies every schema file; the second applies nothing', async () => {
  const lines: string[] = [];
  const handler = createMigrationHandler({ migrationsDir: SCHEMA_DIR, client: dataApi().client, log: (line) => lines.push(line) });
  const files = loadMigrations(SCHEMA_DIR).map((migration) => migration.name);

  const first = await handler();
  expect(first).toEqual({ applied: files, alreadyApplied: 0 });
  const recorded = await target().owner.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  expect(recorded.rows.map((row) => row.name)).toEqual(files);

  const second = await handler();
  expect(second).toEqual({ applied: [], alreadyApplied: files.length });
  expect(lines.at(-1)).toBe(`migrations done: 0 applied, ${files.length} already applied`);
  expect(dataApi().openTransactions()).toBe(0);
});

test('a cluster that is resuming is retried, other errors are not', async () => {
  // The first call meets a paused cluster, as the service answers while Aurora resumes.
  const real = dataApi().client;
  let calls = 0;
  const resuming = {
    send: (command: Parameters<RDSDataClient['send']>[0]) => {
      calls += 1;
      if (calls === 1) return Promise.reject(new DatabaseResumingException({ message: 'resuming', $metadata: {} }));
      return real.send(command);
    },
  } as unknown as RDSDataClient;
  const db = createDataApiDatabase({ ...dataApi().config, client: resuming });
  const lines: string[] = [];
  const report = await runMigrations(db, SCHEMA_DIR, (line) => lines.push(line), { attempts: 3, waitMs: 0 });
  expect(report.applied).toEqual([]);
  expect(lines).toContain('database is resuming; retrying (1/2)');
  expect(calls).toBeGreaterThan(1);

  await expect(runMigrations(db, '/nonexistent-schema-dir', () => undefined, { waitMs: 0 })).rejects.toThrow();
  await db.close();
});

test('missing settings stop the run before anything is touched', () => {
  expect(() => settingsFrom({ DB_SECRET_ARN: 'x', DB_NAME: 'nemt' }, SCHEMA_DIR)).toThrow('DB_CLUSTER_ARN is not set');
  expect(() => settingsFrom({ DB_CLUSTER_ARN: 'x', DB_NAME: 'nemt' }, SCHEMA_DIR)).toThrow('DB_SECRET_ARN is not set');
  expect(settingsFrom({ DB_CLUSTER_ARN: 'a', DB_SECRET_ARN: 'b', DB_NAME: 'c' }, SCHEMA_DIR))
    .toEqual({ resourceArn: 'a', secretArn: 'b', database: 'c', migrationsDir: SCHEMA_DIR });
});
