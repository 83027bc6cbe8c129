import type { HandlerTable } from './handler-types';
import { type Route, routes } from './routes';
import { bind, type Routing } from './routing';

/**
 * Matches a concrete method and path to a declared route, as API Gateway does (static segments
 * win over `{params}`). The Lambda itself receives API Gateway's `resource` and looks routes up
 * by it; this matcher serves the local stack, which must produce the same event.
 */
export interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string>;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  staticCount: number;
}

const compiled: CompiledRoute[] = routes
  .map((route) => {
    const segments = route.path.split('/').filter(Boolean);
    return { route, segments, staticCount: segments.filter((s) => !s.startsWith('{')).length };
  })
  .sort((a, b) => b.staticCount - a.staticCount);

export function matchRoute(method: string, path: string): RouteMatch | 'method_not_allowed' | undefined {
  const parts = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  let pathMatched = false;
  for (const candidate of compiled) {
    if (candidate.segments.length !== parts.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = candidate.segments.every((segment, index) => {
      const part = parts[index] as string;
      if (segment.startsWith('{')) {
        const value = safeDecode(part);
        if (value === undefined) return false;
        pathParameters[segment.slice(1, -1)] = value;
        return true;
      }
      return segment === part;
    });
    if (!matches) continue;
    pathMatched = true;
    if (candidate.route.method === method) return { route: candidate.route, pathParameters };
  }
  return pathMatched ? 'method_not_allowed' : undefined;
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

const byResource = new Map<string, Route>(routes.map((route) => [`${route.method} ${route.path}`, route]));

export function routeForResource(method: string, resource: string): Route | undefined {
  return byResource.get(`${method} ${resource}`);
}

/** Routing over the whole table with every handler already loaded: the tests and the local stack. */
export function routingWith(handlers: HandlerTable): Routing {
  return async (method, resource) => {
    const route = routeForResource(method, resource);
    return route && bind(route, handlers);
  };
}
