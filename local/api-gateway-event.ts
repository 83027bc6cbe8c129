import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { matchRoute } from '../lambdas/api/router';

/**
 * Turns a plain HTTP request into the REST API (v1) proxy event API Gateway hands the Lambda:
 * the matched `resource` template, `pathParameters`, single-value query parameters and headers.
 * Used by the local server and the tests, so both drive the handlers exactly as AWS does.
 */
export interface PlainRequest {
  method: string;
  /** Path with optional query string, e.g. `/v1/trip-requests?limit=5`. */
  url: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  sourceIp?: string;
}

export type EventOrAnswer = { event: APIGatewayProxyEvent } | { status: 404 | 405 };

export function toApiGatewayEvent(request: PlainRequest): EventOrAnswer {
  const url = new URL(request.url, 'http://localhost');
  const match = matchRoute(request.method, url.pathname);
  if (match === undefined) return { status: 404 };
  if (match === 'method_not_allowed') return { status: 405 };
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const requestId = randomUUID();
  return {
    event: {
      resource: match.route.path,
      path: url.pathname,
      httpMethod: request.method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
      queryStringParameters: Object.keys(query).length ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : null,
      stageVariables: null,
      body: request.body ?? null,
      isBase64Encoded: false,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        authorizer: null,
        protocol: 'HTTP/1.1',
        httpMethod: request.method,
        identity: { sourceIp: request.sourceIp ?? '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
        path: url.pathname,
        stage: 'local',
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: match.route.path,
      },
    },
  };
}
