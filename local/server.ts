import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { matchRoute, routeForResource } from '../lambdas/api/router';
import { SECURITY_HEADERS } from '../lambdas/shared/http/headers';
import { HttpProblem, Problems } from '../lambdas/shared/http/problem';
import { logger } from '../lambdas/shared/log';
import { toProblem } from '../lambdas/shared/http/db-errors';
import { type PlainRequest, toApiGatewayEvent } from './api-gateway-event';
import type { ConsoleSite } from './console-site';
import type { LocalIssuer } from './issuer';
import type { LocalSignIn } from './sign-in';

/**
 * The local stand-in for API Gateway: the issuer's JWKS, then every declared route turned into
 * the REST (v1) proxy event and handed to the Lambda handler that serves it in AWS (the public
 * intake to its own handler, everything else to the API). Unknown paths and methods are answered
 * here, as API Gateway answers them without invoking a Lambda. Beside `/v1` the same origin
 * serves what CloudFront and Cognito's domain serve in AWS: the sign-in (`/oauth2/*`, `/logout`,
 * discovery) and the built console with its `/config.json`.
 */
export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult | undefined>;

export interface LocalGatewayOptions {
  issuer: LocalIssuer;
  api: LambdaHandler;
  intake: LambdaHandler;
  /** The OAuth endpoints of the local sign-in (local/sign-in.ts). */
  signIn?: LocalSignIn;
  /** The built console; without it, paths outside `/v1` are answered 404 as before. */
  console?: ConsoleSite;
}

export interface GatewayAnswer {
  status: number;
  headers: Record<string, string>;
  /** Text for the API; bytes for static files. */
  body: string | Buffer;
}

export interface LocalGateway {
  dispatch(request: PlainRequest): Promise<GatewayAnswer>;
}

export const JWKS_PATH = '/.well-known/jwks.json';
/** API Gateway gives a Lambda integration at most 29 s. */
const INTEGRATION_TIMEOUT_MS = 29_000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function problemAnswer(problem: HttpProblem, requestId: string = randomUUID()): GatewayAnswer {
  return {
    status: problem.status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/problem+json', ...(problem.headers ?? {}) },
    body: JSON.stringify(problem.toBody(requestId)),
  };
}

function lambdaContext(requestId: string, functionName: string): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function createLocalGateway(options: LocalGatewayOptions): LocalGateway {
  return {
    async dispatch(request) {
      const path = new URL(request.url, 'http://localhost').pathname;
      if (path === JWKS_PATH) {
        if (request.method !== 'GET') return methodNotAllowed(['GET']);
        return {
          status: 200,
          headers: { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
          body: JSON.stringify(options.issuer.jwks()),
        };
      }
      const isApiPath = path === '/v1' || path.startsWith('/v1/');
      if (!isApiPath && options.signIn?.handles(path)) return options.signIn.dispatch(request);
      if (!isApiPath && options.console) return options.console.dispatch(request);
      const translated = toApiGatewayEvent(request);
      if (!('event' in translated)) {
        if (translated.status === 404) return problemAnswer(Problems.routeNotFound());
        return methodNotAllowed(METHODS.filter((method) => typeof matchRoute(method, path) === 'object'));
      }
      const { event } = translated;
      const route = routeForResource(event.httpMethod, event.resource);
      const isIntake = route?.function === 'intake';
      const handler = isIntake ? options.intake : options.api;
      const context = lambdaContext(event.requestContext.requestId, isIntake ? 'nemt-intake-local' : 'nemt-api-local');
      try {
        const result = await handler(event, context);
        if (!result) throw new Error('the handler returned nothing');
        const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]));
        const body: string = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
        return { status: result.statusCode, headers, body };
      } catch (error) {
        // API Gateway's answer to a failed integration; the handlers' own middlewares never let one through.
        logger.error('handler failed outside its middlewares', { errorName: (error as Error)?.name });
        return problemAnswer(Problems.internal(), event.requestContext.requestId);
      }
    },
  };
}

function methodNotAllowed(allowed: readonly string[]): GatewayAnswer {
  const answer = problemAnswer(new HttpProblem(405, 'method-not-allowed', 'This path does not accept this method.'));
  return { ...answer, headers: { ...answer.headers, Allow: allowed.join(', ') } };
}

// ---- HTTP ----------------------------------------------------------------------------------------

export interface LocalHttpServerOptions {
  /** Bodies larger than this are refused with 413 before they are read to the end. */
  maxBodyBytes?: number;
}

export interface LocalHttpServer {
  readonly server: Server;
  /** Until called, every request is answered 503: the port is held while the stack starts. */
  ready(gateway: LocalGateway): void;
  listen(port: number): Promise<void>;
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function send(response: ServerResponse, answer: GatewayAnswer, closeConnection = false): void {
  const headers: Record<string, string | number> = { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) };
  if (closeConnection) headers.Connection = 'close';
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}

function plainHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function createLocalHttpServer(options: LocalHttpServerOptions = {}): LocalHttpServer {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let gateway: LocalGateway | undefined;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (!gateway) {
      const starting = new HttpProblem(503, 'starting', 'The local stack is still starting; try again in a moment.', undefined,
        { 'Retry-After': '1' });
      send(response, problemAnswer(starting));
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, limit);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      // Answer at once and drop the connection rather than read the rest of an oversized upload.
      response.once('finish', () => request.socket.destroy());
      send(response, problemAnswer(Problems.tooLarge(limit)), true);
      return;
    }
    const answer = await gateway.dispatch({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: plainHeaders(request),
      body: body.length > 0 ? body.toString('utf8') : undefined,
      sourceIp: request.socket.remoteAddress,
    });
    send(response, answer);
  };

  const answer = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('local server failed to answer', { errorName: (error as Error)?.name });
      // The sign-in pages read the users from the database: without it they say "try again", as the API does.
      if (!response.headersSent) send(response, problemAnswer(toProblem(error)));
      else response.destroy();
    });
  };
  const server = createServer(answer);
  // A client that asks before uploading (Expect: 100-continue) hears 413 instead of "go ahead".
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (Number(request.headers['content-length']) > limit) {
      response.once('finish', () => request.socket.destroy());
      send(response, problemAnswer(Problems.tooLarge(limit)), true);
      return;
    }
    response.writeContinue();
    answer(request, response);
  });

  return {
    server,
    ready: (value) => {
      gateway = value;
    },
    listen: (port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: (graceMs = 3_000) =>
      new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        // In-flight requests get a moment to finish; idle keep-alive connections would hold close() open.
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
