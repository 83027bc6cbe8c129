import type { Database, Queryable, QueryResult, SqlParam } from '../../lambdas/shared/db/port';

/**
 * Real connection faults for the connection-loss tests: backends ended with pg_terminate_backend
 * (SQLSTATE 57P01 to the client, as a failover or an operator would end them), never a mock.
 * `admin` must be a superuser connection to the same server.
 */

/** Ends one backend and waits (up to 5 s) until it is gone. */
export async function terminateBackend(admin: Queryable, pid: number): Promise<void> {
  const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend($1, 5000) AS ended', [pid]);
  if (rows[0]?.ended !== true) throw new Error(`backend ${pid} did not end`);
}

/** Ends every backend of `database` but the caller's own; returns how many there were. */
export async function terminateBackendsOf(admin: Queryable, database: string, login?: string): Promise<number> {
  const { rows } = await admin.query<{ ended: boolean }>(
    `SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND ($2::text IS NULL OR usename = $2)`,
    [database, login ?? null],
  );
  return rows.length;
}

export interface TerminatingDatabase extends Database {
  /** How many transactions lost their connection so far. */
  readonly terminated: number;
  /** Arms the fault for the next transaction that sends a statement matching `statement`. */
  arm(statement: RegExp): void;
}

/**
 * The same database, except that when armed, the transaction about to send a matching statement
 * has its backend terminated first: the statements before it ran, the one after meets a dead
 * connection. Proves that what ran before is not committed.
 */
export function terminatingBefore(db: Database, admin: Queryable): TerminatingDatabase {
  let armed: RegExp | undefined;
  let terminated = 0;
  const faulty = (tx: Queryable): Queryable => ({
    async query<Row>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<Row>> {
      const trigger = armed;
      if (trigger?.test(sql)) {
        armed = undefined;
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await terminateBackend(admin, rows[0]?.pid as number);
        terminated += 1;
      }
      return tx.query<Row>(sql, params);
    },
  });
  return {
    get terminated() {
      return terminated;
    },
    arm(statement) {
      armed = statement;
    },
    query: (sql, params) => db.query(sql, params),
    transaction: (work, options) => db.transaction((tx) => work(faulty(tx)), options),
    close: () => db.close(),
  };
}
