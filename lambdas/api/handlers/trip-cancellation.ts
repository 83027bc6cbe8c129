import { OPEN_LEG_STATES, tripRequestLifecycle } from '../../shared/domain/lifecycles';
import { type TripRequestRow, updateTripRequest } from '../data/trip-requests';
import type { ApiRoute, RouteContext } from '../handler-types';
import { assertTransition, found } from './support';

type CancelContext = Pick<RouteContext<ApiRoute>, 'tx' | 'actor' | 'audit' | 'notify'>;

/**
 * Cancels a trip and every leg still open (never a completed one), in the caller's transaction.
 * Used by a dispatcher's direct cancel and by an approved cancellation request. The trip moves
 * first, so the database's trip-follows-legs trigger sees a final trip and stays out of the way.
 */
export async function cancelTrip(
  { tx, actor, audit, notify }: CancelContext,
  trip: TripRequestRow,
  options: { reasonCode: string; decidedDirectly: boolean },
): Promise<TripRequestRow> {
  assertTransition(tripRequestLifecycle, trip.status, 'cancelled', 'trip request');
  const updated = found(await updateTripRequest(tx, trip, { status: 'cancelled' }), 'trip request');
  await audit({ facilityId: trip.facility_id, tripRequestId: trip.id, entityType: 'trip_request', entityId: trip.id,
    action: 'trip_request.cancelled', fromState: trip.status, toState: 'cancelled', details: { reasonCode: options.reasonCode } });

  const open = await tx.query<{ id: string; status: string }>(
    `SELECT id, status FROM trip_legs WHERE facility_id = $1 AND trip_request_id = $2 AND status = ANY($3::text[])
     ORDER BY kind FOR UPDATE`,
    [trip.facility_id, trip.id, `{${OPEN_LEG_STATES.join(',')}}`],
  );
  for (const leg of open.rows) {
    await tx.query(`UPDATE trip_legs SET status = 'cancelled' WHERE facility_id = $1 AND id = $2`, [trip.facility_id, leg.id]);
    await audit({ facilityId: trip.facility_id, tripRequestId: trip.id, entityType: 'trip_leg', entityId: leg.id,
      action: 'trip_leg.cancelled', fromState: leg.status, toState: 'cancelled' });
  }

  if (options.decidedDirectly) {
    const pending = await tx.query<{ id: string }>(
      `UPDATE cancellation_requests SET status = 'approved', decided_by = $3, decided_at = now(),
              decision_reason = 'Cancelled directly by dispatch'
        WHERE facility_id = $1 AND trip_request_id = $2 AND status = 'pending' RETURNING id`,
      [trip.facility_id, trip.id, actor.sub],
    );
    for (const request of pending.rows) {
      await audit({ facilityId: trip.facility_id, tripRequestId: trip.id, entityType: 'cancellation_request',
        entityId: request.id, action: 'cancellation_request.approved', fromState: 'pending', toState: 'approved' });
    }
  }

  await notify({ facilityId: trip.facility_id, riderId: trip.rider_id, tripRequestId: trip.id, event: 'cancellation_approved',
    fields: { referenceCode: trip.reference_code } });
  return updated;
}
