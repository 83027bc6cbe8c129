import pg from 'pg';
import { assertSettingKey, commitWhile, type Database, DatabaseError, DatabaseUnavailableError, isUnavailableSqlState, type Queryable,
  type QueryResult, type SqlParam, type TransactionOptions } from './port';
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
  /** How long opening a connection (or waiting for a free one) may take before the database counts as unavailable. */
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  applicationName?: string;
  /**
   * Open the first connection now, not at the first query: a Lambda's first request needs one
   * anyway, and opening it while the rest of the module loads overlaps the TLS handshake and the
   * authentication with init. The first checkout waits for it instead of opening a second one.
   */
  connectEarly?: boolean;
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
    // A server that vanished without closing its sockets (a failover) must not hang a request.
    connectionTimeoutMillis: config.connectionTimeoutMillis ?? 10_000,
    keepAlive: true,
    statement_timeout: config.statementTimeoutMillis ?? 10_000,
    application_name: config.applicationName ?? 'nemt-dispatch',
    types: normalisingTypes(),
  };
}

/** Socket-level failures: the server is not there, or the network between us dropped the connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENOTFOUND', 'EAI_AGAIN']);

/**
 * What node-postgres says when a connection ended or could not be had; it gives these no code.
 * "Connection terminated unexpectedly" is a socket closed under a live session; the others are a
 * client whose connection already failed, and pg-pool's connection and checkout timeouts.
 */
const CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect)/;

function toDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseError) return error;
  if (error instanceof pg.DatabaseError) {
    if (isUnavailableSqlState(error.code)) return new DatabaseUnavailableError(error.message, error.code, { cause: error });
    return new DatabaseError(error.message, error.code, error.constraint, { cause: error });
  }
  // Socket errors are read by shape: Node's own errors are not always `instanceof Error` here (a
  // test runner's sandbox has another Error).
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  // 08001: could not establish a connection; 08006: an established one failed.
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return new DatabaseUnavailableError(text, '08001', { cause: error });
  if (CONNECTION_LOST.test(text)) return new DatabaseUnavailableError(text, '08006', { cause: error });
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
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool
  // removes that client itself.
  pool.on('error', () => undefined);
  // A failed early connection is not an answer to anyone: the first checkout opens its own
  // connection and reports that one's failure.
  let connecting: Promise<void> | undefined = config.connectEarly
    ? pool.connect().then((client) => client.release(), () => undefined).finally(() => { connecting = undefined; })
    : undefined;
  const early = async () => {
    if (connecting) await connecting;
  };

  async function checkOut(): Promise<pg.PoolClient> {
    await early();
    try {
      return await pool.connect();
    } catch (error) {
      throw toDatabaseError(error);
    }
  }

  return {
    query: async (sql, values) => {
      await early();
      return run(pool, sql, values);
    },

    async transaction(work, options) {
      const client = await checkOut();
      // pg-pool listens for a client's errors only while it is idle. A held client whose session
      // ends (terminated backend 57P01, server shutdown, dropped socket) emits 'error', and an
      // 'error' without a listener ends the process: listen while it is ours, and never give it
      // back to the pool once it has failed.
      let connectionLost = false;
      const onConnectionError = () => {
        connectionLost = true;
      };
      client.on('error', onConnectionError);
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
        // A dead session has nothing to roll back: the server discarded the transaction with it.
        if (connectionLost || error instanceof DatabaseUnavailableError) {
          broken = true;
        } else {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
        }
        throw error;
      } finally {
        open = false;
        client.off('error', onConnectionError);
        client.release(broken || connectionLost);
      }
    },

    close: async () => {
      await early();
      await pool.end();
    },
  };
}
