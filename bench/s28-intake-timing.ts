import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { solveChallenge } from 'altcha-lib/v1';
import { createIntakeHandler } from '../lambdas/intake/app';
import type { IssuedChallenge } from '../lambdas/intake/challenge';
import type { PiiCrypto } from '../lambdas/shared/crypto/pii';
import type { Database } from '../lambdas/shared/db/port';
import { toApiGatewayEvent } from '../local/api-gateway-event';
import type { BenchSettings } from './support/context';
import { progressReporter, status } from './support/output';
import type { BenchmarkOutcome } from './support/results';
import { measureAlternating, ratio, summarise } from './support/stats';

/**
 * S28 (SECURITY.md, the intake's membership leak): the public intake's latency for a phone that is
 * already a rider against one that is not, through the real handler and database as the intake
 * login. Nothing observable may tell them apart; `npm test` proves the answers and messages
 * identical, this reports the timing (p50/p99 of each and their ratio) with no pass/fail target,
 * since a threshold on a shared machine would only measure the machine.
 *
 * Both variants do the same work but for the phone: the same body shape, SMS with consent, a
 * per-destination allowance high enough never to suppress a receipt (so the known phone, asked
 * again and again, is not told apart by a missing outbox row). Challenges are solved before the
 * clock starts and are tiny: verifying one costs the server one hash whatever its difficulty.
 */
const PATH = '/v1/intake/trip-requests';

export interface IntakeTimingOptions {
  readonly iterations: number;
  readonly warmup: number;
}

export async function runIntakeTiming(settings: Pick<BenchSettings, 'iterations' | 'warmup'>, intakeDb: Database,
  pii: PiiCrypto): Promise<BenchmarkOutcome> {
  const handler = createIntakeHandler({
    db: intakeDb, pii, settings: { challengeMaxNumber: 50, receiptsPerDestinationPerDay: 1_000_000 },
  });
  const context = { awsRequestId: 'bench-intake' } as Context;
  const invoke = async (event: APIGatewayProxyEvent) => (await handler(event, context)) as APIGatewayProxyResult;
  const eventFor = (method: 'GET' | 'POST', url: string, body?: unknown): APIGatewayProxyEvent => {
    const translated = toApiGatewayEvent({ method, url, headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (!('event' in translated)) throw new Error(`no intake route for ${method} ${url}`);
    return translated.event;
  };
  const solved = async (): Promise<string> => {
    const issued = JSON.parse((await invoke(eventFor('GET', '/v1/intake/challenge'))).body) as IssuedChallenge;
    const solution = await solveChallenge(issued.challenge, issued.salt, issued.algorithm, issued.maxnumber).promise;
    if (!solution) throw new Error('unsolvable challenge');
    return Buffer.from(JSON.stringify({ ...issued, number: solution.number })).toString('base64');
  };
  let sequence = 0;
  const nextPhone = () => `+1555${String(3_000_000 + (sequence++ % 6_999_999)).padStart(7, '0')}`;
  const body = (phone: string, altcha: string) => ({
    fullName: 'Bench Rider', phone, pickupAddress: '12 Bench Street', dropoffAddress: '3 Clinic Road',
    appointmentAt: '2032-01-01T15:00:00Z', notifyChannel: 'sms', notifyConsent: true, altcha,
  });

  // The known phone becomes a rider the way a person does: through the intake.
  const knownPhone = nextPhone();
  const first = await invoke(eventFor('POST', PATH, body(knownPhone, await solved())));
  if (first.statusCode !== 202) throw new Error(`the intake answered ${first.statusCode}`);

  const total = settings.warmup + settings.iterations;
  status(`S28 preparing ${2 * total} solved challenges`);
  const known: APIGatewayProxyEvent[] = [];
  const unknown: APIGatewayProxyEvent[] = [];
  for (let index = 0; index < total; index += 1) {
    known.push(eventFor('POST', PATH, body(knownPhone, await solved())));
    unknown.push(eventFor('POST', PATH, body(nextPhone(), await solved())));
  }
  let failures = 0;
  const submit = async (events: APIGatewayProxyEvent[]) => {
    const event = events.pop();
    if (!event) throw new Error('ran out of prepared requests');
    if ((await invoke(event)).statusCode !== 202) failures += 1;
  };
  const { a, b } = await measureAlternating({ a: () => submit(known), b: () => submit(unknown) },
    { warmup: settings.warmup, iterations: settings.iterations, onProgress: progressReporter('S28 intake: known vs unknown phone') });

  const knownStats = summarise(a);
  const unknownStats = summarise(b);
  return {
    value: knownStats.p50,
    floor: unknownStats.p50,
    ratio: ratio(knownStats.p50, unknownStats.p50),
    unit: 'ms',
    checks: [],
    reportOnly: true,
    ...(failures > 0 ? { error: `${failures} intake requests were not accepted` } : {}),
    absolute: {
      knownPhone: knownStats,
      unknownPhone: unknownStats,
      p50Ratio: ratio(knownStats.p50, unknownStats.p50),
      p99Ratio: ratio(knownStats.p99, unknownStats.p99),
    },
  };
}
