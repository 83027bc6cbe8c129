import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiHandler } from '../lambdas/api/app';
import { apiHandlers } from '../lambdas/api/handlers';
import { routingWith } from '../lambdas/api/router';
import { createIntakeHandler } from '../lambdas/intake/app';
import { createKmsKeyProvider } from '../lambdas/shared/crypto/kms-key-provider';
import { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { beginStatement } from '../lambdas/shared/db/pg-adapter';
import type { Database, Queryable, SqlParam, TransactionOptions } from '../lambdas/shared/db/port';
import type { Actor } from '../lambdas/shared/tenancy/actor';
import { toApiGatewayEvent } from '../local/api-gateway-event';
import { createLocalIssuer, LOCAL_CLIENT_ID, LOCAL_SCOPE } from '../local/issuer';
import { createTestApi } from '../test/support/api';
import { LOGIN_USERS, type LoginName } from '../test/support/database';
import { createFakeKms, TEST_KEY_ARN } from '../test/support/kms';
import { DecryptCommand } from '@aws-sdk/client-kms';
import { makeCertificate, networkMapScript, startJwksEndpoint, startKmsEndpoint, startRdsProxyFake } from './support/aws-fakes';
import { COLD_ENTRIES, coldRequestCheck } from './p1-bundles';
import { runChild } from './support/child';
import type { ColdPlan } from './support/cold-floor-handler';
import type { BenchSettings } from './support/context';
import { generateDataset } from './support/dataset';
import { progressReporter, status } from './support/output';
import type { BenchServer } from './support/postgres';
import { check, type Check } from './support/results';
import { median, round } from './support/stats';

/**
 * P1's cold request: what a user waits for on a cold Lambda. A fresh Node process loads the
 * bundle (init) and serves its first real request (the API: a facility user's trip list with
 * riders, so the token keys are fetched, the IAM database token signed and the tenant key
 * unwrapped; the intake: its challenge, which unwraps the provider secret), against a real
 * PostgreSQL behind a fake RDS Proxy and local stand-ins for Cognito's JWKS and KMS (see
 * support/aws-fakes.ts). The floor is an empty handler bundled the same way that makes the same
 * calls by hand and runs the SQL the handler ran (recorded from it in process).
 */
const REGION = 'us-east-1';
const USER_POOL_ID = 'us-east-1_Bench0000';
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${USER_POOL_ID}`;
const JWKS_PATH = `/${USER_POOL_ID}/.well-known/jwks.json`;
const KMS_HOST = `kms.${REGION}.amazonaws.com`;
const PROXY_HOST = 'nemt-bench.proxy-000000000000.us-east-1.rds.amazonaws.com';
const PROXY_PORT = 5432;
const LIST_URL = '/v1/trip-requests?limit=50&include=rider';
const CREDENTIALS = { accessKeyId: 'ASIABENCHCOLDREQUEST', secretAccessKey: 'bench/secret/not+a+real+key', sessionToken: 'bench-session-token' };
export const FLOOR_SOURCE = join(__dirname, 'support', 'cold-floor-handler.ts');

export interface ColdBundle {
  readonly entry: string;
  readonly file: string;
  /** The configuration the bundle loads with (dummy values; the cold request overrides the endpoints). */
  readonly env: Record<string, string>;
}

interface Recorded {
  begin: string;
  statements: { sql: string; params?: unknown[] }[];
}

/** A database that records the transactions run through it (opening statement and statements). */
function recordingDatabase(pool: Database) {
  const transactions: Recorded[] = [];
  const db: Database = {
    query: (sql, params) => pool.query(sql, params),
    transaction: (work, options?: TransactionOptions) => {
      const recorded: Recorded = { begin: beginStatement(options), statements: [] };
      transactions.push(recorded);
      return pool.transaction((tx) => work({
        query: (sql: string, params?: readonly SqlParam[]) => {
          recorded.statements.push({ sql, params: params ? params.map(jsonParam) : undefined });
          return tx.query(sql, params);
        },
      } as Queryable), options);
    },
    close: () => pool.close(),
  };
  return { db, transactions };
}

function jsonParam(value: SqlParam): unknown {
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  return value;
}

const loginFor = (user: string) => (Object.entries(LOGIN_USERS).find(([, name]) => name === user)?.[0] ?? 'api') as LoginName;

function childScript(file: string, event: APIGatewayProxyEvent): string {
  const load = `import(${JSON.stringify(pathToFileURL(file).href)})`;
  return `const event = ${JSON.stringify(event)};
const t0 = performance.now();
${load}.then(async (mod) => {
  const t1 = performance.now();
  const boundaryUs = Number(process.hrtime.bigint() / 1000n);
  const result = await mod.handler(event, { awsRequestId: event.requestContext.requestId, callbackWaitsForEmptyEventLoop: true });
  const t2 = performance.now();
  process.stdout.write('\\nBENCH-RESULT ' + JSON.stringify({ init: t1 - t0, request: t2 - t1, boundaryUs, status: result.statusCode,
    body: result.statusCode === 200 ? '' : String(result.body).slice(0, 300) }) + '\\n');
  process.exit(0);
}).catch((error) => { process.stdout.write('\\nBENCH-RESULT ' + JSON.stringify({ error: String(error && error.stack || error) }) + '\\n'); process.exit(3); });`;
}

interface ColdSample {
  init?: number;
  /** When init ended, on the clock of a CPU profile's timestamps (µs). */
  boundaryUs?: number;
  request?: number;
  status?: number;
  body?: string;
  error?: string;
}

async function coldOnce(script: string, preload: string, env: Record<string, string>, extraArgs: string[] = []):
  Promise<ColdSample> {
  const { out, err } = await runChild(process.execPath,
    [...extraArgs, '--require', preload, '-e', script],
    { env: { PATH: process.env.PATH ?? '', ...env }, timeoutMs: 60_000 });
  const line = out.split('\n').reverse().find((text) => text.startsWith('BENCH-RESULT '));
  if (!line) return { error: (err || out || 'no output').trim().split('\n').slice(-3).join(' ').slice(0, 300) };
  const sample = JSON.parse(line.slice('BENCH-RESULT '.length)) as ColdSample;
  if (sample.status !== undefined && sample.status !== 200) sample.error = `answered ${sample.status}: ${sample.body}`;
  return sample;
}

export async function runColdRequests(input: {
  settings: BenchSettings;
  server: BenchServer;
  work: string;
  bundles: readonly ColdBundle[];
  floorFile: string;
  writePreload: (name: string, text: string) => string;
  /** Instead of measuring: one CPU-profiled cold process per entry, its profile written under this folder. */
  profileDir?: string;
}): Promise<{ checks: Check[]; absolute: Record<string, unknown> }> {
  const { settings, server } = input;
  const wanted = input.bundles.filter((bundle) => (COLD_ENTRIES as readonly string[]).includes(bundle.entry));
  status('P1 cold request: seeding a small database');
  const database = await server.createDatabase('nemt_bench_p1');
  const kms = createFakeKms(TEST_KEY_ARN);
  const piiFresh = () => new PiiCrypto({ provider: createKmsKeyProvider(kms.client, TEST_KEY_ARN) });
  const closers: (() => Promise<void>)[] = [];
  try {
    const dataset = await generateDataset(database.owner, piiFresh(), { trips: 3_000, tenants: 3, drivers: 3 });
    const actor: Actor = dataset.largest.user;

    // The handlers' SQL and KMS calls on a cold container (fresh key caches), recorded in process.
    const plans = new Map<string, { recorded: Recorded[]; decrypt: string }>();
    const lastDecrypt = () => {
      const call = kms.mock.commandCalls(DecryptCommand).at(-1);
      if (!call) throw new Error('the first request unwrapped no key');
      const inputs = call.args[0].input;
      return JSON.stringify({ ...inputs, CiphertextBlob: Buffer.from(inputs.CiphertextBlob ?? new Uint8Array()).toString('base64') });
    };
    {
      const recording = recordingDatabase(database.pool('api', 2));
      const api = createTestApi(recording.db, { pii: piiFresh() });
      const handler = createApiHandler(api.deps, routingWith(apiHandlers));
      const translated = toApiGatewayEvent({ method: 'GET', url: LIST_URL, headers: { Authorization: `Bearer ${api.issuer.mint(actor)}` } });
      if (!('event' in translated)) throw new Error(`no route for ${LIST_URL}`);
      const answer = (await handler(translated.event, { awsRequestId: 'bench' } as Context)) as APIGatewayProxyResult;
      if (answer.statusCode !== 200) throw new Error(`in-process list answered ${answer.statusCode}`);
      plans.set('lambdas/api/handler.ts', { recorded: recording.transactions, decrypt: lastDecrypt() });
    }
    {
      const challenge = toApiGatewayEvent({ method: 'GET', url: '/v1/intake/challenge', headers: {} });
      if (!('event' in challenge)) throw new Error('no route for the intake challenge');
      const pool = database.pool('intake', 2);
      // The first challenge ever creates the provider secret; every later cold container opens it.
      await createIntakeHandler({ db: pool, pii: piiFresh() })(challenge.event, { awsRequestId: 'bench' } as Context);
      const recording = recordingDatabase(pool);
      const answer = (await createIntakeHandler({ db: recording.db, pii: piiFresh() })(challenge.event,
        { awsRequestId: 'bench' } as Context)) as APIGatewayProxyResult;
      if (answer.statusCode !== 200) throw new Error(`in-process intake challenge answered ${answer.statusCode}`);
      plans.set('lambdas/intake/handler.ts', { recorded: recording.transactions, decrypt: lastDecrypt() });
    }

    const certDir = join(input.work, 'tls');
    mkdirSync(certDir, { recursive: true });
    const tls = makeCertificate(certDir, [`cognito-idp.${REGION}.amazonaws.com`, KMS_HOST, PROXY_HOST]);
    const issuer = createLocalIssuer({ issuer: ISSUER });
    const jwks = await startJwksEndpoint(tls, JWKS_PATH, issuer.jwks());
    closers.push(jwks.close);
    const kmsEndpoint = await startKmsEndpoint(tls, kms);
    closers.push(kmsEndpoint.close);
    const proxy = await startRdsProxyFake({ tls, host: PROXY_HOST, port: PROXY_PORT, region: REGION, credentials: CREDENTIALS,
      upstreamUrl: (user) => database.url(loginFor(user)) });
    closers.push(proxy.close);
    const preload = input.writePreload('network-map.cjs', networkMapScript({
      [`cognito-idp.${REGION}.amazonaws.com:443`]: jwks.port, [`${KMS_HOST}:443`]: kmsEndpoint.port, [`${PROXY_HOST}:${PROXY_PORT}`]: proxy.port,
    }));

    const token = issuer.mint(actor, { expiresInSeconds: 3600 });
    const events: Record<string, APIGatewayProxyEvent> = {};
    for (const [entry, url, headers] of [['lambdas/api/handler.ts', LIST_URL, { Authorization: `Bearer ${token}` }],
      ['lambdas/intake/handler.ts', '/v1/intake/challenge', {}]] as const) {
      const translated = toApiGatewayEvent({ method: 'GET', url, headers });
      if (!('event' in translated)) throw new Error(`no route for ${url}`);
      events[entry] = translated.event;
    }

    const awsEnv = (bundle: ColdBundle) => {
      const user = bundle.env.DB_USER ?? 'nemt_api_user';
      return {
        ...bundle.env,
        AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION, USER_POOL_ID, APP_CLIENT_IDS: LOCAL_CLIENT_ID, API_SCOPE: LOCAL_SCOPE,
        DB_HOST: PROXY_HOST, DB_PORT: String(PROXY_PORT), DB_NAME: database.name, DB_USER: user, PII_KEY_ARN: TEST_KEY_ARN,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: CREDENTIALS.sessionToken, NODE_EXTRA_CA_CERTS: tls.certFile,
      };
    };
    const targets = wanted.flatMap((bundle) => {
      const plan = plans.get(bundle.entry);
      const event = events[bundle.entry];
      if (!plan || !event) return [];
      const env = awsEnv(bundle);
      const floorPlan: ColdPlan = {
        region: REGION,
        ...(bundle.entry === 'lambdas/api/handler.ts' ? { jwks: { uri: `${ISSUER}/.well-known/jwks.json`, issuer: ISSUER } } : {}),
        db: { host: PROXY_HOST, port: PROXY_PORT, user: env.DB_USER, database: database.name },
        begin: plan.recorded[0]?.begin ?? 'BEGIN',
        statements: plan.recorded.flatMap((tx) => tx.statements),
        kms: { host: KMS_HOST, body: plan.decrypt },
      };
      return [
        { entry: bundle.entry, side: 'handler' as const, script: childScript(bundle.file, event), env },
        { entry: bundle.entry, side: 'floor' as const, script: childScript(input.floorFile, event),
          env: { ...env, BENCH_COLD_PLAN: JSON.stringify(floorPlan) } },
      ];
    });

    if (input.profileDir) {
      const profiles = [];
      for (const target of targets.filter((candidate) => candidate.side === 'handler')) {
        const dir = join(input.profileDir, target.entry.split('/')[1] ?? 'entry');
        // Once unprofiled first, so the files and the database are warm as in a measured run.
        await coldOnce(target.script, preload, target.env);
        const sample = await coldOnce(target.script, preload, target.env,
          ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100']);
        if (sample.error) throw new Error(`profiled ${target.entry}: ${sample.error}`);
        profiles.push({ entry: target.entry, dir, boundaryUs: sample.boundaryUs, initMs: sample.init, requestMs: sample.request });
      }
      return { checks: [], absolute: { profiles } };
    }

    // One process at a time: the stand-ins and the database share the machine with it. Before each
    // round the proxy opens the database connections the round's sessions will take, so no
    // backend is forked while a process is measured.
    const processes = settings.quick ? 7 : 15;
    const samples = targets.map(() => [] as ColdSample[]);
    const report = progressReporter('P1 cold requests in fresh processes');
    const sessionsPerRound = new Map<string, number>();
    for (const target of targets) {
      const login = target.env.DB_USER as string;
      sessionsPerRound.set(login, (sessionsPerRound.get(login) ?? 0) + 2);
    }
    for (let round = 0; round < processes; round += 1) {
      for (const [login, sessions] of sessionsPerRound) await proxy.prepare(login, sessions);
      for (const [index, target] of targets.entries()) {
        samples[index]?.push(await coldOnce(target.script, preload, target.env));
      }
      report(round + 1, processes);
    }

    const summary = (index: number) => {
      const all = samples[index] ?? [];
      const ok = all.filter((sample) => !sample.error && sample.init !== undefined && sample.request !== undefined);
      const init = median(ok.map((sample) => sample.init as number));
      const request = median(ok.map((sample) => sample.request as number));
      const total = median(ok.map((sample) => (sample.init as number) + (sample.request as number)));
      return { initMs: round(init, 1), firstRequestMs: round(request, 1), coldMs: round(total, 1), processes: ok.length,
        ...(all.find((sample) => sample.error) ? { error: all.find((sample) => sample.error)?.error } : {}) };
    };
    // The same round's handler and floor ran back to back: their ratio is blind to the machine's
    // drift across rounds, which moves both medians on a shared host (reported beside the check).
    const cold = (sample: ColdSample | undefined) => (sample && !sample.error && sample.init !== undefined && sample.request !== undefined
      ? sample.init + sample.request : undefined);
    const pairedRatio = (handlerIndex: number, floorIndex: number) => {
      const ratios = (samples[handlerIndex] ?? []).flatMap((sample, index) => {
        const handlerMs = cold(sample);
        const floorMs = cold(samples[floorIndex]?.[index]);
        return handlerMs !== undefined && floorMs ? [handlerMs / floorMs] : [];
      });
      return ratios.length > 0 ? round(median(ratios), 2) : null;
    };
    const entries = wanted.filter((bundle) => plans.has(bundle.entry)).map((bundle) => {
      const handlerIndex = targets.findIndex((target) => target.entry === bundle.entry && target.side === 'handler');
      const floorIndex = targets.findIndex((target) => target.entry === bundle.entry && target.side === 'floor');
      const handler = summary(handlerIndex);
      const floor = summary(floorIndex);
      const broken = handler.error !== undefined || floor.error !== undefined || handler.processes === 0 || floor.processes === 0;
      return { entry: bundle.entry, handler, floor, ratio: broken ? null : round(handler.coldMs / floor.coldMs, 2),
        ratioByRound: broken ? null : pairedRatio(handlerIndex, floorIndex) };
    });
    const calls = { jwksFetched: jwks.served(), kmsCalls: kmsEndpoint.served(), proxySessions: proxy.served(),
      proxyTokensRejected: proxy.rejected() };
    const checks = [
      // An entry that could not be measured (not built, no plan) fails its check rather than vanishing.
      ...COLD_ENTRIES.map((entry) => coldRequestCheck(entry, entries.find((item) => item.entry === entry)?.ratio ?? null)),
      // Every process (both sides) must have done the work: a token per session, accepted.
      check('cold request: IAM tokens the proxy refused', calls.proxyTokensRejected, 'max', 0),
    ];
    return {
      checks,
      absolute: {
        note: 'fresh process each: init = module load; first request = handler call to answer; cold = both; floor: empty handler making the same calls by hand',
        request: { api: `GET ${LIST_URL} as ${actor.role}`, intake: 'GET /v1/intake/challenge' },
        processesPerSide: processes,
        entries,
        calls,
      },
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await database.drop().catch(() => undefined);
  }
}
