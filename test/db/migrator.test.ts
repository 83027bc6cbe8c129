import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataApiDatabase } from '../../lambdas/shared/db/data-api-adapter';
import { checksum, loadMigrations, type Migration, MigrationError, migrate } from '../../lambdas/shared/db/migrator';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import { type Database, DatabaseError } from '../../lambdas/shared/db/port';
import { installDataApiFake } from '../support/data-api-fake';
import { SCHEMA_DIR, type TestDatabase, useTestDatabase } from '../support/database';

/**
 * The migration runner against empty databases, once per adapter: in AWS migrations run through
 * the Data API, locally through node-postgres. Roles are cluster-wide and already exist from the
 * template; the migrations create them idempotently, so a fresh database migrates cleanly.
 */
const pgTarget = useTestDatabase({ migrated: false });
const dataApiTarget = useTestDatabase({ migrated: false });

interface Subject {
  database: Database;
  close(): Promise<void>;
}

const adapters: [string, () => TestDatabase, (target: TestDatabase) => Subject][] = [
  [
    'node-postgres',
    pgTarget,
    (target) => {
      const database = createPgDatabase({ connectionString: target.url(), max: 2 });
      return { database, close: () => database.close() };
    },
  ],
  [
    'RDS Data API',
    dataApiTarget,
    (target) => {
      const fake = installDataApiFake({ connectionString: target.url() });
      const database = createDataApiDatabase(fake.config);
      return { database, close: () => database.close().then(() => fake.close()) };
    },
  ],
];

function migration(name: string, sql: string): Migration {
  return { name, sql, checksum: checksum(sql) };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const schemaFiles = loadMigrations(SCHEMA_DIR);

describe.each(adapters)('migrate() through the %s adapter', (_name, target, open) => {
  let subject: Subject;

  beforeAll(() => {
    subject = open(target());
  });

  afterAll(async () => {
    await subject.close();
  });

  const bookkeeping = async () => {
    const { rows } = await target().owner.query<{ name: string; checksum: string; applied_at: string }>(
      'SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name',
    );
    return rows;
  };
  const exists = async (relation: string) => {
    const { rows } = await target().owner.query<{ found: boolean }>('SELECT to_regclass($1::text) IS NOT NULL AS found', [relation]);
    return rows[0]?.found;
  };

  test('applies every file in schema/ in name order and reports each', async () => {
    const lines: string[] = [];
    expect(await exists('public.trip_legs')).toBe(false);

    const report = await migrate(subject.database, schemaFiles, (line) => lines.push(line));

    const fileNames = readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.sql')).sort();
    expect(fileNames.length).toBeGreaterThan(0);
    expect(report).toEqual({ applied: fileNames, alreadyApplied: [] });
    expect(lines).toEqual(fileNames.map((name) => `applied ${name}`));
    expect((await bookkeeping()).map(({ name, checksum }) => ({ name, checksum }))).toEqual(
      schemaFiles.map(({ name, checksum }) => ({ name, checksum })),
    );
    expect(await exists('public.trip_legs')).toBe(true);
    expect(await exists('public.audit_events')).toBe(true);
    const { rows } = await target().owner.query<{ policies: number; forced: number }>(
      `SELECT (SELECT count(*)::int4 FROM pg_policies WHERE schemaname = 'public') AS policies,
              (SELECT count(*)::int4 FROM pg_class WHERE relforcerowsecurity AND relnamespace = 'public'::regnamespace) AS forced`,
    );
    expect(rows[0]?.policies).toBeGreaterThan(0);
    expect(rows[0]?.forced).toBeGreaterThan(0);
  });

  test('a second run is a no-op that reports everything as already applied', async () => {
    const before = await bookkeeping();
    const lines: string[] = [];

    const report = await migrate(subject.database, schemaFiles, (line) => lines.push(line));

    expect(report).toEqual({ applied: [], alreadyApplied: schemaFiles.map((m) => m.name) });
    expect(lines).toEqual([]);
    expect(await bookkeeping()).toEqual(before);
  });

  test('an applied file that was edited is refused and nothing further is applied', async () => {
    const victim = schemaFiles[1];
    if (!victim) throw new Error('schema/ needs at least two migrations for this test');
    const edited = schemaFiles.map((m) => (m.name === victim.name ? migration(m.name, `${m.sql}\n-- edited after release\n`) : m));
    const next = migration('9001_after_edit.sql', 'CREATE TABLE after_edit (id int4)');
    const before = await bookkeeping();

    const error = await caught(migrate(subject.database, [...edited, next]));

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(`${victim.name} was edited after it was applied`);
    expect(await exists('public.after_edit')).toBe(false);
    expect(await bookkeeping()).toEqual(before);
  });

  test('an applied file that is missing is refused and nothing further is applied', async () => {
    const removed = schemaFiles[2];
    if (!removed) throw new Error('schema/ needs at least three migrations for this test');
    const next = migration('9001_after_removal.sql', 'CREATE TABLE after_removal (id int4)');
    const before = await bookkeeping();

    const error = await caught(migrate(subject.database, [...schemaFiles.filter((m) => m !== removed), next]));

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(`${removed.name} was applied but its file is missing`);
    expect(await exists('public.after_removal')).toBe(false);
    expect(await bookkeeping()).toEqual(before);
  });

  test('a failing migration rolls back entirely and stops the run; fixed, it applies', async () => {
    const broken = migration(
      '9002_broken.sql',
      `CREATE TABLE half_done (id int4 PRIMARY KEY);
       INSERT INTO half_done VALUES (1);
       CREATE FUNCTION half_done_fn() RETURNS int4 LANGUAGE sql AS $$ SELECT 1; $$;
       SELECT 1 / 0;`,
    );
    const later = migration('9003_later.sql', 'CREATE TABLE later_table (id int4)');
    const before = await bookkeeping();

    const error = await caught(migrate(subject.database, [...schemaFiles, broken, later]));

    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: '22012' });
    expect(await exists('public.half_done')).toBe(false);
    expect(await exists('public.later_table')).toBe(false);
    const fn = await target().owner.query("SELECT 1 FROM pg_proc WHERE proname = 'half_done_fn'");
    expect(fn.rowCount).toBe(0);
    expect(await bookkeeping()).toEqual(before);

    const fixed = migration('9002_broken.sql', 'CREATE TABLE half_done (id int4 PRIMARY KEY)');
    const report = await migrate(subject.database, [...schemaFiles, fixed, later]);
    expect(report.applied).toEqual(['9002_broken.sql', '9003_later.sql']);
    expect(await exists('public.half_done')).toBe(true);
    expect(await exists('public.later_table')).toBe(true);
  });
});

describe('loadMigrations', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nemt-migrations-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads .sql files in name order with their checksums and ignores other files', () => {
    writeFileSync(join(dir, '0002_second.sql'), 'SELECT 2;');
    writeFileSync(join(dir, '0001_first.sql'), 'SELECT 1;');
    writeFileSync(join(dir, 'README.md'), 'notes');

    expect(loadMigrations(dir)).toEqual([migration('0001_first.sql', 'SELECT 1;'), migration('0002_second.sql', 'SELECT 2;')]);
  });

  test('refuses a file name that does not sort as a numbered migration', () => {
    writeFileSync(join(dir, '0001_first.sql'), 'SELECT 1;');
    writeFileSync(join(dir, 'hotfix.sql'), 'SELECT 2;');

    expect(() => loadMigrations(dir)).toThrow(MigrationError);
  });
});
