import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logger } from '../log';
import type { Actor } from '../tenancy/actor';
import { SECURITY_HEADERS } from './headers';
import { HttpProblem } from './problem';
import { toProblem } from './db-errors';

/** What the middlewares learn about a request, shared with the handler through the Lambda context. */
export interface RequestContext extends Context {
  requestId?: string;
  actor?: Actor;
  routeId?: string;
  startedAt?: number;
}

type Middleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RequestContext>;

/** Request id first, so every later log line and problem carries it. */
export function requestContext(): Middleware {
  return {
    before: (request) => {
      request.context.requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
      request.context.startedAt = Date.now();
      logger.appendKeys({ requestId: request.context.requestId });
    },
  };
}

function outcomeOf(status: number): string {
  if (status < 400) return 'ok';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'denied';
  if (status >= 500) return 'failed';
  return 'rejected';
}

/**
 * One structured line per request: route, actor (sub and role, never claims), status, outcome,
 * latency, and for refusals the reason code. No body, header or token ever reaches the log.
 */
export function accessLog(): Middleware {
  const write = (
    request: { context: RequestContext; event: APIGatewayProxyEvent; response?: APIGatewayProxyResult | null },
    reason?: string,
  ) => {
    const status = request.response?.statusCode ?? 500;
    const entry = {
      route: request.context.routeId ?? `${request.event.httpMethod} ${request.event.resource}`,
      status,
      outcome: outcomeOf(status),
      latencyMs: request.context.startedAt ? Date.now() - request.context.startedAt : undefined,
      sub: request.context.actor?.sub,
      role: request.context.actor?.role,
      ...(reason ? { reason } : {}),
    };
    if (status >= 500) logger.error('request', entry);
    else if (status >= 400) logger.warn('request', entry);
    else logger.info('request', entry);
    logger.resetKeys();
  };
  return {
    after: (request) => write(request),
    onError: (request) => {
      const error = request.error;
      const reason = error instanceof HttpProblem ? (error.logReason ?? error.slug) : 'unhandled';
      if (!(error instanceof HttpProblem) || error.status >= 500) {
        // The error's name and SQLSTATE help operators; its message may quote data, so it stays out.
        logger.error('unhandled error', { errorName: error?.name, code: (error as { code?: string })?.code });
      }
      write(request, reason);
    },
  };
}

export function securityHeaders(): Middleware {
  const apply = (request: { response?: APIGatewayProxyResult | null }) => {
    if (!request.response) return;
    request.response.headers = { ...(request.response.headers ?? {}), ...SECURITY_HEADERS };
  };
  return { after: apply, onError: apply };
}

/**
 * Registered last so its onError runs first: every thrown error becomes an RFC 9457
 * application/problem+json answer with the request id, and never a stack trace.
 */
export function problemResponses(): Middleware {
  return {
    onError: (request) => {
      const problem = toProblem(request.error);
      request.response = {
        statusCode: problem.status,
        headers: { 'Content-Type': 'application/problem+json', ...(problem.headers ?? {}) },
        body: JSON.stringify(problem.toBody(request.context.requestId)),
      };
      request.error = problem;
    },
  };
}
