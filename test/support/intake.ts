import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { solveChallenge } from 'altcha-lib/v1';
import type { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Database, Queryable } from '../../lambdas/shared/db/port';
import { createIntakeHandler, type IntakeDependencies } from '../../lambdas/intake/app';
import type { IssuedChallenge } from '../../lambdas/intake/challenge';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import type { ApiAnswer } from './api';
import { testPii } from './keys';

/**
 * Drives the real intake handler in process with the events API Gateway would send for
 * `GET /v1/intake/challenge` and `POST /v1/intake/trip-requests`, against the database as the
 * intake login. A submission with a JSON `body` and no `altcha` gets a freshly issued and solved
 * challenge, as the public page would send; `solve: false` sends none.
 */
export interface IntakeCall {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Defaults to the intake path; other values test the routing guard. */
  url?: string;
  /** Default true: add a solved challenge to a body object that has no `altcha`. */
  solve?: boolean;
}

export interface TestIntake {
  submit(call?: IntakeCall): Promise<ApiAnswer>;
  /** GET /v1/intake/challenge. */
  challenge(call?: { url?: string; headers?: Record<string, string>; rawBody?: string }): Promise<ApiAnswer>;
  /** A fresh challenge, solved: the `altcha` value a client sends. */
  solvedChallenge(): Promise<string>;
}

export const INTAKE_PATH = '/v1/intake/trip-requests';
export const CHALLENGE_PATH = '/v1/intake/challenge';
/** Small enough that solving costs a few milliseconds per submission, large enough to be real work. */
export const TEST_CHALLENGE_MAX_NUMBER = 2_000;

/** The payload a client sends for a solved challenge (altcha-lib's format, base64 of JSON). */
export async function solve(challenge: IssuedChallenge): Promise<string> {
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  if (!solution) throw new Error('the challenge has no solution in its range');
  return Buffer.from(JSON.stringify({ algorithm: challenge.algorithm, challenge: challenge.challenge, number: solution.number,
    salt: challenge.salt, signature: challenge.signature })).toString('base64');
}

export function createTestIntake(db: Database, pii: PiiCrypto = testPii(), options: Omit<IntakeDependencies, 'db' | 'pii'> = {}): TestIntake {
  const handler = createIntakeHandler({ db, pii, ...options,
    settings: { challengeMaxNumber: TEST_CHALLENGE_MAX_NUMBER, ...options.settings } });

  async function call(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<ApiAnswer> {
    const translated = toApiGatewayEvent({ method, url, headers, body });
    if (!('event' in translated)) throw new Error(`no intake route for ${method} ${url}`);
    const context = { awsRequestId: translated.event.requestContext.requestId } as Context;
    const result = (await handler(translated.event, context)) as APIGatewayProxyResult;
    const answerHeaders = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]),
    );
    const parsed = /json/.test(answerHeaders['content-type'] ?? '') && result.body ? JSON.parse(result.body) : result.body;
    return { status: result.statusCode, headers: answerHeaders, body: parsed, text: result.body };
  }

  const intake: TestIntake = {
    async challenge(options = {}) {
      return call('GET', options.url ?? CHALLENGE_PATH, options.headers ?? {}, options.rawBody);
    },
    async solvedChallenge() {
      const answer = await intake.challenge();
      if (answer.status !== 200) throw new Error(`challenge answered ${answer.status}`);
      return solve(answer.body as IssuedChallenge);
    },
    async submit(options = {}) {
      const namesContentType = Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === 'content-type');
      let body = options.body;
      if (options.solve !== false && body && typeof body === 'object' && !Array.isArray(body) && !('altcha' in body)) {
        body = { ...body, altcha: await intake.solvedChallenge() };
      }
      return call('POST', options.url ?? INTAKE_PATH,
        { ...(namesContentType ? {} : { 'Content-Type': 'application/json' }), ...options.headers },
        options.rawBody ?? (body !== undefined ? JSON.stringify(body) : undefined));
    },
  };
  return intake;
}

/** A complete, valid intake body (without its challenge, which `submit` adds); override any field. */
export function intakeBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fullName: 'Pat Example',
    phone: '+15550100000',
    pickupAddress: '10 Elm Street',
    dropoffAddress: '20 Clinic Way',
    appointmentAt: '2030-03-04T15:00:00Z',
    notifyConsent: true,
    ...overrides,
  };
}

/** A private-pay rider the intake created, as the merge routes see it. */
export interface IntakeRider {
  id: string;
  facilityId: string;
  version: number;
}

/**
 * `count` public requests from one phone, each its own rider in its own individual tenant (schema/0019):
 * duplicates for a Dispatcher to merge. Oldest first.
 */
export async function intakeDuplicates(intake: TestIntake, owner: Queryable, phone: string, count = 2): Promise<IntakeRider[]> {
  const riders: IntakeRider[] = [];
  for (let index = 0; index < count; index += 1) {
    const answer = await intake.submit({ body: intakeBody({ phone, notifyChannel: 'none', notifyConsent: false }) });
    if (answer.status !== 202) throw new Error(`intake answered ${answer.status}`);
    const { rows } = await owner.query<{ id: string; facility_id: string; version: number }>(
      `SELECT r.id, r.facility_id, r.version FROM trip_requests t JOIN riders r ON r.id = t.rider_id WHERE t.reference_code = $1`,
      [answer.body.receiptCode]);
    const row = rows[0];
    if (!row) throw new Error('the intake recorded no rider');
    riders.push({ id: row.id, facilityId: row.facility_id, version: row.version });
  }
  return riders;
}
