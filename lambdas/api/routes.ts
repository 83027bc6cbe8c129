import type { z } from 'zod';
import { intakeRoutes } from './intake-routes';
import { auditRoutes } from './route-table/audit';
import { billingCodeRoutes } from './route-table/billing-codes';
import { billingRecordRoutes } from './route-table/billing-records';
import { cancellationRoutes } from './route-table/cancellation-requests';
import { contactRoutes } from './route-table/contacts';
import { facilityRoutes } from './route-table/facilities';
import { legRoutes } from './route-table/legs';
import { meRoutes } from './route-table/me';
import { riderRoutes } from './route-table/riders';
import { standingOrderRoutes } from './route-table/standing-orders';
import { tripRequestRoutes } from './route-table/trip-requests';
import { userRoutes } from './route-table/users';
import { vehicleRoutes } from './route-table/vehicles';

/**
 * The route table (PRODUCT.md §3). Every consumer — the Lambda router, `npm run openapi`, the
 * authorization-matrix test and the CDK API construct — reads these declarations. They are
 * declared in groups by the first segment of their path (route-table/), so a Lambda can load the
 * group a request needs and no other (lazy-routing.ts); this is all of them, for everyone else.
 */
export const routes = [
  ...meRoutes,
  ...tripRequestRoutes,
  ...standingOrderRoutes,
  ...cancellationRoutes,
  ...legRoutes,
  ...vehicleRoutes,
  ...billingRecordRoutes,
  ...billingCodeRoutes,
  ...facilityRoutes,
  ...contactRoutes,
  ...riderRoutes,
  ...userRoutes,
  ...auditRoutes,
  // Public intake: its own Lambda and database role, write-only (declared in intake-routes.ts).
  ...intakeRoutes,
] as const;

export type Route = (typeof routes)[number];
export type RouteId = Route['id'];
export type RouteById<Id extends RouteId> = Extract<Route, { id: Id }>;

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;
export type RouteParams<R> = R extends { params: infer S } ? Infer<S> : Record<string, never>;
export type RouteQuery<R> = R extends { query: infer S } ? Infer<S> : Record<string, never>;
export type RouteBody<R> = R extends { body: infer S } ? Infer<S> : undefined;
