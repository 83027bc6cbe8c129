import type { z } from 'zod';
import type { Role } from '../shared/tenancy/actor';

/**
 * A route declared as data. The Lambda router, the OpenAPI generator, the authorization-matrix
 * test and the CDK API construct all read the same declarations, so this file and routes.ts
 * import nothing with runtime weight (no database driver, no SDK client).
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Which Lambda function serves the route: `api` every authenticated route but user management,
 * which `users` serves with the identity provider's admin rights the API function does not hold;
 * `intake` the public write-only entry.
 */
export type RouteFunction = 'api' | 'users' | 'intake';
/** The functions that serve authenticated routes through the one road (lambdas/api/app.ts). */
export type AuthenticatedFunction = Exclude<RouteFunction, 'intake'>;

export interface RouteDeclaration {
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/trip-requests/{tripRequestId}`. */
  readonly path: string;
  readonly summary: string;
  /** More than the summary, for the OpenAPI document (a public route's protocol, say). */
  readonly description?: string;
  readonly function: RouteFunction;
  /** `public` only for the intake; every other route needs a verified access token. */
  readonly access: 'authenticated' | 'public';
  /** Roles allowed to call; any other authenticated role answers 403. Empty for public routes. */
  readonly roles: readonly Role[];
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly response?: z.ZodType;
  readonly successStatus: 200 | 201 | 202 | 204;
  /** Creating POSTs accept an Idempotency-Key header. */
  readonly idempotent?: boolean;
  /** Mutations of versioned resources require If-Match. */
  readonly conditional?: boolean;
  /** If-Match must be sent (always for PATCH): for changes that cannot be undone. */
  readonly ifMatchRequired?: boolean;
  /** A read that records an audit event (a data export), so its transaction is read-write. */
  readonly auditedRead?: boolean;
  /** Content type of a successful answer; JSON unless stated. */
  readonly produces?: 'application/json' | 'text/csv';
}

/** Declares a route, keeping its literal types (the router, the handler table and the matrix read them). */
export function route<const R extends RouteDeclaration>(declaration: R): R {
  return declaration;
}
