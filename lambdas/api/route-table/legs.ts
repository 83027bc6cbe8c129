import { api, LEG_READERS } from './access';
import { page } from '../schemas/common';
import { AssignmentBody, CompletionBody, Leg, LegListQuery, LegParams, LegStatusEventBody, LegUpdate } from '../schemas/trips';
import { route } from '../route-types';

/** The routes under /v1/legs (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const legRoutes = [
  route({ ...api, id: 'legs.list', method: 'GET', path: '/v1/legs', summary: 'List legs by pickup time (scoped per role)',
    roles: LEG_READERS, query: LegListQuery, response: page(Leg), successStatus: 200 }),
  route({ ...api, id: 'legs.get', method: 'GET', path: '/v1/legs/{legId}', summary: 'Read a leg (fields per role)',
    roles: LEG_READERS, params: LegParams, response: Leg, successStatus: 200 }),
  route({ ...api, id: 'legs.update', method: 'PATCH', path: '/v1/legs/{legId}', summary: 'Set times or addresses (e.g. a will-call return)',
    roles: ['Dispatcher'], params: LegParams, body: LegUpdate, response: Leg, successStatus: 200, conditional: true }),
  route({ ...api, id: 'legs.assign', method: 'PUT', path: '/v1/legs/{legId}/assignment', summary: 'Assign a driver and a vehicle',
    roles: ['Dispatcher'], params: LegParams, body: AssignmentBody, response: Leg, successStatus: 200, conditional: true }),
  route({ ...api, id: 'legs.unassign', method: 'DELETE', path: '/v1/legs/{legId}/assignment', summary: 'Unassign the driver and the vehicle',
    roles: ['Dispatcher'], params: LegParams, response: Leg, successStatus: 200, conditional: true }),
  route({ ...api, id: 'legs.recordStatus', method: 'POST', path: '/v1/legs/{legId}/status-events',
    summary: 'Record en route, arrived, picked up or no-show', roles: ['Dispatcher', 'Driver'], params: LegParams,
    body: LegStatusEventBody, response: Leg, successStatus: 200, conditional: true, idempotent: true }),
  route({ ...api, id: 'legs.complete', method: 'POST', path: '/v1/legs/{legId}/completion',
    summary: 'Submit completion: actual times, odometer, notes', roles: ['Driver'], params: LegParams,
    body: CompletionBody, response: Leg, successStatus: 200, conditional: true, idempotent: true }),
] as const;
