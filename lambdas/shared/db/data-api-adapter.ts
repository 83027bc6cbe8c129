import {
  BeginTransactionCommand,
  type ColumnMetadata,
  CommitTransactionCommand,
  DatabaseResumingException,
  DatabaseUnavailableException,
  ExecuteStatementCommand,
  type Field,
  RDSDataClient,
  RDSDataServiceException,
  RollbackTransactionCommand,
  ServiceUnavailableError,
  type SqlParameter,
  StatementTimeoutException,
} from '@aws-sdk/client-rds-data';
import { timestampToIso } from './normalise';
import { assertSettingKey, commitWhile, type Database, DatabaseError, DatabaseUnavailableError, isUnavailableSqlState, type Queryable,
  type QueryResult, type SqlParam, type TransactionOptions } from './port';

/**
 * The Database port over the RDS Data API (HTTPS, no VPC connection), used for migrations and
 * operations. Differences from node-postgres a caller must know, because the service decides them:
 *
 * - One statement per call: multi-statement SQL is refused (migrations are split first).
 * - String parameters reach Postgres typed as `varchar`, not untyped. Where the target is not a
 *   text type, cast in SQL (`$1::uuid`, `$1::jsonb`, `$1::bigint`, `$1::date`); node-postgres
 *   accepts the same SQL, so portable code always casts.
 * - A Date is sent as `stringValue` 'YYYY-MM-DD HH:MM:SS.FFF' in UTC with typeHint TIMESTAMP: the
 *   only timestamp format the service accepts (no 'T', no zone). Postgres reads it as a
 *   `timestamp` and converts to `timestamptz` in the session time zone, which is UTC on Aurora
 *   unless the cluster parameter group changes `timezone` (it must not).
 * - Results: int8/numeric are requested as strings (longReturnType/decimalReturnType STRING) so
 *   no precision is lost in JSON; timestamps come back as text without a zone and are read as UTC.
 */
export interface DataApiDatabaseConfig {
  /** Omit to let the adapter own a client (then close() destroys it). */
  client?: RDSDataClient;
  resourceArn: string;
  secretArn: string;
  database?: string;
}

type Row = Record<string, unknown>;

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(ch);
}

/** End index (exclusive) of a quoted string or identifier opened at `open`. */
function skipQuoted(sql: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
    } else if (ch === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** End index of a block comment opened at `open`; Postgres block comments nest. */
function skipBlockComment(sql: string, open: number): number {
  let depth = 1;
  let i = open + 2;
  while (i < sql.length && depth > 0) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth += 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return i;
}

const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const POSITIONAL = /^\$(\d+)/;

/**
 * Rewrites `$1..$n` to `:p1..:pn` where they are parameters, leaving strings, quoted identifiers,
 * dollar-quoted bodies and comments untouched. Returns the parameter numbers the SQL uses.
 */
export function toNamedPlaceholders(sql: string): { sql: string; used: Set<number> } {
  const used = new Set<number>();
  let out = '';
  let copiedTo = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    const prev = sql[i - 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (ch === "'") {
      const escapeString = (prev === 'e' || prev === 'E') && !isIdentifierChar(sql[i - 2]);
      i = skipQuoted(sql, i, "'", escapeString);
    } else if (ch === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (ch === '$' && !isIdentifierChar(prev)) {
      const rest = sql.slice(i);
      const positional = POSITIONAL.exec(rest);
      const tag = positional ? null : DOLLAR_TAG.exec(rest);
      if (positional?.[1]) {
        const index = Number(positional[1]);
        used.add(index);
        out += `${sql.slice(copiedTo, i)}:p${index}`;
        i += positional[0].length;
        copiedTo = i;
      } else if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? sql.length : end + tag[0].length;
      } else {
        i += 1;
      }
    } else {
      i += 1;
    }
  }
  return { sql: out + sql.slice(copiedTo), used };
}

function timestampText(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new TypeError('invalid Date parameter');
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export function toSqlParameter(name: string, value: SqlParam | undefined): SqlParameter {
  if (value === null || value === undefined) return { name, value: { isNull: true } };
  if (typeof value === 'string') return { name, value: { stringValue: value } };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (typeof value === 'number') {
    // JSON cannot carry NaN or Infinity, and the service would answer with an opaque error.
    if (!Number.isFinite(value)) throw new TypeError('non-finite number parameter');
    return { name, value: Number.isSafeInteger(value) ? { longValue: value } : { doubleValue: value } };
  }
  if (value instanceof Date) return { name, typeHint: 'TIMESTAMP', value: { stringValue: timestampText(value) } };
  if (value instanceof Uint8Array) return { name, value: { blobValue: value } };
  throw new TypeError(`unsupported parameter type: ${typeof value}`);
}

function bindParameters(sql: string, values: readonly SqlParam[] | undefined): { sql: string; parameters?: SqlParameter[] } {
  if (!values || values.length === 0) return { sql };
  const named = toNamedPlaceholders(sql);
  const parameters: SqlParameter[] = [];
  for (const index of [...named.used].sort((a, b) => a - b)) {
    if (index < 1 || index > values.length) {
      throw new DatabaseError(`statement uses $${index} but only ${values.length} values were given`, undefined);
    }
    parameters.push(toSqlParameter(`p${index}`, values[index - 1]));
  }
  return { sql: named.sql, parameters };
}

function textOf(field: Field): string {
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return String(field.longValue);
  if (field.doubleValue !== undefined) return String(field.doubleValue);
  if (field.booleanValue !== undefined) return String(field.booleanValue);
  throw new DatabaseError('unexpected Data API field shape', undefined);
}

/** Maps one Data API field to the port's normalised JavaScript value for its column type. */
export function fieldValue(field: Field, typeName: string | undefined): unknown {
  if (field.isNull) return null;
  if (field.arrayValue !== undefined) throw new DatabaseError('array results are not supported', undefined);
  switch (typeName?.toLowerCase()) {
    case 'int2':
    case 'int4':
    case 'oid':
    case 'float4':
    case 'float8':
      return field.longValue ?? field.doubleValue ?? Number(textOf(field));
    case 'int8':
    case 'numeric':
      return textOf(field);
    case 'bool':
      return field.booleanValue ?? textOf(field) === 'true';
    case 'timestamptz':
    case 'timestamp':
      return timestampToIso(textOf(field));
    case 'json':
    case 'jsonb':
      return JSON.parse(textOf(field));
    case 'bytea':
      if (field.blobValue === undefined) throw new DatabaseError('bytea column without a blob value', undefined);
      return Buffer.from(field.blobValue.buffer, field.blobValue.byteOffset, field.blobValue.byteLength);
    default:
      if (field.blobValue !== undefined) {
        return Buffer.from(field.blobValue.buffer, field.blobValue.byteOffset, field.blobValue.byteLength);
      }
      if (field.booleanValue !== undefined) return field.booleanValue;
      return field.stringValue ?? textOf(field);
  }
}

function toRows(records: Field[][] | undefined, columns: ColumnMetadata[] | undefined): Row[] {
  if (!records) return [];
  const names = (columns ?? []).map((column, index) => column.label || column.name || `?column?${index}`);
  return records.map((record) => {
    const row: Row = {};
    record.forEach((field, index) => {
      row[names[index] ?? `?column?${index}`] = fieldValue(field, columns?.[index]?.typeName);
    });
    return row;
  });
}

const SQL_STATE = /SQLState:\s*([0-9A-Za-z]{5})/;
const CONSTRAINT = /constraint "((?:[^"]|"")+)"/;

/**
 * The service's message carries the server message, then detail/hint/position lines, then the
 * SQLSTATE. The detail can echo row values (PHI), so the port's message keeps only the primary
 * line, exactly what node-postgres puts in `message`.
 */
function primaryMessage(raw: string): string {
  const firstLine = raw.split('\n')[0] ?? raw;
  return firstLine.replace(/;\s*SQLState:.*$/i, '').replace(/^ERROR:\s*/, '').trim();
}

function toDatabaseError(error: unknown): unknown {
  if (!(error instanceof RDSDataServiceException)) return error;
  if (error instanceof StatementTimeoutException) {
    // Same code node-postgres reports when statement_timeout cancels a query.
    return new DatabaseError('canceling statement due to statement timeout', '57014', undefined, { cause: error });
  }
  // The cluster is paused and resuming, failing over, or the service itself is down: the same
  // "try again shortly" as a lost connection through node-postgres.
  if (error instanceof DatabaseUnavailableException || error instanceof DatabaseResumingException
    || error instanceof ServiceUnavailableError) {
    return new DatabaseUnavailableError(error.name, '08001', { cause: error });
  }
  const code = SQL_STATE.exec(error.message)?.[1]?.toUpperCase();
  const message = primaryMessage(error.message);
  if (isUnavailableSqlState(code)) return new DatabaseUnavailableError(message || error.name, code, { cause: error });
  const constraint = code?.startsWith('23') ? CONSTRAINT.exec(message)?.[1]?.replace(/""/g, '"') : undefined;
  return new DatabaseError(message || error.name, code, constraint, { cause: error });
}

export function createDataApiDatabase(config: DataApiDatabaseConfig): Database {
  const ownsClient = !config.client;
  const client = config.client ?? new RDSDataClient({});
  const target = { resourceArn: config.resourceArn, secretArn: config.secretArn };

  async function send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toDatabaseError(error);
    }
  }

  async function execute<R>(sql: string, values: readonly SqlParam[] | undefined, transactionId?: string): Promise<QueryResult<R>> {
    const bound = bindParameters(sql, values);
    const output = await send(() =>
      client.send(
        new ExecuteStatementCommand({
          ...target,
          database: config.database,
          sql: bound.sql,
          parameters: bound.parameters,
          transactionId,
          includeResultMetadata: true,
          resultSetOptions: { decimalReturnType: 'STRING', longReturnType: 'STRING' },
        }),
      ),
    );
    const rows = toRows(output.records, output.columnMetadata);
    // The service counts only changed rows (0 for SELECT); node-postgres counts returned rows too.
    return { rows: rows as R[], rowCount: Math.max(output.numberOfRecordsUpdated ?? 0, rows.length) };
  }

  /** Read-only mode and every setting in one call: each Data API call is a network round trip. */
  function contextStatement(options: TransactionOptions | undefined): { sql: string; values: string[] } | undefined {
    const entries = Object.entries(options?.settings ?? {});
    for (const [key] of entries) assertSettingKey(key);
    const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
    if (options?.readOnly) calls.unshift(`set_config('transaction_read_only', 'on', true)`);
    if (calls.length === 0) return undefined;
    return { sql: `SELECT ${calls.join(', ')}`, values: entries.flat() };
  }

  return {
    query: (sql, values) => execute(sql, values),

    async transaction(work, options) {
      const context = contextStatement(options);
      const begun = await send(() => client.send(new BeginTransactionCommand({ ...target, database: config.database })));
      const transactionId = begun.transactionId;
      if (!transactionId) throw new DatabaseError('Data API returned no transaction id', undefined);
      let open = true;
      const tx: Queryable = {
        query: (sql, values) => {
          if (!open) return Promise.reject(new Error('transaction already finished'));
          return execute(sql, values, transactionId);
        },
      };
      try {
        if (context) await execute(context.sql, context.values, transactionId);
        // One call each: the service runs a single statement per request.
        for (const statement of options?.initStatements ?? []) await execute(statement, undefined, transactionId);
        const result = await work(tx);
        open = false;
        return await commitWhile(() => send(() => client.send(new CommitTransactionCommand({ ...target, transactionId }))), result,
          options?.whileCommitting);
      } catch (error) {
        open = false;
        // A failed rollback leaves the transaction to the service's idle timeout; the caller
        // needs the original error, not this one.
        await client.send(new RollbackTransactionCommand({ ...target, transactionId })).catch(() => undefined);
        throw error;
      }
    },

    async close() {
      if (ownsClient) client.destroy();
    },
  };
}
