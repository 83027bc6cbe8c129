import { commitWhile, type Database, type QueryResult } from '../lambdas/shared/db/port';
import { withActor } from '../lambdas/shared/tenancy/with-actor';
import { createBenchApi, expectStatus, FLOOR_REQUEST_ID, type RecordedStatement, replayInTransaction } from './support/api';
import type { BenchSettings, DatabaseContext } from './support/context';
import { progressReporter } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { measureAlternating, ratio, round, summarise, timed } from './support/stats';
import type { PiiCrypto } from '../lambdas/shared/crypto/pii';

/**
 * P2: a warm `GET /v1/trip-requests?limit=50` through the whole handler (API Gateway event,
 * token verification with cached keys, validation, tenant transaction, serialisation) against
 * the floor of the same SQL in the same tenant transaction through the same pool with no handler
 * around it. The SQL is recorded from the handler itself, so the floor cannot drift from it.
 */
export const LIST_URL = '/v1/trip-requests?limit=50';

export async function runP2(settings: BenchSettings, context: DatabaseContext, pii: PiiCrypto): Promise<BenchmarkOutcome> {
  const api = createBenchApi(context.api, pii);
  const actor = context.dataset.largest.admin;
  const token = api.token(actor);
  const call = () => api.invoke('GET', LIST_URL, { token });

  const first = await call();
  expectStatus(first, 200, `GET ${LIST_URL}`);
  const items = (JSON.parse(first.body) as { items: unknown[] }).items.length;
  for (let index = 0; index < 20; index += 1) await call();
  const statements = await api.record(call);
  const floorContext = { requestId: FLOOR_REQUEST_ID, readOnly: true, requireActiveUser: true };

  // Node's own CPU per request on each side: on a shared machine wall time stretches with the
  // load, CPU time much less.
  const cpu = { handler: 0, floor: 0 };
  const counting = <T>(side: 'handler' | 'floor', work: () => Promise<T>) => async () => {
    const before = process.cpuUsage();
    const result = await work();
    const used = process.cpuUsage(before);
    cpu[side] += used.user + used.system;
    return result;
  };
  let failures = 0;
  // Events built up front: translating HTTP into the event is API Gateway's work, not the function's.
  const prepared = Array.from({ length: settings.warmup + settings.iterations }, () => api.prepare('GET', LIST_URL, { token }));
  const { a: handler, b: floor } = await measureAlternating(
    {
      a: counting('handler', async () => {
        const result = await (prepared.pop() ?? call)();
        if (result.statusCode !== 200) failures += 1;
      }),
      b: counting('floor', () => replayInTransaction(api.db, actor, statements, floorContext)),
    },
    { warmup: settings.warmup, iterations: settings.iterations, onProgress: progressReporter('P2 handler vs SQL') },
  );
  const handlerOnly = await handlerWithoutDatabase(context, pii, statements, floorContext);
  const timed = settings.warmup + settings.iterations;
  const handlerStats = summarise(handler);
  const floorStats = summarise(floor);
  const p50 = ratio(handlerStats.p50, floorStats.p50);
  const p99 = ratio(handlerStats.p99, floorStats.p99);
  return {
    value: handlerStats.p50,
    floor: floorStats.p50,
    ratio: p50,
    unit: 'ms',
    checks: [check('p50 ratio', p50, 'max', 1.25), check('p99 ratio', p99, 'max', 1.5), check('failed requests', failures, 'max', 0)],
    absolute: {
      handler: handlerStats,
      floor: floorStats,
      p99Ratio: p99,
      addedMsP50: Math.round((handlerStats.p50 - floorStats.p50) * 1000) / 1000,
      nodeCpuMsPerRequest: { handler: round(cpu.handler / 1000 / timed), floor: round(cpu.floor / 1000 / timed) },
      handlerWithoutDatabase: handlerOnly,
      itemsPerPage: items,
      tenantTrips: context.dataset.largest.trips,
      statementsPerRequest: statements.length,
      statements: statements.map((statement) => statement.sql.replace(/\s+/g, ' ').slice(0, 160)),
    },
  };
}

/**
 * What the handler costs without a database: the same request, warm, against a port that answers
 * every statement with the rows the real one returned. The rest of the gap to the floor is
 * waiting (and, on a busy machine, waiting for a core).
 */
async function handlerWithoutDatabase(
  context: DatabaseContext,
  pii: PiiCrypto,
  statements: RecordedStatement[],
  txContext: { requestId: string; readOnly: boolean; requireActiveUser: boolean },
) {
  const actor = context.dataset.largest.admin;
  const answers = await withActor(context.api, actor, async (tx) => {
    const results: QueryResult<Record<string, unknown>>[] = [];
    for (const statement of statements) results.push(await tx.query(statement.sql, statement.params));
    return results;
  }, txContext);
  let next = 0;
  const replay = async () => answers[next++ % answers.length] as never;
  const offline: Database = {
    query: replay,
    transaction: async (work, options) => commitWhile(async () => undefined, await work({ query: replay }), options?.whileCommitting),
    close: async () => undefined,
  };
  const api = createBenchApi(offline, pii);
  const token = api.token(actor);
  for (let index = 0; index < 300; index += 1) await api.invoke('GET', LIST_URL, { token });
  const prepared = Array.from({ length: 2000 }, () => api.prepare('GET', LIST_URL, { token }));
  const times: number[] = [];
  const before = process.cpuUsage();
  for (const invoke of prepared) times.push(await timed(invoke));
  const used = process.cpuUsage(before);
  return { ...summarise(times), nodeCpuMsPerRequest: round((used.user + used.system) / 1000 / prepared.length) };
}
