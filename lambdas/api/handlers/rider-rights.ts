import { isFinal, type TripRequestStatus, tripRequestLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import { CANCELLATION_COLUMNS, type CancellationRequestRow, toCancellationRequest } from '../data/cancellation-requests';
import { LEG_COLUMNS, type LegRow, openLegs, toDispatcherLeg } from '../data/legs';
import { eraseRider, findRider, openRider, openRiderWith, toRider } from '../data/riders';
import { openTripRequests, TRIP_REQUEST_COLUMNS, type TripRequestRow, toTripRequest } from '../data/trip-requests';
import type { HandlerTable } from '../handler-types';
import type { Queryable } from '../../shared/db/port';
import type { Actor } from '../../shared/tenancy/actor';
import { assertVersion, found, scopeToActor, Where } from './support';

type RiderRightsHandlers = Pick<HandlerTable, 'riders.erase' | 'riders.export'>;

/** Trips still to be carried out (not in a final state): they need the rider's details. */
const OPEN_TRIP_STATES = (Object.keys(tripRequestLifecycle.transitions) as TripRequestStatus[])
  .filter((state) => !isFinal(tripRequestLifecycle, state));

/** Rows per list in one export; a rider with more is told `truncated` (a Lambda answer is at most 6 MB). */
const EXPORT_LIMIT = 1000;

interface OutboxRow {
  id: string;
  trip_request_id: string | null;
  event_type: string;
  status: 'pending' | 'sent' | 'skipped' | 'failed';
  channel: 'sms' | 'email' | null;
  payload: Record<string, unknown>;
  created_at: string;
  sent_at: string | null;
}

/**
 * A private-pay rider can be found by the public intake; while an intake for their phone is in
 * flight it holds this lock, so the erasure waits and then sees the trip it recorded (schema/0013).
 * Taken before the rider row is locked, in the order the intake takes them.
 */
async function takeIntakeLock(tx: Queryable, actor: Actor, riderId: string): Promise<void> {
  const where = scopeToActor(new Where(), actor).add('id = ?', riderId).add('intake_phone_index IS NOT NULL');
  await tx.query(`SELECT intake_lock(intake_phone_index) FROM riders ${where.sql()}`, where.values as never);
}

/**
 * A rider's data-subject rights (docs/security/encryption.md). Dispatchers act for any tenant,
 * facility admins for their own (the scoped lookup answers 404 for anyone else's rider).
 */
export const riderRightsHandlers: RiderRightsHandlers = {
  /**
   * Crypto-shredding in one audited transaction: the rider's data key and every sealed field and
   * blind index go, the rider is marked erased. Trips, legs, billing records and audit events stay
   * (the provider must keep them); their notes were sealed with the destroyed key. Erasing an
   * erased rider changes nothing and answers the same, without a second audit event.
   */
  'riders.erase': async ({ actor, params, ifMatch, tx, audit, deps }) => {
    await takeIntakeLock(tx, actor, params.riderId);
    const rider = found(await findRider(tx, actor, params.riderId, { forUpdate: true }), 'rider');
    if (rider.erased_at !== null) return { body: toRider(openRiderWith(deps.pii, rider, 'erased')), version: rider.version };
    assertVersion(ifMatch, rider.version);
    const { rows } = await tx.query<{ open: number }>(
      `SELECT count(*)::int AS open FROM trip_requests
        WHERE facility_id = $1 AND rider_id = $2 AND status = ANY($3::text[])`,
      [rider.facility_id, rider.id, `{${OPEN_TRIP_STATES.join(',')}}`],
    );
    if ((rows[0]?.open ?? 0) > 0) {
      throw Problems.conflict('rider-has-open-trips',
        "The rider has trips still to be carried out, which need the rider's details: cancel or finish them first.");
    }
    const erased = found(await eraseRider(tx, rider), 'rider');
    await audit({ facilityId: rider.facility_id, entityType: 'rider', entityId: rider.id, action: 'rider.erased',
      fromState: 'active', toState: 'erased' });
    return { body: toRider(openRiderWith(deps.pii, erased, 'erased')), version: erased.version };
  },

  /** Everything held about the rider, opened with the rider's key (erased fields are marked), audited. */
  'riders.export': async ({ actor, params, tx, audit, deps }) => {
    const rider = found(await findRider(tx, actor, params.riderId), 'rider');
    const { view, key } = await openRider(deps.pii, tx, rider);
    const ofRider = [rider.facility_id, rider.id, EXPORT_LIMIT + 1];
    const trips = (await tx.query<TripRequestRow>(
      `SELECT ${TRIP_REQUEST_COLUMNS} FROM trip_requests WHERE facility_id = $1 AND rider_id = $2
        ORDER BY created_at, id LIMIT $3`, ofRider)).rows;
    const legs = (await tx.query<LegRow>(
      `SELECT ${LEG_COLUMNS} FROM trip_legs WHERE facility_id = $1 AND rider_id = $2
        ORDER BY created_at, id LIMIT $3`, ofRider)).rows;
    const cancellations = (await tx.query<CancellationRequestRow>(
      `SELECT ${CANCELLATION_COLUMNS} FROM cancellation_requests c WHERE c.facility_id = $1 AND EXISTS (
         SELECT 1 FROM trip_requests t WHERE t.facility_id = c.facility_id AND t.id = c.trip_request_id AND t.rider_id = $2)
        ORDER BY created_at, id LIMIT $3`, ofRider)).rows;
    const notifications = (await tx.query<OutboxRow>(
      `SELECT id, trip_request_id, event_type, status, channel, payload, created_at, sent_at FROM notification_outbox
        WHERE facility_id = $1 AND rider_id = $2 ORDER BY created_at, id LIMIT $3`, ofRider)).rows;
    const truncated = [trips, legs, cancellations, notifications].some((list) => list.length > EXPORT_LIMIT);
    const within = <T>(list: T[]) => list.slice(0, EXPORT_LIMIT);

    const body = {
      exportedAt: new Date().toISOString(),
      rider: toRider(view),
      tripRequests: (await openTripRequests(deps.pii, tx, actor, within(trips), key)).map((trip) => toTripRequest(trip, actor)),
      // The export is the rider's own data: the whole leg, whoever of the two roles produces it.
      legs: (await openLegs(deps.pii, tx, { role: 'Dispatcher', sub: actor.sub }, within(legs), key)).map(toDispatcherLeg),
      cancellationRequests: within(cancellations).map(toCancellationRequest),
      notifications: within(notifications).map((row) => ({
        id: row.id, tripRequestId: row.trip_request_id, event: row.event_type, status: row.status, channel: row.channel,
        fields: Object.fromEntries(Object.entries(row.payload).map(([name, value]) => [name, String(value)])),
        createdAt: row.created_at, sentAt: row.sent_at,
      })),
      truncated,
    };
    await audit({ facilityId: rider.facility_id, entityType: 'rider', entityId: rider.id, action: 'rider.exported',
      details: { tripRequests: body.tripRequests.length, legs: body.legs.length, notifications: body.notifications.length,
        truncated } });
    return { body };
  },
};
