import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiHandler } from '../../lambdas/api/app';
import { apiHandlers } from '../../lambdas/api/handlers';
import { routingWith } from '../../lambdas/api/router';
import type { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Database, Queryable, SqlParam } from '../../lambdas/shared/db/port';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { type ActorContext, withActor } from '../../lambdas/shared/tenancy/with-actor';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import { createTestApi, type TestApi } from '../../test/support/api';

/**
 * The API as the benchmarks drive it: createTestApi's handler and dependencies (the real
 * router, middlewares, token verification with cached keys, validation, withActor, handlers and
 * serialisation), over a database wrapper that can record the statements a request runs, so a
 * floor can replay exactly the SQL the handler sent. The wrapper sits under the floors too, so
 * its (tiny) cost lands on both sides.
 */
export interface RecordedStatement {
  readonly sql: string;
  readonly params: readonly SqlParam[] | undefined;
}

export interface BenchApi {
  readonly test: TestApi;
  readonly db: Database;
  token(actor: Actor): string;
  /** One handler invocation. */
  invoke(method: string, url: string, options: { token: string; body?: unknown }): Promise<APIGatewayProxyResult>;
  /**
   * The API Gateway event built now (API Gateway's work, not the function's), the invocation
   * later: for timed loops, where only the handler may be on the clock.
   */
  prepare(method: string, url: string, options: { token: string; body?: unknown }): () => Promise<APIGatewayProxyResult>;
  /** The statements `work` ran inside transactions through this API's database. */
  record(work: () => Promise<unknown>): Promise<RecordedStatement[]>;
}

export function createBenchApi(pool: Database, pii: PiiCrypto): BenchApi {
  let recording: RecordedStatement[] | undefined;
  const watch = (tx: Queryable): Queryable => ({
    query: (sql, params) => {
      recording?.push({ sql, params });
      return tx.query(sql, params);
    },
  });
  const db: Database = {
    query: (sql, params) => pool.query(sql, params),
    transaction: (work, options) => pool.transaction((tx) => work(watch(tx)), options),
    close: () => pool.close(),
  };
  // Hand-offs to the queue are the relay's business (P7); here they cost what an SQS call's
  // promise costs when it is not awaited by anything slower.
  const test = createTestApi(db, { pii, outbox: { publish: async () => undefined } });
  const handler = createApiHandler(test.deps, routingWith(apiHandlers));
  const tokens = new Map<string, string>();

  return {
    test,
    db,
    token(actor) {
      const key = `${actor.role}:${actor.sub}`;
      let token = tokens.get(key);
      if (!token) {
        token = test.issuer.mint(actor, { expiresInSeconds: 6 * 3600 });
        tokens.set(key, token);
      }
      return token;
    },
    invoke(method, url, options) {
      return this.prepare(method, url, options)();
    },
    prepare(method, url, options) {
      const translated = toApiGatewayEvent({
        method,
        url,
        headers: {
          Authorization: `Bearer ${options.token}`,
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      });
      if (!('event' in translated)) throw new Error(`no route for ${method} ${url}`);
      const { event } = translated;
      const context = { awsRequestId: event.requestContext.requestId } as Context;
      return async () => (await handler(event, context)) as APIGatewayProxyResult;
    },
    async record(work) {
      recording = [];
      try {
        await work();
        return recording;
      } finally {
        recording = undefined;
      }
    },
  };
}

/** Replays recorded statements in one tenant transaction, as the handler's withActor opened it. */
export function replayInTransaction(db: Database, actor: Actor, statements: readonly RecordedStatement[], context: ActorContext) {
  return withActor(db, actor, async (tx) => {
    let rows = 0;
    for (const statement of statements) rows += (await tx.query(statement.sql, statement.params)).rowCount;
    return rows;
  }, context);
}

export function expectStatus(result: APIGatewayProxyResult, status: number, what: string): void {
  if (result.statusCode !== status) {
    throw new Error(`${what} answered ${result.statusCode}, expected ${status}: ${result.body.slice(0, 300)}`);
  }
}

/** The request id the floors use; the handler's come from API Gateway events (UUIDs too). */
export const FLOOR_REQUEST_ID = '00000000-0000-4000-8000-000000000000';
