import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiHandler } from '../../lambdas/api/app';
import type { ApiDependencies, ApiSettings } from '../../lambdas/api/handler-types';
import { apiHandlers } from '../../lambdas/api/handlers';
import { routingWith } from '../../lambdas/api/router';
import { createTokenVerifier } from '../../lambdas/shared/auth/verifier';
import type { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Database } from '../../lambdas/shared/db/port';
import { createLocalIdentityAdmin } from '../../lambdas/shared/identity/local';
import type { OutboxPublisher } from '../../lambdas/shared/outbox/publisher';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import { createLocalIssuer, LOCAL_CLIENT_ID, LOCAL_SCOPE, type LocalIssuer, type MintOptions } from '../../local/issuer';
import { testPii } from './keys';

/**
 * Drives the real API handler in process, exactly as API Gateway would call it: tokens from the
 * local issuer verified by the production verifier, the real router, middlewares and handlers,
 * and the real database through the application's login role.
 */
export interface ApiCall {
  token?: string;
  as?: Actor;
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  mint?: MintOptions;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely
export interface ApiAnswer<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
}

export interface TestApi {
  issuer: LocalIssuer;
  identity: ReturnType<typeof createLocalIdentityAdmin>;
  published: string[][];
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely
  call<T = any>(method: string, url: string, call?: ApiCall): Promise<ApiAnswer<T>>;
  deps: ApiDependencies;
}

export const TEST_SETTINGS: ApiSettings = { pickupWindowMinutes: 30, providerName: 'Test Transport', timeZone: 'America/New_York',
  maxOdometerJumpMiles: 300 };

export function createTestApi(
  db: Database,
  overrides: { outbox?: OutboxPublisher; pii?: PiiCrypto; settings?: Partial<ApiSettings> } = {},
): TestApi {
  const issuer = createLocalIssuer({ issuer: 'http://localhost:0/local-issuer' });
  const identity = createLocalIdentityAdmin();
  const published: string[][] = [];
  const deps: ApiDependencies = {
    db,
    verifier: createTokenVerifier({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
      scope: LOCAL_SCOPE,
      jwks: issuer.jwks() as never,
    }),
    outbox: overrides.outbox ?? {
      publish: async (ids) => {
        published.push([...ids]);
      },
    },
    identity,
    pii: overrides.pii ?? testPii(),
    settings: { ...TEST_SETTINGS, ...overrides.settings },
  };
  // Both functions that serve authenticated routes in AWS, as the local stack runs them.
  const handler = createApiHandler(deps, routingWith(apiHandlers), ['api', 'users']);

  return {
    issuer,
    identity,
    published,
    deps,
    async call(method, url, call = {}) {
      const token = call.token ?? (call.as ? issuer.mint(call.as, call.mint) : undefined);
      const headers: Record<string, string> = {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(call.body !== undefined || call.rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...call.headers,
      };
      const translated = toApiGatewayEvent({
        method,
        url,
        headers,
        body: call.rawBody ?? (call.body !== undefined ? JSON.stringify(call.body) : undefined),
      });
      if (!('event' in translated)) {
        return { status: translated.status, headers: {}, body: undefined as never, text: "" };
      }
      const context = { awsRequestId: translated.event.requestContext.requestId } as Context;
      const result = (await handler(translated.event, context)) as APIGatewayProxyResult;
      const responseHeaders = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]),
      );
      let body: unknown = result.body;
      if (/json/.test(responseHeaders['content-type'] ?? '') && result.body) body = JSON.parse(result.body);
      return { status: result.statusCode, headers: responseHeaders, body: body as never, text: result.body };
    },
  };
}
