import { join } from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { createDataApiDatabase } from '../shared/db/data-api-adapter';
import { loadMigrations, migrate, type MigrationReport } from '../shared/db/migrator';
import type { Database } from '../shared/db/port';
import { LAMBDA_CLIENT_CONFIG } from '../shared/aws/lambda-credentials';

/**
 * The deployment trigger (lib/stacks/data-stack.ts) that applies `schema/*.sql` through the RDS
 * Data API as the RDS-managed master user. The schema files are bundled next to this file, so a
 * change to `schema/` produces a new function version and CloudFormation runs the trigger again;
 * already-applied files are skipped by checksum. Any failure throws, which fails the deployment
 * before the API is updated.
 */
export interface MigrationSettings {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
  readonly migrationsDir: string;
}

export function settingsFrom(env: NodeJS.ProcessEnv, migrationsDir: string): MigrationSettings {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  return {
    resourceArn: required('DB_CLUSTER_ARN'),
    secretArn: required('DB_SECRET_ARN'),
    database: required('DB_NAME'),
    migrationsDir,
  };
}

/** Runs the migrations, retrying while a scaled-down cluster resumes. */
export async function runMigrations(
  db: Database,
  migrationsDir: string,
  log: (line: string) => void,
  options: { attempts?: number; waitMs?: number } = {},
): Promise<MigrationReport> {
  const migrations = loadMigrations(migrationsDir);
  if (migrations.length === 0) throw new Error(`no migrations found in ${migrationsDir}`);
  const attempts = options.attempts ?? 6;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await migrate(db, migrations, log);
    } catch (error) {
      if (attempt >= attempts || !isResuming(error)) throw error;
      log(`database is resuming; retrying (${attempt}/${attempts - 1})`);
      await new Promise((resolve) => setTimeout(resolve, options.waitMs ?? 10_000));
    }
  }
}

function isResuming(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current.name === 'DatabaseResumingException') return true;
  }
  return false;
}

export interface MigrationHandlerOptions {
  /** Where the bundled schema files are; next to the handler in the Lambda package. */
  readonly migrationsDir: string;
  readonly client?: RDSDataClient;
  readonly log?: (line: string) => void;
}

export function createMigrationHandler(options: MigrationHandlerOptions) {
  const log = options.log ?? ((line: string) => console.log(JSON.stringify({ message: line })));
  return async (): Promise<{ applied: string[]; alreadyApplied: number }> => {
    const settings = settingsFrom(process.env, options.migrationsDir);
    const db = createDataApiDatabase({
      client: options.client ?? new RDSDataClient(LAMBDA_CLIENT_CONFIG),
      resourceArn: settings.resourceArn,
      secretArn: settings.secretArn,
      database: settings.database,
    });
    try {
      const report = await runMigrations(db, settings.migrationsDir, log);
      log(`migrations done: ${report.applied.length} applied, ${report.alreadyApplied.length} already applied`);
      return { applied: report.applied, alreadyApplied: report.alreadyApplied.length };
    } finally {
      await db.close();
    }
  };
}

export const handler = createMigrationHandler({ migrationsDir: join(__dirname, 'schema') });
