import { api, TRIP_READERS, TRIP_WRITERS } from './access';
import { NoBody, page } from '../schemas/common';
import { StandingOrder, StandingOrderAcceptBody, StandingOrderChanged, StandingOrderCreate, StandingOrderListQuery, StandingOrderParams, StandingOrderPreview, StandingOrderPreviewQuery, StandingOrderSkipBody, StandingOrderUpdate } from '../schemas/standing-orders';
import { RejectBody } from '../schemas/trips';
import { route } from '../route-types';

/** The routes under /v1/standing-orders (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const standingOrderRoutes = [
  // Recurring trips: facility roles for their own series, Dispatchers for any; only Dispatchers accept or reject.
  route({ ...api, id: 'standingOrders.create', method: 'POST', path: '/v1/standing-orders',
    summary: 'Ask for a standing order (recurring trips); it starts pending', roles: TRIP_WRITERS, body: StandingOrderCreate,
    response: StandingOrder, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'standingOrders.list', method: 'GET', path: '/v1/standing-orders', summary: 'List standing orders, newest first',
    roles: TRIP_READERS, query: StandingOrderListQuery, response: page(StandingOrder), successStatus: 200 }),
  route({ ...api, id: 'standingOrders.get', method: 'GET', path: '/v1/standing-orders/{standingOrderId}',
    summary: 'Read a standing order', roles: TRIP_READERS, params: StandingOrderParams, response: StandingOrder, successStatus: 200 }),
  route({ ...api, id: 'standingOrders.update', method: 'PATCH', path: '/v1/standing-orders/{standingOrderId}',
    summary: 'Edit a standing order: future trips nobody has touched follow; the answer lists those left alone',
    roles: TRIP_WRITERS, params: StandingOrderParams, body: StandingOrderUpdate, response: StandingOrderChanged, successStatus: 200,
    conditional: true }),
  route({ ...api, id: 'standingOrders.accept', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/accept',
    summary: 'Accept (optionally adjusting its times): its trips are made for the horizon', roles: ['Dispatcher'],
    params: StandingOrderParams, body: StandingOrderAcceptBody, response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.reject', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/reject',
    summary: 'Reject a pending standing order with a reason', roles: ['Dispatcher'], params: StandingOrderParams, body: RejectBody,
    response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.pause', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/pause',
    summary: 'Pause: future trips nobody has touched are cancelled; the answer lists those left alone', roles: TRIP_WRITERS,
    params: StandingOrderParams, body: NoBody, response: StandingOrderChanged, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.resume', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/resume',
    summary: 'Resume a paused standing order: its trips are made again', roles: TRIP_WRITERS, params: StandingOrderParams,
    body: NoBody, response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.skip', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/skips',
    summary: "Skip one day: its trip is cancelled (the rider told) and the day excluded", roles: TRIP_WRITERS,
    params: StandingOrderParams, body: StandingOrderSkipBody, response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.end', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/end',
    summary: 'End for good: future trips nobody has touched are cancelled; the answer lists those left alone', roles: TRIP_WRITERS,
    params: StandingOrderParams, body: NoBody, response: StandingOrderChanged, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.preview', method: 'GET', path: '/v1/standing-orders/{standingOrderId}/preview',
    summary: 'The next occurrences (dates and times), computed; nothing is written', roles: TRIP_READERS,
    params: StandingOrderParams, query: StandingOrderPreviewQuery, response: StandingOrderPreview, successStatus: 200 }),
] as const;
