import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Database } from '../../lambdas/shared/db/port';
import { createIntakeHandler } from '../../lambdas/intake/app';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import type { ApiAnswer } from './api';
import { testPii } from './keys';

/**
 * Drives the real intake handler in process with the event API Gateway would send for
 * `POST /v1/intake/trip-requests`, against the database as the intake login.
 */
export interface IntakeCall {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Defaults to the intake path; other values test the routing guard. */
  url?: string;
}

export interface TestIntake {
  submit(call?: IntakeCall): Promise<ApiAnswer>;
}

export const INTAKE_PATH = '/v1/intake/trip-requests';

export function createTestIntake(db: Database, pii: PiiCrypto = testPii()): TestIntake {
  const handler = createIntakeHandler({ db, pii });
  return {
    async submit(call = {}) {
      const namesContentType = Object.keys(call.headers ?? {}).some((name) => name.toLowerCase() === 'content-type');
      const translated = toApiGatewayEvent({
        method: 'POST',
        url: call.url ?? INTAKE_PATH,
        headers: { ...(namesContentType ? {} : { 'Content-Type': 'application/json' }), ...call.headers },
        body: call.rawBody ?? (call.body !== undefined ? JSON.stringify(call.body) : undefined),
      });
      if (!('event' in translated)) throw new Error(`no intake route for ${call.url}`);
      const context = { awsRequestId: translated.event.requestContext.requestId } as Context;
      const result = (await handler(translated.event, context)) as APIGatewayProxyResult;
      const headers = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]),
      );
      const body = /json/.test(headers['content-type'] ?? '') && result.body ? JSON.parse(result.body) : result.body;
      return { status: result.statusCode, headers, body, text: result.body };
    },
  };
}

/** A complete, valid intake body; override any field. */
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
