import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import type { Database } from '../../lambdas/shared/db/port';
import { loadMigrations, migrate } from '../../lambdas/shared/db/migrator';
import { databaseUrl, LOGIN_USERS, type LoginName, setLoginPasswords as setPasswords, withAdmin } from '../../local/database';

export { LOGIN_USERS, type LoginName };
/** The development password the harness gives the login users. */
const LOGIN_PASSWORD = 'local-test-only';

export const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

function templateName(): string {
  return process.env.NEMT_TEST_TEMPLATE ?? `nemt_tpl_${process.pid}`;
}

function withDatabase(url: string, database: string, user?: string): string {
  return databaseUrl(url, database, user ? { user, password: LOGIN_PASSWORD } : undefined);
}

/** Gives the login users a development password (they have none in AWS). */
export function setLoginPasswords(adminUrl: string, password = LOGIN_PASSWORD): Promise<void> {
  return setPasswords(adminUrl, password);
}

export async function prepareTemplate(adminUrl: string): Promise<void> {
  const name = templateName();
  process.env.NEMT_TEST_TEMPLATE = name;
  await withAdmin(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  const db = createPgDatabase({ connectionString: withDatabase(adminUrl, name), max: 1 });
  try {
    await migrate(db, loadMigrations(SCHEMA_DIR));
  } finally {
    await db.close();
  }
  await setLoginPasswords(adminUrl);
}

export async function dropTemplate(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${templateName()} WITH (FORCE)`));
}

function adminUrl(): string {
  const url = process.env.NEMT_TEST_ADMIN_URL;
  if (!url) throw new Error('NEMT_TEST_ADMIN_URL is not set: run the tests through Jest (global setup)');
  return url;
}

export interface TestDatabase {
  readonly name: string;
  /** The migrating owner (a superuser in tests). Bypasses row-level security: setup and inspection only. */
  readonly owner: Database;
  /** A database connection as one of the application login users (RLS applies). */
  as(login: LoginName): Database;
  /**
   * A connection with exactly the grants of `login` through a test-only role that bypasses
   * row-level security (BYPASSRLS, a member of the login user): what the explicit facility
   * predicates do on their own. The role is dropped with the database.
   */
  bypassingRls(login: LoginName): Promise<Database>;
  url(login?: LoginName): string;
  drop(): Promise<void>;
}

/** A fresh database for one test file: an instant copy of the migrated template. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : templateName();
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const pools = new Map<string, Database>();
  const pool = (key: string, url: string): Database => {
    let db = pools.get(key);
    if (!db) {
      db = createPgDatabase({ connectionString: url, max: 25 });
      pools.set(key, db);
    }
    return db;
  };
  const url = (login?: LoginName) => withDatabase(admin, name, login ? LOGIN_USERS[login] : undefined);
  // Roles are cluster-wide: named after this database, so parallel test files never share one.
  const bypassRoles = new Set<string>();
  return {
    name,
    get owner() {
      return pool('owner', url());
    },
    as: (login) => pool(login, url(login)),
    async bypassingRls(login) {
      const role = `${name}_${login}_bypassrls`;
      if (!bypassRoles.has(role)) {
        await withAdmin(admin, (client) => client.query(
          `CREATE ROLE ${role} LOGIN BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT
             PASSWORD '${LOGIN_PASSWORD}' IN ROLE ${LOGIN_USERS[login]}`));
        bypassRoles.add(role);
      }
      return pool(role, withDatabase(admin, name, role));
    },
    url,
    async drop() {
      await Promise.all([...pools.values()].map((db) => db.close()));
      await withAdmin(admin, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        for (const role of bypassRoles) await client.query(`DROP ROLE IF EXISTS ${role}`);
      });
    },
  };
}

/** Registers a fresh database for the current test file and drops it afterwards. */
export function useTestDatabase(options: { migrated?: boolean } = {}): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(options);
  });
  afterAll(async () => {
    await current?.drop();
  });
  return () => {
    if (!current) throw new Error('test database not ready: call inside a test or hook');
    return current;
  };
}
