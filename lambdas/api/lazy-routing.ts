import { onFirstUse } from '../shared/on-first-use';
import type { HandlerTable } from './handler-types';
import type { Route } from './routes';
import { bind, type RouteBinding, type Routing } from './routing';

/**
 * The Lambdas' routing: a request loads its route group (route-table/, by the first segment of
 * the path after /v1) and the handlers of that group, on first use, and nothing of the others. A
 * cold start then builds neither the schemas nor the handler code of the routes it was not asked
 * for (docs/performance.md, P1); with the bundle split, each group is a file Node reads only
 * then. test/api/lazy-routing.test.ts proves it finds exactly what the whole table finds.
 */
interface LoadedGroup {
  readonly routes: readonly Route[];
  readonly handlers: Partial<HandlerTable>;
}

function group(routes: () => Promise<readonly Route[]>, ...handlers: (() => Promise<Partial<HandlerTable>>)[]) {
  return onFirstUse(async (): Promise<LoadedGroup> => {
    const [declared, ...tables] = await Promise.all([routes(), ...handlers.map((load) => load())]);
    return { routes: declared, handlers: Object.assign({}, ...tables) as Partial<HandlerTable> };
  });
}

const account = () => import('./handlers/account').then((module) => module.accountHandlers);
const cancellations = () => import('./handlers/cancellations').then((module) => module.cancellationHandlers);
const directory = () => import('./handlers/directory').then((module) => module.directoryHandlers);

export const ROUTE_GROUPS: Readonly<Record<string, () => Promise<LoadedGroup>>> = {
  me: group(() => import('./route-table/me').then((module) => module.meRoutes), account),
  'trip-requests': group(() => import('./route-table/trip-requests').then((module) => module.tripRequestRoutes),
    () => import('./handlers/trip-requests').then((module) => module.tripRequestHandlers), cancellations),
  'standing-orders': group(() => import('./route-table/standing-orders').then((module) => module.standingOrderRoutes),
    () => import('./handlers/standing-orders').then((module) => module.standingOrderHandlers)),
  'cancellation-requests': group(() => import('./route-table/cancellation-requests').then((module) => module.cancellationRoutes),
    cancellations),
  legs: group(() => import('./route-table/legs').then((module) => module.legRoutes),
    () => import('./handlers/legs').then((module) => module.legHandlers)),
  vehicles: group(() => import('./route-table/vehicles').then((module) => module.vehicleRoutes),
    () => import('./handlers/vehicles').then((module) => module.vehicleHandlers)),
  'billing-records': group(() => import('./route-table/billing-records').then((module) => module.billingRecordRoutes),
    () => import('./handlers/billing').then((module) => module.billingHandlers)),
  'billing-codes': group(() => import('./route-table/billing-codes').then((module) => module.billingCodeRoutes),
    () => import('./handlers/billing-codes').then((module) => module.billingCodeHandlers)),
  facilities: group(() => import('./route-table/facilities').then((module) => module.facilityRoutes), directory),
  contacts: group(() => import('./route-table/contacts').then((module) => module.contactRoutes),
    () => import('./handlers/contacts').then((module) => module.contactHandlers)),
  riders: group(() => import('./route-table/riders').then((module) => module.riderRoutes), directory,
    () => import('./handlers/rider-rights').then((module) => module.riderRightsHandlers),
    () => import('./handlers/rider-merge').then((module) => module.riderMergeHandlers)),
  users: group(() => import('./route-table/users').then((module) => module.userRoutes), directory,
    () => import('./handlers/user-role').then((module) => module.userRoleHandlers)),
  audit: group(() => import('./route-table/audit').then((module) => module.auditRoutes), account),
};

/** The group a path belongs to: its first segment after the version (`/v1/legs/{legId}` → `legs`). */
export function routeGroupOf(path: string): string | undefined {
  return /^\/v1\/([a-z-]+)(?:\/|$)/.exec(path)?.[1];
}

export function lazyRouting(): Routing {
  return async (method, resource): Promise<RouteBinding | undefined> => {
    const name = routeGroupOf(resource);
    const load = name !== undefined && Object.hasOwn(ROUTE_GROUPS, name) ? ROUTE_GROUPS[name] : undefined;
    if (!load) return undefined;
    const loaded = await load();
    const route = loaded.routes.find((candidate) => candidate.method === method && candidate.path === resource);
    return route && bind(route, loaded.handlers);
  };
}
