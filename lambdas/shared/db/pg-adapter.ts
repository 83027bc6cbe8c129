import pg from 'pg';
import { assertSettingKey, commitWhile, type Database, DatabaseError, type Queryable, type QueryResult, type SqlParam,
  type TransactionOptions } from './port';
import { timestampToIso } from './normalise';

export interface PgDatabaseConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  /** A function lets each new connection fetch a fresh credential (an RDS IAM auth token). */
  password?: string | (() => Promise<string>);
  /** TLS: verified against the trust store, never `rejectUnauthorized: false`. */
  ssl?: { ca?: string; servername?: string } | false;
  max?: number;
  idleTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  applicationName?: string;
}

const OID = { int8: 20, numeric: 1700, date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

function normalisingTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(OID.timestamptz, timestampToIso);
  types.setTypeParser(OID.timestamp, timestampToIso);
  types.setTypeParser(OID.date, (text: string) => text);
  types.setTypeParser(OID.int8, (text: string) => text);
  types.setTypeParser(OID.numeric, (text: string) => text);
  return types;
}

/** Builds the pool options; exported so a test can prove TLS is verified. */
export function poolOptions(config: PgDatabaseConfig): pg.PoolConfig {
  return {
    connectionString: config.connectionString,
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    ssl: config.ssl ? { ...config.ssl, rejectUnauthorized: true } : undefined,
    max: config.max ?? 10,
    idleTimeoutMillis: config.idleTimeoutMillis ?? 30_000,
    statement_timeout: config.statementTimeoutMillis ?? 10_000,
    application_name: config.applicationName ?? 'nemt-dispatch',
    types: normalisingTypes(),
  };
}

function toDatabaseError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) {
    return new DatabaseError(error.message, error.code, error.constraint, { cause: error });
  }
  return error;
}

function params(values: readonly SqlParam[] | undefined): unknown[] | undefined {
  return values ? [...values] : undefined;
}

async function run<Row>(target: pg.Pool | pg.PoolClient, sql: string, values?: readonly SqlParam[]): Promise<QueryResult<Row>> {
  try {
    const result = await target.query(sql, params(values));
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  } catch (error) {
    throw toDatabaseError(error);
  }
}

/**
 * One simple-protocol statement that opens the transaction and applies every setting: one round
 * trip instead of two. Keys are checked against a strict pattern and values escaped as literals.
 */
export function beginStatement(options: TransactionOptions | undefined): string {
  const statements = [options?.readOnly ? 'BEGIN READ ONLY' : 'BEGIN'];
  const entries = Object.entries(options?.settings ?? {});
  if (entries.length > 0) {
    const calls = entries.map(([key, value]) => {
      assertSettingKey(key);
      return `set_config(${pg.escapeLiteral(key)}, ${pg.escapeLiteral(value)}, true)`;
    });
    statements.push(`SELECT ${calls.join(', ')}`);
  }
  statements.push(...(options?.initStatements ?? []));
  return statements.join('; ');
}

export function createPgDatabase(config: PgDatabaseConfig): Database {
  const pool = new pg.Pool(poolOptions(config));
  // An idle client's error (e.g. the server restarted) must not crash the process.
  pool.on('error', () => undefined);

  return {
    query: (sql, values) => run(pool, sql, values),

    async transaction(work, options) {
      const client = await pool.connect();
      let open = true;
      const tx: Queryable = {
        query: (sql, values) => {
          if (!open) return Promise.reject(new Error('transaction already finished'));
          return run(client, sql, values);
        },
      };
      let broken = false;
      try {
        await run(client, beginStatement(options));
        const result = await work(tx);
        open = false;
        return await commitWhile(() => run(client, 'COMMIT'), result, options?.whileCommitting);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        open = false;
        client.release(broken);
      }
    },

    close: () => pool.end(),
  };
}
