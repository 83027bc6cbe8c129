import type { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { actorSettings } from '../lambdas/shared/tenancy/with-actor';
import { beginStatement } from '../lambdas/shared/db/pg-adapter';
import { LIST_URL } from './p2-handler-overhead';
import { createBenchApi, expectStatus, FLOOR_REQUEST_ID, replayInTransaction } from './support/api';
import type { BenchSettings, DatabaseContext } from './support/context';
import { progressReporter } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { measureAlternating, ratio, summarise } from './support/stats';

/**
 * P3: what the tenant context costs. The list query inside withActor exactly as the API opens
 * it (BEGIN with every context value, the active-user check, the query, COMMIT) against the same
 * query run bare, outside any transaction, on a connection of the same login whose context was
 * set once for the session (so row-level security sees the same rows). Each side has a pool of
 * one connection of its own.
 */
export async function runP3(settings: BenchSettings, context: DatabaseContext, pii: PiiCrypto): Promise<BenchmarkOutcome> {
  const actor = context.dataset.largest.admin;
  const recorder = createBenchApi(context.api, pii);
  const token = recorder.token(actor);
  expectStatus(await recorder.invoke('GET', LIST_URL, { token }), 200, `GET ${LIST_URL}`);
  const statements = await recorder.record(() => recorder.invoke('GET', LIST_URL, { token }));
  const list = statements.filter((statement) => /^\s*SELECT/i.test(statement.sql));
  if (list.length === 0) throw new Error('the list request ran no SELECT');

  const inTransaction = context.database.pool('api', 1);
  const bare = context.database.pool('api', 1);
  const session = actorSettings(actor, { requestId: FLOOR_REQUEST_ID });
  const setSession = () => bare.query(
    `SELECT ${Object.keys(session).map((_, index) => `set_config($${index * 2 + 1}, $${index * 2 + 2}, false)`).join(', ')}`,
    Object.entries(session).flat(),
  );
  await setSession();
  const txContext = { requestId: FLOOR_REQUEST_ID, readOnly: true, requireActiveUser: true };
  const expectedRows = await replayInTransaction(inTransaction, actor, list, txContext);
  let bareRows = 0;
  for (const statement of list) bareRows += (await bare.query(statement.sql, statement.params)).rowCount;
  if (bareRows !== expectedRows) throw new Error(`bare query saw ${bareRows} rows, the transaction ${expectedRows}`);

  let mismatches = 0;
  const { a: withContext, b: bareTimes } = await measureAlternating(
    {
      a: () => replayInTransaction(inTransaction, actor, list, txContext),
      b: async () => {
        let rows = 0;
        for (const statement of list) rows += (await bare.query(statement.sql, statement.params)).rowCount;
        if (rows !== expectedRows) mismatches += 1;
      },
    },
    { warmup: settings.warmup, iterations: settings.iterations, onProgress: progressReporter('P3 tenant transaction vs bare query') },
  );
  const value = summarise(withContext);
  const floor = summarise(bareTimes);
  const p50 = ratio(value.p50, floor.p50);
  return {
    value: value.p50,
    floor: floor.p50,
    ratio: p50,
    unit: 'ms',
    checks: [check('p50 ratio', p50, 'max', 2.0), check('bare runs that saw other rows', mismatches, 'max', 0)],
    absolute: {
      inTransaction: value,
      bare: floor,
      roundTrips: { inTransaction: 2 + list.length, bare: list.length },
      beginStatement: beginStatement({ readOnly: true, settings: actorSettings(actor, { requestId: FLOOR_REQUEST_ID }),
        initStatements: ['SELECT app_assert_actor()'] }).replace(/'[0-9a-f-]{36}'/g, "'<uuid>'"),
      rowsPerQuery: expectedRows,
    },
  };
}
