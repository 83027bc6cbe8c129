import type { ApiRoute, RouteHandler } from './handler-types';
import type { Route } from './routes';

/** A request's declared route and the handler bound to it (none for routes another road serves). */
export interface RouteBinding {
  readonly route: Route;
  readonly handler: RouteHandler<ApiRoute> | RouteHandler<never> | undefined;
}

/**
 * How the road finds a request's route and handler from API Gateway's method and resource: from
 * the whole table in the tests and the local stack (router.ts, `routingWith`), one group at a time
 * in the Lambdas (lazy-routing.ts). Undefined when the table has no such route.
 */
export type Routing = (method: string, resource: string) => Promise<RouteBinding | undefined>;
