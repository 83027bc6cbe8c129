/**
 * The database port: the only shape of database the rest of the code knows. Two adapters
 * implement it (node-postgres and the RDS Data API) and pass the same contract tests.
 *
 * Result values are normalised so both adapters return the same JavaScript types:
 * text, uuid, enums → string; int2/int4 → number; int8 and numeric → string (no precision loss);
 * boolean → boolean; timestamptz → ISO-8601 string in UTC (millisecond precision); date →
 * 'YYYY-MM-DD'; json/jsonb → parsed value; bytea → Buffer; NULL → null. Arrays are not supported
 * in results.
 */
export type SqlParam = string | number | boolean | null | Date | Buffer;

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<Row>>;
}

export interface TransactionOptions {
  /**
   * Transaction-local settings (`set_config(key, value, true)`), applied before the work runs.
   * Keys must look like `app.name`; values are plain strings. Adapters apply them in the fewest
   * round trips they can (node-postgres: merged with BEGIN in one simple query).
   */
  settings?: Readonly<Record<string, string>>;
  readOnly?: boolean;
  /**
   * Constant statements (no parameters) to run right after the settings, e.g. a check that the
   * actor is still an active user. node-postgres sends them in the same round trip as BEGIN.
   */
  initStatements?: readonly string[];
}

/** A transaction's options, and what to do with its result while it commits. */
export interface TransactionRun<T, R> extends TransactionOptions {
  /**
   * Handed the work's result as soon as COMMIT is sent; what it returns is the transaction's
   * answer once COMMIT has succeeded. CPU work that only needs the result (building a response)
   * overlaps the commit's round trip instead of following it. The transaction is closed to it.
   */
  readonly whileCommitting?: (result: T) => R;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T, R = T>(work: (tx: Queryable) => Promise<T>, options?: TransactionRun<T, R>): Promise<R>;
  close(): Promise<void>;
}

/** A database error with the fields callers may act on; never shown to API clients as is. */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly constraint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

/**
 * The database cannot be reached or dropped the connection: the server is down, restarting,
 * failing over, refusing connections, or ended this session. Nothing the request did was
 * committed (a transaction whose connection died is rolled back by the server), except when the
 * connection died while COMMIT was in flight, when the outcome is unknown; either way trying
 * again later is the answer, so the HTTP layer turns it into 503 with Retry-After.
 */
export class DatabaseUnavailableError extends DatabaseError {
  constructor(message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(message, code, undefined, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * SQLSTATEs that say the session or the server is gone, not that the statement was wrong: class
 * 08 (connection exception), admin or crash shutdown and "cannot connect now" (57P01-57P03), an
 * idle session ended by the server (57P05), and no connection slot left (53300).
 */
export function isUnavailableSqlState(code: string | undefined): boolean {
  if (!code) return false;
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '57P05', '53300'].includes(code);
}

const SETTING_KEY = /^app\.[a-z_]{1,40}$/;

export function assertSettingKey(key: string): void {
  if (!SETTING_KEY.test(key)) throw new Error(`invalid setting key: ${key}`);
}

/** SQLSTATE codes the application maps to HTTP answers. */
export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  exclusionViolation: '23P01',
  notNullViolation: '23502',
  insufficientPrivilege: '42501',
  invalidState: '55000',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  invalidTextRepresentation: '22P02',
} as const;

/**
 * Commits through `commit` and runs `whileCommitting` while the COMMIT travels (see
 * TransactionRun). Its answer counts only if COMMIT succeeds; if it throws, the COMMIT is
 * still awaited first, so nothing is left in flight on the connection.
 */
export async function commitWhile<T, R>(commit: () => Promise<unknown>, result: T, whileCommitting?: (result: T) => R): Promise<R> {
  const committing = commit();
  if (!whileCommitting) {
    await committing;
    return result as unknown as R;
  }
  let answer: R;
  try {
    answer = whileCommitting(result);
  } catch (error) {
    await committing.catch(() => undefined);
    throw error;
  }
  await committing;
  return answer;
}
