import { randomUUID } from 'node:crypto';
import type { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { createBenchApi, expectStatus, FLOOR_REQUEST_ID, type RecordedStatement, replayInTransaction } from './support/api';
import type { BenchSettings, DatabaseContext } from './support/context';
import type { TenantInfo } from './support/dataset';
import { progressReporter, status } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { measureAlternating, percentile, ratio, round, summarise } from './support/stats';

/**
 * P5: an audited write. `POST /v1/trip-requests` through the handler (the request row, its audit
 * event on the tenant's hash chain and its outbox row, one transaction) against the floor of the
 * same INSERT of the trip request alone, in the same kind of tenant transaction. Then the write
 * path's throughput with concurrent clients spread over 50 tenants.
 */
const URL = '/v1/trip-requests';
const CONCURRENT_TENANTS = 50;
const CLIENTS = 16;

function body(rider: string, sequence: number) {
  const appointment = new Date(Date.UTC(2032, 0, 1) + sequence * 60_000).toISOString();
  return { riderId: rider, pickupAddress: '12 Bench Street', dropoffAddress: '3 Clinic Road', appointmentAt: appointment };
}

export async function runP5(settings: BenchSettings, context: DatabaseContext, pii: PiiCrypto): Promise<BenchmarkOutcome> {
  const api = createBenchApi(context.api, pii);
  const tenant = context.dataset.largest;
  const actor = tenant.admin;
  const token = api.token(actor);
  const rider = tenant.riders[0];
  if (!rider) throw new Error('the largest tenant has no rider');
  let sequence = 0;
  const post = () => {
    sequence += 1;
    return api.invoke('POST', URL, { token, body: body(rider, sequence) });
  };

  expectStatus(await post(), 201, `POST ${URL}`);
  for (let index = 0; index < 20; index += 1) await post();
  let createdId = '';
  const statements = await api.record(async () => {
    createdId = (JSON.parse((await post()).body) as { id: string }).id;
  });
  const inserts = statements.filter((statement: RecordedStatement) => /^\s*INSERT\s+INTO\s+trip_requests\b/i.test(statement.sql));
  const [recordedInsert] = inserts;
  if (inserts.length !== 1 || !recordedInsert) throw new Error(`expected one trip insert in the request, saw ${inserts.length}`);
  // The handler names the new row's id itself (its sealed fields are bound to it): each replay gets a fresh one.
  const insert = (): RecordedStatement[] => [{
    sql: recordedInsert.sql,
    params: recordedInsert.params?.map((param) => (param === createdId ? randomUUID() : param)),
  }];
  const txContext = { requestId: FLOOR_REQUEST_ID, readOnly: false, requireActiveUser: true };

  let failures = 0;
  // Events built up front: translating HTTP into the event is API Gateway's work, not the function's.
  const prepared = Array.from({ length: settings.warmup + settings.iterations }, () => {
    sequence += 1;
    return api.prepare('POST', URL, { token, body: body(rider, sequence) });
  });
  const { a: handler, b: floor } = await measureAlternating(
    {
      a: async () => {
        if ((await (prepared.pop() ?? post)()).statusCode !== 201) failures += 1;
      },
      b: () => replayInTransaction(api.db, actor, insert(), txContext),
    },
    { warmup: settings.warmup, iterations: settings.iterations, onProgress: progressReporter('P5 audited POST vs bare insert') },
  );

  status(`P5 concurrent writes: ${CLIENTS} clients over ${CONCURRENT_TENANTS} tenants for ${settings.throughputSeconds} s`);
  const throughput = await concurrentWrites(api, context.dataset.all.slice(0, CONCURRENT_TENANTS), settings.throughputSeconds);

  const value = summarise(handler);
  const floorStats = summarise(floor);
  const p50 = ratio(value.p50, floorStats.p50);
  return {
    value: value.p50,
    floor: floorStats.p50,
    ratio: p50,
    unit: 'ms',
    checks: [
      check('p50 ratio', p50, 'max', 1.5),
      check('failed requests', failures, 'max', 0),
      check('failed concurrent requests', throughput.errors ?? null, 'max', 0),
    ],
    absolute: {
      handler: value,
      floor: floorStats,
      statementsPerRequest: statements.length,
      statements: statements.map((statement) => statement.sql.replace(/\s+/g, ' ').slice(0, 120)),
      concurrent: throughput,
    },
  };
}

async function concurrentWrites(
  api: ReturnType<typeof createBenchApi>,
  tenants: readonly TenantInfo[],
  seconds: number,
): Promise<Record<string, number>> {
  const clients = tenants.map((tenant) => ({ token: api.token(tenant.admin), rider: tenant.riders[0] as string }));
  const latencies: number[] = [];
  let errors = 0;
  let sequence = 1_000_000;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, worker) => {
    for (let turn = worker; performance.now() < deadline; turn += CLIENTS) {
      const client = clients[turn % clients.length] as { token: string; rider: string };
      const begin = performance.now();
      sequence += 1;
      const result = await api.invoke('POST', URL, { token: client.token, body: body(client.rider, sequence) });
      latencies.push(performance.now() - begin);
      if (result.statusCode !== 201) errors += 1;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return {
    clients: CLIENTS,
    tenants: clients.length,
    seconds: round(elapsed, 2),
    requests: latencies.length,
    requestsPerSecond: round(latencies.length / elapsed, 1),
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    errors,
  };
}
