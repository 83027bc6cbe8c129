import type { ApiRoute, ApiRouteId, HandlerTable, RouteHandler } from './handler-types';
import type { Route } from './routes';

/** A request's declared route and the handler bound to it (none for routes another road serves). */
export interface RouteBinding {
  readonly route: Route;
  readonly handler: RouteHandler<ApiRoute> | undefined;
}

/** A route with its handler from a table of them: the intake's routes have none here (their own road). */
export function bind(route: Route, handlers: Partial<HandlerTable>): RouteBinding {
  const handler = route.function === 'intake' ? undefined : handlers[route.id as ApiRouteId];
  return { route, handler: handler as RouteHandler<ApiRoute> | undefined };
}

/**
 * How the road finds a request's route and handler from API Gateway's method and resource: from
 * the whole table in the tests and the local stack (router.ts, `routingWith`), one group at a time
 * in the Lambdas (lazy-routing.ts). Undefined when the table has no such route.
 */
export type Routing = (method: string, resource: string) => Promise<RouteBinding | undefined>;
