import { api, TRIP_WRITERS } from './access';
import { page } from '../schemas/common';
import { CancellationDecisionBody, CancellationDenyBody, CancellationListQuery, CancellationParams, CancellationRequest } from '../schemas/trips';
import { route } from '../route-types';

/** The routes under /v1/cancellation-requests (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const cancellationRoutes = [
  route({ ...api, id: 'cancellations.list', method: 'GET', path: '/v1/cancellation-requests',
    summary: 'List cancellation requests', roles: TRIP_WRITERS, query: CancellationListQuery,
    response: page(CancellationRequest), successStatus: 200 }),
  route({ ...api, id: 'cancellations.approve', method: 'POST', path: '/v1/cancellation-requests/{cancellationRequestId}/approve',
    summary: "Approve: cancels the trip and its open legs", roles: ['Dispatcher'], params: CancellationParams,
    body: CancellationDecisionBody, response: CancellationRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'cancellations.deny', method: 'POST', path: '/v1/cancellation-requests/{cancellationRequestId}/deny',
    summary: 'Deny with a reason', roles: ['Dispatcher'], params: CancellationParams, body: CancellationDenyBody,
    response: CancellationRequest, successStatus: 200, conditional: true }),
] as const;
