import { cancellationLifecycle, isFinal, tripRequestLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import {
  decideCancellationRequest, findCancellationRequest, findPendingCancellation, insertCancellationRequest, listCancellationRequests,
  toCancellationRequest,
} from '../data/cancellation-requests';
import { findTripRequest } from '../data/trip-requests';
import type { HandlerTable } from '../handler-types';
import { decodeCursor, pageOf } from './pagination';
import { assertTransition, assertVersion, found } from './support';
import { cancelTrip } from './trip-cancellation';

type CancellationHandlers = Pick<HandlerTable,
  'cancellations.create' | 'cancellations.list' | 'cancellations.approve' | 'cancellations.deny'>;

/**
 * Lock order everywhere a trip and its cancellation requests change together: the trip first,
 * then the request (as cancelTrip does), so a direct cancel and a decision cannot deadlock.
 */
export const cancellationHandlers: CancellationHandlers = {
  'cancellations.create': async ({ actor, params, body, tx, audit }) => {
    if (body.reasonCode === 'other' && !body.reasonText) {
      throw Problems.validation([{ path: 'reasonText', message: 'Required when reasonCode is other' }]);
    }
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId, { forUpdate: true }), 'trip request');
    if (isFinal(tripRequestLifecycle, trip.status)) {
      throw Problems.conflict('trip-final', `A ${trip.status} trip cannot be cancelled.`);
    }
    // The partial unique index is the real guard under concurrency (23505 → 409); this names the case.
    if (await findPendingCancellation(tx, trip.facility_id, trip.id)) {
      throw Problems.conflict('cancellation-pending', 'This trip already has a cancellation request waiting for a decision.');
    }
    const request = await insertCancellationRequest(tx, {
      facilityId: trip.facility_id, tripRequestId: trip.id, reasonCode: body.reasonCode,
      reasonText: body.reasonText ?? null, requestedBy: actor.sub,
    });
    await audit({ facilityId: trip.facility_id, tripRequestId: trip.id, entityType: 'cancellation_request', entityId: request.id,
      action: 'cancellation_request.requested', toState: 'pending', details: { reasonCode: request.reason_code } });
    return { body: toCancellationRequest(request), version: request.version };
  },

  'cancellations.list': async ({ actor, query, tx }) => {
    const rows = await listCancellationRequests(tx, actor, query, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toCancellationRequest, (row) => [row.cursor_at, row.id]) };
  },

  'cancellations.approve': async (context) => {
    const { actor, params, body, ifMatch, tx, audit } = context;
    const seen = found(await findCancellationRequest(tx, actor, params.cancellationRequestId), 'cancellation request');
    const trip = found(await findTripRequest(tx, actor, seen.trip_request_id, { forUpdate: true }), 'trip request');
    const request = found(await findCancellationRequest(tx, actor, seen.id, { forUpdate: true }), 'cancellation request');
    assertVersion(ifMatch, request.version);
    assertTransition(cancellationLifecycle, request.status, 'approved', 'cancellation request');
    const approved = found(await decideCancellationRequest(tx, request, {
      status: 'approved', decidedBy: actor.sub, reason: body.reason ?? null,
    }), 'cancellation request');
    await audit({ facilityId: request.facility_id, tripRequestId: trip.id, entityType: 'cancellation_request',
      entityId: request.id, action: 'cancellation_request.approved', fromState: request.status, toState: 'approved',
      details: { reasonCode: request.reason_code } });
    // Refuses (409) when the trip already reached a final state; the whole decision rolls back.
    await cancelTrip(context, trip, { reasonCode: request.reason_code, decidedDirectly: false });
    return { body: toCancellationRequest(approved), version: approved.version };
  },

  'cancellations.deny': async ({ actor, params, body, ifMatch, tx, audit, notify }) => {
    const request = found(
      await findCancellationRequest(tx, actor, params.cancellationRequestId, { forUpdate: true }), 'cancellation request',
    );
    assertVersion(ifMatch, request.version);
    assertTransition(cancellationLifecycle, request.status, 'denied', 'cancellation request');
    const trip = found(await findTripRequest(tx, actor, request.trip_request_id), 'trip request');
    const denied = found(await decideCancellationRequest(tx, request, { status: 'denied', decidedBy: actor.sub, reason: body.reason }), 'cancellation request');
    await audit({ facilityId: request.facility_id, tripRequestId: trip.id, entityType: 'cancellation_request',
      entityId: request.id, action: 'cancellation_request.denied', fromState: request.status, toState: 'denied' });
    await notify({ facilityId: trip.facility_id, riderId: trip.rider_id, tripRequestId: trip.id, event: 'cancellation_denied',
      fields: { referenceCode: trip.reference_code } });
    return { body: toCancellationRequest(denied), version: denied.version };
  },
};
