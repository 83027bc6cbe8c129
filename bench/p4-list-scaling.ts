import type { PiiCrypto } from '../lambdas/shared/crypto/pii';
import type { Actor } from '../lambdas/shared/tenancy/actor';
import { encodeCursor } from '../lambdas/api/handlers/pagination';
import { LIST_URL } from './p2-handler-overhead';
import { createBenchApi, expectStatus, FLOOR_REQUEST_ID, type RecordedStatement, replayInTransaction } from './support/api';
import type { BenchSettings, DatabaseContext } from './support/context';
import { progressReporter } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { measureAlternating, ratio, summarise, timed } from './support/stats';

/**
 * P4: the list on the largest tenant (10% of the table) against the same list on a small tenant
 * (1%), each the handler's own SQL replayed in its tenant transaction, alternating. For context
 * it also times a page deep inside the largest tenant (keyset: it should cost what page one
 * costs) and a dispatcher's list across every tenant.
 */
export async function runP4(settings: BenchSettings, context: DatabaseContext, pii: PiiCrypto): Promise<BenchmarkOutcome> {
  const api = createBenchApi(context.api, pii);
  const { largest, small } = context.dataset;
  const txContext = { requestId: FLOOR_REQUEST_ID, readOnly: true, requireActiveUser: true };

  const recordList = async (actor: Actor, url: string): Promise<RecordedStatement[]> => {
    const token = api.token(actor);
    expectStatus(await api.invoke('GET', url, { token }), 200, `GET ${url} as ${actor.role}`);
    const statements = await api.record(() => api.invoke('GET', url, { token }));
    return statements.filter((statement) => /^\s*SELECT/i.test(statement.sql));
  };
  const largeList = await recordList(largest.admin, LIST_URL);
  const smallList = await recordList(small.admin, LIST_URL);

  const { a: large, b: few } = await measureAlternating(
    {
      a: () => replayInTransaction(api.db, largest.admin, largeList, txContext),
      b: () => replayInTransaction(api.db, small.admin, smallList, txContext),
    },
    { warmup: settings.warmup, iterations: settings.iterations, onProgress: progressReporter('P4 largest vs small tenant') },
  );

  // A page half-way down the largest tenant, reached by its cursor as a client would.
  const { rows } = await context.database.owner.query<{ at: string; id: string }>(
    `SELECT created_at::text AS at, id FROM trip_requests WHERE facility_id = $1
      ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
    [largest.id, Math.floor(largest.trips / 2)],
  );
  const middle = rows[0];
  const deepUrl = middle ? `${LIST_URL}&cursor=${encodeCursor([middle.at, middle.id])}` : LIST_URL;
  const deepList = await recordList(largest.admin, deepUrl);
  const dispatcherList = await recordList(context.dataset.dispatcher, LIST_URL);
  const extra = { deep: [] as number[], dispatcher: [] as number[] };
  const extraIterations = Math.max(100, Math.floor(settings.iterations / 4));
  for (let index = 0; index < extraIterations; index += 1) {
    extra.deep.push(await timed(() => replayInTransaction(api.db, largest.admin, deepList, txContext)));
    extra.dispatcher.push(await timed(() => replayInTransaction(api.db, context.dataset.dispatcher, dispatcherList, txContext)));
  }

  const value = summarise(large);
  const floor = summarise(few);
  const p50 = ratio(value.p50, floor.p50);
  const deep = summarise(extra.deep);
  return {
    value: value.p50,
    floor: floor.p50,
    ratio: p50,
    unit: 'ms',
    checks: [check('p50 ratio', p50, 'max', 1.3)],
    absolute: {
      largestTenant: { trips: largest.trips, ...value },
      smallTenant: { trips: small.trips, ...floor },
      tableTrips: context.dataset.trips,
      deepPage: { offset: Math.floor(largest.trips / 2), ...deep, ratioToFirstPage: ratio(deep.p50, value.p50) },
      dispatcherAllTenants: summarise(extra.dispatcher),
    },
  };
}
