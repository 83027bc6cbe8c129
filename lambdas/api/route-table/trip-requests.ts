import { api, TRIP_READERS, TRIP_WRITERS } from './access';
import { page } from '../schemas/common';
import { CancelBody, CancellationRequest, CancellationRequestCreate, RejectBody, ScheduleBody, TripHistory, TripRequest, TripRequestCreate, TripRequestListQuery, TripRequestParams, TripRequestUpdate } from '../schemas/trips';
import { route } from '../route-types';

/** The routes under /v1/trip-requests (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const tripRequestRoutes = [
  route({ ...api, id: 'tripRequests.create', method: 'POST', path: '/v1/trip-requests', summary: 'Create a trip request',
    roles: TRIP_WRITERS, body: TripRequestCreate, response: TripRequest, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'tripRequests.list', method: 'GET', path: '/v1/trip-requests', summary: 'List trip requests, newest first',
    roles: TRIP_READERS, query: TripRequestListQuery, response: page(TripRequest), successStatus: 200 }),
  route({ ...api, id: 'tripRequests.get', method: 'GET', path: '/v1/trip-requests/{tripRequestId}', summary: 'Read a trip request',
    roles: TRIP_READERS, params: TripRequestParams, response: TripRequest, successStatus: 200 }),
  route({ ...api, id: 'tripRequests.update', method: 'PATCH', path: '/v1/trip-requests/{tripRequestId}',
    summary: 'Edit a trip request before it is scheduled', roles: TRIP_WRITERS, params: TripRequestParams,
    body: TripRequestUpdate, response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.schedule', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/schedule',
    summary: 'Schedule: create the legs with their times', roles: ['Dispatcher'], params: TripRequestParams,
    body: ScheduleBody, response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.reject', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/reject',
    summary: 'Reject a requested trip', roles: ['Dispatcher'], params: TripRequestParams, body: RejectBody,
    response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.cancel', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/cancel',
    summary: 'Cancel a trip directly (dispatcher)', roles: ['Dispatcher'], params: TripRequestParams, body: CancelBody,
    response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.history', method: 'GET', path: '/v1/trip-requests/{tripRequestId}/history',
    summary: "A trip's audited history", roles: TRIP_READERS, params: TripRequestParams, response: TripHistory,
    successStatus: 200 }),
  // A cancellation request is made on its trip; deciding it is under /v1/cancellation-requests.
  route({ ...api, id: 'cancellations.create', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/cancellation-requests',
    summary: 'Ask for a trip to be cancelled', roles: TRIP_WRITERS, params: TripRequestParams,
    body: CancellationRequestCreate, response: CancellationRequest, successStatus: 201, idempotent: true }),
] as const;
