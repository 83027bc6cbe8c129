import { randomBytes } from 'node:crypto';
import {
  BadRequestException,
  BeginTransactionCommand,
  type BeginTransactionCommandInput,
  type ColumnMetadata,
  CommitTransactionCommand,
  type CommitTransactionCommandInput,
  DatabaseErrorException,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
  RDSDataClient,
  RollbackTransactionCommand,
  type RollbackTransactionCommandInput,
  type SqlParameter,
  TransactionNotFoundException,
  UnsupportedResultException,
} from '@aws-sdk/client-rds-data';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';

/**
 * A stand-in for the RDS Data API that behaves like the service at the SDK boundary: every
 * ExecuteStatement really runs on the test PostgreSQL, and the answer has the service's shape, so
 * the adapter's request building and result mapping are exercised for real. What it reproduces:
 *
 * - named `:name` parameters, bound the way the service's JDBC driver binds them: stringValue as
 *   `varchar` (so `uuid`/`jsonb`/`bigint` targets need a cast, as in AWS), longValue as `int8`,
 *   doubleValue as `float8`, booleanValue as `bool`, blobValue as `bytea`, isNull untyped, and
 *   typeHint values as their type (TIMESTAMP only in 'YYYY-MM-DD HH:MM:SS[.FFF]');
 * - one statement per call (the extended protocol refuses multi-statement SQL, as the service does);
 * - `records` of Field unions with `columnMetadata.typeName` as PostgreSQL names the type (`int4`,
 *   `int8`, `numeric`, `timestamptz`, `jsonb`, ...), honouring `resultSetOptions`;
 * - sessions in UTC (Aurora's default) with timestamps returned as zone-less UTC text;
 * - SQL errors thrown as the service throws them: the message carries the server message, detail
 *   and hint lines and `; SQLState: NNNNN`;
 * - a pg connection per transaction id, and TransactionNotFoundException for a finished one.
 */
export interface DataApiFakeOptions {
  /** Where statements run; the user in it plays the role of the Data API secret's user. */
  connectionString: string;
  /** SQL errors as the current DatabaseErrorException (default) or the deprecated BadRequestException. */
  sqlErrors?: 'DatabaseErrorException' | 'BadRequestException';
}

export interface DataApiFake {
  readonly client: RDSDataClient;
  /** Ready to pass to createDataApiDatabase. */
  readonly config: { client: RDSDataClient; resourceArn: string; secretArn: string; database: string };
  readonly mock: AwsClientStub<RDSDataClient>;
  /** Transactions begun and not yet committed or rolled back. */
  openTransactions(): number;
  close(): Promise<void>;
}

const RESOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:nemt-test';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nemt-test-db-AbCdEf';

// Raw text for every column: the fake decides each Field from the type name, as the service does.
const rawText: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const TIMESTAMP_HINT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;
const DATE_HINT = /^\d{4}-\d{2}-\d{2}$/;
const TIME_HINT = /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

function badRequest(message: string): BadRequestException {
  return new BadRequestException({ message, $metadata: { httpStatusCode: 400 } });
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(ch);
}

function skipQuoted(sql: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') i += 2;
    else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
    else if (sql[i] === quote) return i + 1;
    else i += 1;
  }
  return sql.length;
}

/** Replaces each `:name` outside strings, quoted identifiers, dollar quotes and comments. */
function replaceNamedParameters(sql: string, replace: (name: string) => string): string {
  let out = '';
  let copiedTo = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith('/*', i)) depth += 1;
        if (sql.startsWith('*/', i)) depth -= 1;
        i += sql.startsWith('/*', i) || sql.startsWith('*/', i) ? 2 : 1;
      }
    } else if (ch === "'") {
      i = skipQuoted(sql, i, "'", /[eE]/.test(sql[i - 1] ?? '') && !isIdentifierChar(sql[i - 2]));
    } else if (ch === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (ch === '$' && !isIdentifierChar(sql[i - 1])) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? sql.length : end + tag[0].length;
      } else {
        i += 1;
      }
    } else if (ch === ':' && next === ':') {
      i += 2;
    } else if (ch === ':' && /[A-Za-z_]/.test(next ?? '')) {
      const name = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(i))?.[1] ?? '';
      out += sql.slice(copiedTo, i) + replace(name);
      i += name.length + 1;
      copiedTo = i;
    } else {
      i += 1;
    }
  }
  return out + sql.slice(copiedTo);
}

/** How the service's driver binds one SqlParameter: the value and the SQL type it is sent as. */
function bindParameter(parameter: SqlParameter): { value: unknown; cast: string } {
  const field = parameter.value ?? { isNull: true };
  if (field.isNull) return { value: null, cast: '' };
  if (field.arrayValue !== undefined) throw badRequest('Array parameters are not supported.');
  if (field.booleanValue !== undefined) return { value: field.booleanValue, cast: '::bool' };
  if (field.longValue !== undefined) return { value: String(field.longValue), cast: '::int8' };
  if (field.doubleValue !== undefined) return { value: String(field.doubleValue), cast: '::float8' };
  if (field.blobValue !== undefined) return { value: Buffer.from(field.blobValue), cast: '::bytea' };
  if (field.stringValue === undefined) throw badRequest(`Parameter ${parameter.name} has no value.`);
  const text = field.stringValue;
  const formatted = (pattern: RegExp, type: string) => {
    if (!pattern.test(text)) throw badRequest(`Invalid ${type} value for parameter ${parameter.name}.`);
    return { value: text, cast: `::${type}` };
  };
  switch (parameter.typeHint) {
    case undefined:
      return { value: text, cast: '::varchar' };
    case 'TIMESTAMP':
      return formatted(TIMESTAMP_HINT, 'timestamp');
    case 'DATE':
      return formatted(DATE_HINT, 'date');
    case 'TIME':
      return formatted(TIME_HINT, 'time');
    case 'DECIMAL':
      return { value: text, cast: '::numeric' };
    case 'UUID':
      return { value: text, cast: '::uuid' };
    case 'JSON':
      return { value: text, cast: '::json' };
    default:
      throw badRequest(`Unknown typeHint ${String(parameter.typeHint)}.`);
  }
}

function toPositional(sql: string, parameters: readonly SqlParameter[]): { text: string; values: unknown[] } {
  const byName = new Map(parameters.map((parameter) => [parameter.name ?? '', parameter]));
  const positions = new Map<string, number>();
  const values: unknown[] = [];
  const text = replaceNamedParameters(sql, (name) => {
    const parameter = byName.get(name);
    if (!parameter) throw badRequest(`No value specified for parameter: ${name}`);
    let position = positions.get(name);
    const bound = bindParameter(parameter);
    if (position === undefined) {
      values.push(bound.value);
      position = values.length;
      positions.set(name, position);
    }
    return `$${position}${bound.cast}`;
  });
  return { text, values };
}

type ResultSetOptions = NonNullable<ExecuteStatementCommandInput['resultSetOptions']>;

function toField(text: string | null, typeName: string, options: ResultSetOptions): Field {
  if (text === null) return { isNull: true };
  if (typeName.startsWith('_')) {
    throw new UnsupportedResultException({ message: 'The fake does not model array results.', $metadata: {} });
  }
  switch (typeName) {
    case 'bool':
      return { booleanValue: text === 't' };
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return options.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
    case 'float4':
    case 'float8':
      return { doubleValue: Number(text) };
    case 'numeric':
      if (options.decimalReturnType !== 'DOUBLE_OR_LONG') return { stringValue: text };
      return /^-?\d+$/.test(text) ? { longValue: Number(text) } : { doubleValue: Number(text) };
    case 'bytea':
      return { blobValue: Buffer.from(text.slice(2), 'hex') };
    case 'timestamptz':
      return { stringValue: text.replace(/\+00$/, '') };
    default:
      return { stringValue: text };
  }
}

function sqlError(error: unknown, kind: DataApiFakeOptions['sqlErrors']): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  let message = `ERROR: ${error.message}`;
  if (error.detail) message += `\n  Detail: ${error.detail}`;
  if (error.hint) message += `\n  Hint: ${error.hint}`;
  if (error.position) message += `\n  Position: ${error.position}`;
  message += `; SQLState: ${error.code}`;
  const $metadata = { httpStatusCode: 400 };
  return kind === 'BadRequestException'
    ? new BadRequestException({ message, $metadata })
    : new DatabaseErrorException({ message, $metadata });
}

export function installDataApiFake(options: DataApiFakeOptions): DataApiFake {
  const database = decodeURIComponent(new URL(options.connectionString).pathname.slice(1));
  const client = new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } });
  const mock = mockClient(client);
  const transactions = new Map<string, pg.Client>();
  const typeNames = new Map<number, string>();
  let autoCommit: Promise<pg.Client> | undefined;

  async function connect(): Promise<pg.Client> {
    const connection = new pg.Client({ connectionString: options.connectionString, types: rawText, application_name: 'data-api-fake' });
    await connection.connect();
    await connection.query("SET TimeZone = 'UTC'");
    return connection;
  }

  /** Statements outside a transaction share one session, committed one by one. */
  function autoCommitClient(): Promise<pg.Client> {
    if (!autoCommit) autoCommit = connect();
    return autoCommit;
  }

  function checkTarget(input: { resourceArn?: string; secretArn?: string; database?: string }): void {
    if (input.resourceArn !== RESOURCE_ARN || input.secretArn !== SECRET_ARN) {
      throw badRequest('The resource or secret ARN does not match the fake cluster.');
    }
    if (input.database !== undefined && input.database !== database) {
      throw badRequest(`The fake serves database ${database}, not ${input.database}.`);
    }
  }

  function transactionClient(transactionId: string): pg.Client {
    const connection = transactions.get(transactionId);
    if (!connection) {
      throw new TransactionNotFoundException({ message: `Transaction ${transactionId} is not found`, $metadata: { httpStatusCode: 404 } });
    }
    return connection;
  }

  async function lookUpTypeNames(connection: pg.Client, oids: number[]): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => !typeNames.has(oid));
    if (missing.length === 0) return;
    // Same connection as the statement: a type created in the open transaction is visible only there.
    const found = await connection.query<{ oid: string; typname: string }>('SELECT oid::int8::text AS oid, typname FROM pg_type WHERE oid = ANY($1::oid[])', [
      missing,
    ]);
    for (const row of found.rows) typeNames.set(Number(row.oid), row.typname);
  }

  async function execute(input: ExecuteStatementCommandInput): Promise<Partial<ExecuteStatementCommandOutput>> {
    checkTarget(input);
    if (!input.sql) throw badRequest('SQL statement is required.');
    const connection = input.transactionId ? transactionClient(input.transactionId) : await autoCommitClient();
    const { text, values } = toPositional(input.sql, input.parameters ?? []);
    const query = { text, values, rowMode: 'array' as const, queryMode: 'extended' };
    let result: pg.QueryArrayResult<(string | null)[]>;
    try {
      result = await connection.query(query as pg.QueryArrayConfig);
    } catch (error) {
      throw sqlError(error, options.sqlErrors);
    }
    const updated = result.command === 'SELECT' ? 0 : (result.rowCount ?? 0);
    if (result.fields.length === 0) return { numberOfRecordsUpdated: updated };
    await lookUpTypeNames(
      connection,
      result.fields.map((field) => field.dataTypeID),
    );
    const types = result.fields.map((field) => typeNames.get(field.dataTypeID) ?? 'unknown');
    const resultSetOptions = input.resultSetOptions ?? {};
    const records = result.rows.map((row) => row.map((value, index) => toField(value, types[index] ?? 'unknown', resultSetOptions)));
    const columnMetadata: ColumnMetadata[] | undefined = input.includeResultMetadata
      ? result.fields.map((field, index) => ({ name: field.name, label: field.name, typeName: types[index] }))
      : undefined;
    return { records, columnMetadata, numberOfRecordsUpdated: updated };
  }

  async function begin(input: BeginTransactionCommandInput) {
    checkTarget(input);
    const connection = await connect();
    await connection.query('BEGIN');
    const transactionId = randomBytes(24).toString('base64');
    transactions.set(transactionId, connection);
    return { transactionId };
  }

  async function finish(input: CommitTransactionCommandInput | RollbackTransactionCommandInput, statement: 'COMMIT' | 'ROLLBACK') {
    checkTarget(input);
    const id = input.transactionId ?? '';
    const connection = transactionClient(id);
    transactions.delete(id);
    try {
      const result = await connection.query(statement);
      // COMMIT of a transaction that already failed is answered with ROLLBACK by Postgres.
      return { transactionStatus: result.command === 'COMMIT' ? 'Transaction Committed' : 'Rollback Complete' };
    } catch (error) {
      throw sqlError(error, options.sqlErrors);
    } finally {
      await connection.end();
    }
  }

  mock.on(ExecuteStatementCommand).callsFake(execute);
  mock.on(BeginTransactionCommand).callsFake(begin);
  mock.on(CommitTransactionCommand).callsFake((input: CommitTransactionCommandInput) => finish(input, 'COMMIT'));
  mock.on(RollbackTransactionCommand).callsFake((input: RollbackTransactionCommandInput) => finish(input, 'ROLLBACK'));

  return {
    client,
    config: { client, resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, database },
    mock,
    openTransactions: () => transactions.size,
    async close() {
      const connections = [...transactions.values()];
      transactions.clear();
      if (autoCommit) connections.push(await autoCommit);
      autoCommit = undefined;
      await Promise.all(connections.map((connection) => connection.end()));
      mock.restore();
    },
  };
}
