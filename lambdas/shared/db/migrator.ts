import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './port';
import { splitSqlStatements } from './sql-splitter';

/**
 * Forward-only migrations: `schema/NNNN_description.sql`, applied in order, each in its own
 * transaction together with its bookkeeping row. An applied file that was edited (checksum
 * differs) or removed stops the run before anything else is applied.
 */
export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;
// Any constant works; it keeps two deploys from migrating the same database at once.
const MIGRATION_LOCK = 4_242_001;

export function checksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

export function loadMigrations(dir: string): Migration[] {
  const names = readdirSync(dir).filter((name) => name.endsWith('.sql')).sort();
  return names.map((name) => {
    if (!FILE_NAME.test(name)) throw new MigrationError(`migration file name must look like 0001_name.sql: ${name}`);
    const sql = readFileSync(join(dir, name), 'utf8');
    return { name, sql, checksum: checksum(sql) };
  });
}

export async function migrate(
  db: Database,
  migrations: readonly Migration[],
  log: (line: string) => void = () => undefined,
): Promise<MigrationReport> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  const known = new Map(migrations.map((m) => [m.name, m]));

  const applied = await db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations ORDER BY name');
  for (const row of applied.rows) {
    const file = known.get(row.name);
    if (!file) throw new MigrationError(`${row.name} was applied but its file is missing; migrations are forward-only`);
    if (file.checksum !== row.checksum) {
      throw new MigrationError(`${row.name} was edited after it was applied; add a new migration instead`);
    }
  }
  const done = new Set(applied.rows.map((row) => row.name));

  for (const migration of migrations) {
    if (done.has(migration.name)) {
      report.alreadyApplied.push(migration.name);
      continue;
    }
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const again = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
      if (again.rowCount > 0) return false;
      for (const statement of splitSqlStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
      return true;
    });
    if (ran) {
      report.applied.push(migration.name);
      log(`applied ${migration.name}`);
    } else {
      report.alreadyApplied.push(migration.name);
    }
  }
  return report;
}
