import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { actorFromClaims } from '../shared/auth/claims';
import { TokenRejectedError } from '../shared/auth/verifier';
import { DatabaseError, SqlState, type Queryable } from '../shared/db/port';
import { headerValue } from '../shared/http/headers';
import { accessLog, problemResponses, type RequestContext, requestContext, securityHeaders } from '../shared/http/middlewares';
import { Problems } from '../shared/http/problem';
import { logger } from '../shared/log';
import { recordAuditEvent } from '../shared/audit/record';
import { writeOutbox, writeOutboxWithAudit } from '../shared/outbox/write';
import type { Actor } from '../shared/tenancy/actor';
import { withActor } from '../shared/tenancy/with-actor';
import {
  type ApiDependencies, type ApiRoute, bodyOf, RefusalToExplain, type RouteContext, type RouteHandler, type RouteResult,
} from './handler-types';
import { etagFor, parseIdempotencyKey, parseIfMatch, parseJsonBody, parseParameters } from './request';
import type { AuthenticatedFunction } from './route-types';
import { parsedEvenIfPast } from './schemas/common';
import type { Route } from './routes';
import type { Routing } from './routing';

/**
 * The one road every API request walks (docs/architecture.md): request id → access log →
 * security headers → problem responses (registered last) → authenticate → route → authorize →
 * validate → one tenant transaction (handler + audit + outbox + idempotency record) → after
 * commit, hand the outbox ids to the queue → JSON with ETag, or problem+json.
 *
 * `serves` names the functions whose routes this handler answers (the route table says which
 * function serves each route): in AWS each Lambda serves its own, and a route of another answers
 * 404 as an unknown one would; the local stack and the tests serve them all from one process.
 */
export function createApiHandler(deps: ApiDependencies, routing: Routing,
  serves: readonly AuthenticatedFunction[] = ['api']) {
  const servedHere = (route: Route | undefined): route is ApiRoute =>
    route !== undefined && route.function !== 'intake' && serves.includes(route.function);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RequestContext>()
    .use(requestContext())
    .use(accessLog())
    .use(securityHeaders())
    .use(problemResponses())
    .handler(async (event, context) => {
      // The route (in a Lambda, its group's code loading for the first time) is looked up while the
      // token is checked; an unauthenticated caller still hears 401 before anything about routes.
      const routed = routing(event.httpMethod, event.resource);
      routed.catch(() => undefined);
      const actor = await authenticate(event, deps);
      context.actor = actor;
      const found = await routed;
      const route = found?.route;
      if (!servedHere(route) || !found?.handler) throw Problems.routeNotFound();
      context.routeId = route.id;
      if (!(route.roles as readonly string[]).includes(actor.role)) {
        throw Problems.forbidden(undefined, `role ${actor.role} not allowed on ${route.id}`);
      }
      return execute(event, route, found.handler, actor, context.requestId ?? context.awsRequestId, deps);
    });
}

async function authenticate(event: APIGatewayProxyEvent, deps: ApiDependencies): Promise<Actor> {
  const header = headerValue(event.headers, 'authorization');
  const token = header?.match(/^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/)?.[1];
  if (!token) throw Problems.unauthenticated(header ? 'malformed_authorization_header' : 'no_token');
  let payload: unknown;
  try {
    payload = await deps.verifier.verify(token);
  } catch (error) {
    throw Problems.unauthenticated(error instanceof TokenRejectedError ? `token_${error.reason}` : 'token_invalid');
  }
  const claims = actorFromClaims(payload);
  // A malformed identity claim (e.g. a sub that is not a UUID) makes the token invalid (401); a
  // well-formed token whose groups or tenant do not fit is an account problem (403).
  if (!claims.ok && claims.reason === 'malformed_claims') throw Problems.unauthenticated('token_malformed_claims');
  if (!claims.ok) throw Problems.forbidden('Your account is not set up for this API.', claims.reason);
  return claims.actor;
}

class IdempotencyRace extends Error {}

interface StoredResponse {
  status: number;
  body: unknown;
  version?: number;
}

async function execute(
  event: APIGatewayProxyEvent,
  route: ApiRoute,
  handler: RouteHandler<ApiRoute>,
  actor: Actor,
  requestId: string,
  deps: ApiDependencies,
): Promise<APIGatewayProxyResult> {
  const params = parseParameters(event.pathParameters, 'params' in route ? route.params : undefined);
  const query = parseParameters(event.queryStringParameters, 'query' in route ? route.query : undefined);
  const idempotencyKey = 'idempotent' in route && route.idempotent ? parseIdempotencyKey(event) : undefined;
  const { body, refusalUnlessReplayed } = parseBody(event, route, idempotencyKey);
  const ifMatch = parseIfMatch(event);
  if (ifMatch === 'unparseable') throw Problems.stale();
  const ifMatchRequired = route.method === 'PATCH' || ('ifMatchRequired' in route && route.ifMatchRequired === true);
  if (ifMatchRequired && ifMatch === undefined) throw Problems.preconditionRequired();
  const requestHash = idempotencyKey
    ? createHash('sha256').update(`${route.id}\n${JSON.stringify(params)}\n${JSON.stringify(body ?? null)}`).digest('hex')
    : undefined;

  const outboxIds: string[] = [];
  const run = (tx: Queryable) => {
    const context: RouteContext<ApiRoute> = {
      actor,
      requestId,
      params: params as never,
      query: query as never,
      body: body as never,
      ifMatch,
      tx,
      deps,
      audit: (auditEvent) => recordAuditEvent(tx, { ...auditEvent, actor }),
      notify: async (message) => {
        outboxIds.push(await writeOutbox(tx, message));
      },
      auditAndNotify: async (auditEvent, message) => {
        outboxIds.push(await writeOutboxWithAudit(tx, { ...auditEvent, actor }, message));
      },
    };
    return handler(context);
  };

  let response: APIGatewayProxyResult;
  let replayed = false;
  try {
    response = await withActor(
      deps.db,
      actor,
      async (tx) => {
        if (!idempotencyKey || !requestHash) return run(tx);
        const previous = await findIdempotent(tx, deps, actor, idempotencyKey, route.id, requestHash);
        if (previous) {
          replayed = true;
          return previous;
        }
        if (refusalUnlessReplayed) throw refusalUnlessReplayed;
        const fresh = await run(tx);
        await storeIdempotent(tx, deps, actor, idempotencyKey, route.id, requestHash, fresh, route.successStatus);
        return fresh;
      },
      { requestId, readOnly: route.method === 'GET' && !('auditedRead' in route && route.auditedRead), requireActiveUser: true },
      // The answer is serialised while COMMIT travels, and sent only once it succeeded.
      (result) => respond(result, route, replayed),
    );
  } catch (error) {
    if (error instanceof RefusalToExplain) throw await explainRefusal(error, deps, actor, requestId);
    if (!(error instanceof IdempotencyRace) || !idempotencyKey || !requestHash) throw error;
    // A concurrent request with the same key committed first: answer what it answered.
    const winner = await withActor(deps.db, actor, (tx) => findIdempotent(tx, deps, actor, idempotencyKey, route.id, requestHash), {
      requestId,
      readOnly: true,
    });
    if (!winner) throw error;
    response = respond(winner, route, true);
    outboxIds.length = 0;
  }

  if (outboxIds.length > 0) {
    // Best effort by design: the relay sweeps anything not handed over (PRODUCT.md §6).
    await deps.outbox.publish(outboxIds).catch((error: unknown) => {
      logger.warn('outbox hand-off failed; relay will deliver', { outboxIds, errorName: (error as Error)?.name });
    });
  }
  return response;
}

/**
 * The request body, validated. With an Idempotency-Key, a body refused only because a time it
 * names is now past may be the retry of a request that was committed: it is parsed without that
 * rule so its stored answer can be found, and the refusal stands only when there is none.
 */
function parseBody(event: APIGatewayProxyEvent, route: ApiRoute, idempotencyKey: string | undefined): { body: unknown;
  refusalUnlessReplayed?: unknown } {
  if (event.httpMethod === 'GET') return { body: undefined };
  const schema = 'body' in route ? route.body : undefined;
  try {
    return { body: parseJsonBody(event, schema) };
  } catch (refusal) {
    if (!idempotencyKey) throw refusal;
    try {
      return { body: parsedEvenIfPast(() => parseJsonBody(event, schema)), refusalUnlessReplayed: refusal };
    } catch {
      throw refusal;
    }
  }
}

/** The problem a refusal's explanation gives, read after the rollback; the plain refusal if reading fails. */
async function explainRefusal(error: RefusalToExplain, deps: ApiDependencies, actor: Actor, requestId: string): Promise<unknown> {
  try {
    return await withActor(deps.db, actor, error.explain, { requestId, readOnly: true });
  } catch (failure) {
    logger.warn('could not explain a refusal; answering it plainly', { errorName: (failure as Error)?.name });
    return error.refusal;
  }
}

/** What an idempotency record stores: the answer, or the answer sealed with the rider's data key. */
type StoredBody = { body: unknown; version?: number } | { sealed: string; facilityId: string; riderId: string };

const sealContext = (actor: Actor, key: string, routeId: string) => `idempotency|${actor.sub}|${key}|${routeId}`;

async function findIdempotent(
  tx: Queryable,
  deps: ApiDependencies,
  actor: Actor,
  key: string,
  routeId: string,
  requestHash: string,
): Promise<StoredResponse | undefined> {
  const { rows } = await tx.query<{ route_id: string; request_hash: string; response_status: number; response_body: StoredBody }>(
    `SELECT route_id, request_hash, response_status, response_body FROM idempotency_keys
      WHERE actor_sub = $1 AND idempotency_key = $2`,
    [actor.sub, key],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.route_id !== routeId || row.request_hash !== requestHash) {
    throw Problems.unprocessable('idempotency-key-reused', 'This Idempotency-Key was already used for a different request.');
  }
  const stored = await unsealStored(tx, deps, row.response_body, sealContext(actor, key, routeId));
  return { status: row.response_status, body: stored.body, version: stored.version };
}

async function unsealStored(tx: Queryable, deps: ApiDependencies, stored: StoredBody, context: string): Promise<{ body: unknown; version?: number }> {
  if (!('sealed' in stored)) return stored;
  const { rows } = await tx.query<{ data_key: Buffer | null }>('SELECT data_key FROM riders WHERE facility_id = $1 AND id = $2',
    [stored.facilityId, stored.riderId]);
  const riderKey = rows[0] ? await deps.pii.openRiderKey(tx, stored.facilityId, stored.riderId, rows[0].data_key) : 'unreadable';
  const opened = deps.pii.openJson(riderKey, context, stored.sealed);
  if (opened.ok) return opened.value as { body: unknown; version?: number };
  if (opened.reason === 'erased') {
    throw Problems.conflict('rider-erased', 'The rider this request concerned has since been erased; its answer is gone with them.');
  }
  throw Problems.conflict('stored-answer-unreadable', 'The answer stored for this Idempotency-Key cannot be read; send a new key.');
}

async function storeIdempotent(
  tx: Queryable,
  deps: ApiDependencies,
  actor: Actor,
  key: string,
  routeId: string,
  requestHash: string,
  result: RouteResult,
  successStatus: number,
): Promise<void> {
  const body = bodyOf(result);
  result.body = body;
  const facilityId = 'facilityId' in actor ? actor.facilityId : ((body as { facilityId?: string } | undefined)?.facilityId ?? null);
  const answer = { body: body ?? null, version: result.version };
  const stored: StoredBody = result.sealWith
    ? { sealed: deps.pii.sealJson(result.sealWith, sealContext(actor, key, routeId), answer), facilityId: result.sealWith.facilityId,
      riderId: result.sealWith.riderId }
    : answer;
  try {
    await tx.query(
      `INSERT INTO idempotency_keys (actor_sub, idempotency_key, facility_id, route_id, request_hash, response_status, response_body)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
      [actor.sub, key, facilityId, routeId, requestHash, result.status ?? successStatus, JSON.stringify(stored)],
    );
  } catch (error) {
    if (error instanceof DatabaseError && error.code === SqlState.uniqueViolation) throw new IdempotencyRace();
    throw error;
  }
}

function respond(result: RouteResult | StoredResponse, route: ApiRoute, replayed: boolean): APIGatewayProxyResult {
  const headers: Record<string, string> = { ...('headers' in result ? result.headers : {}) };
  if (replayed) headers['Idempotent-Replayed'] = 'true';
  if (result.version !== undefined) headers.ETag = etagFor(result.version);
  if ('text' in result && result.text) {
    return { statusCode: route.successStatus, headers: { ...headers, 'Content-Type': result.text.contentType }, body: result.text.body };
  }
  const status = result.status ?? route.successStatus;
  if (status === 204) return { statusCode: 204, headers, body: '' };
  return { statusCode: status, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(bodyOf(result) ?? null) };
}
