import { tripRequestLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import { isFacilityActor } from '../../shared/tenancy/actor';
import { randomUUID } from 'node:crypto';
import type { RiderKey } from '../../shared/crypto/pii';
import {
  assertRiderBookable, clinicalNotesRef, listTripRequests, openTripRequest, prepareTripRequests, riderKeyForSealing,
  TRIP_REQUEST_COLUMNS, type TripRequestRow, findTripRequest, toTripRequest, updateTripRequest,
} from '../data/trip-requests';
import type { HandlerTable } from '../handler-types';
import { decodeOrderedCursor, openedPageOf } from './pagination';
import { assertTransition, assertVersion, found, tenantForCreate } from './support';
import { cancelTrip } from './trip-cancellation';
import { scheduleTrips } from '../../shared/trips/schedule';
import { contactOf } from '../data/contacts';

type TripHandlers = Pick<HandlerTable,
  'tripRequests.create' | 'tripRequests.list' | 'tripRequests.get' | 'tripRequests.update' | 'tripRequests.schedule' |
  'tripRequests.reject' | 'tripRequests.cancel' | 'tripRequests.history'>;

const MINUTE = 60_000;

export const tripRequestHandlers: TripHandlers = {
  'tripRequests.create': async ({ actor, body, tx, auditAndNotify, deps }) => {
    const facilityId = tenantForCreate(actor, body.facilityId);
    // The rider is checked inside the INSERT (one round trip fewer, docs/performance.md, P5); every
    // refusal still answers the rider's 404/409 before any other problem with the request.
    const refuse = async (problem?: Error): Promise<never> => {
      await assertRiderBookable(tx, facilityId, body.riderId);
      throw problem ?? Problems.notFound('rider');
    };
    if (body.contactId) {
      if (!(await contactOf(tx, facilityId, body.contactId))) await refuse(Problems.notFound('contact'));
    }
    if (body.returnTrip !== 'scheduled' && body.requestedReturnAt) {
      await refuse(Problems.validation([{ path: 'requestedReturnAt', message: 'Only for a scheduled return trip' }]));
    }
    const contactId = body.contactId ?? (isFacilityActor(actor) ? actor.contactId : undefined) ?? null;
    const id = randomUUID();
    const notes = body.clinicalNotes ?? null;
    // Sealing needs the rider's key before the INSERT; a missing rider must still answer 404, not
    // the key's 409.
    if (notes !== null) await assertRiderBookable(tx, facilityId, body.riderId);
    const riderKey: RiderKey | undefined = notes === null ? undefined : await riderKeyForSealing(deps.pii, tx, facilityId, body.riderId);
    // FOR SHARE: an erasure of this rider (FOR UPDATE) waits for this trip and then refuses, or
    // finishes first and this inserts nothing (then answered 409); an open trip never outlives its
    // rider's key.
    const { rows } = await tx.query<TripRequestRow>(
      `INSERT INTO trip_requests (facility_id, id, rider_id, source, submitted_by, contact_id, pickup_address, dropoff_address,
         appointment_at, requested_pickup_at, return_trip, requested_return_at, mobility, oxygen, companions, clinical_notes_enc)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13, riders.mobility), $15, $16, $14
         FROM riders WHERE riders.facility_id = $1 AND riders.id = $3 AND riders.erased_at IS NULL FOR SHARE
       RETURNING ${TRIP_REQUEST_COLUMNS}`,
      [facilityId, id, body.riderId, isFacilityActor(actor) ? 'facility' : 'dispatcher', actor.sub, contactId, body.pickupAddress,
        body.dropoffAddress, body.appointmentAt, body.requestedPickupAt ?? null, body.returnTrip,
        body.requestedReturnAt ?? null, body.mobility ?? null,
        riderKey ? deps.pii.sealField(riderKey, clinicalNotesRef({ id, facility_id: facilityId }), notes) : null,
        body.oxygen, body.companions],
    );
    const trip = rows[0] ?? await refuse();
    await auditAndNotify(
      { facilityId, tripRequestId: trip.id, entityType: 'trip_request', entityId: trip.id,
        action: 'trip_request.created', toState: 'requested', details: { riderId: trip.rider_id } },
      { facilityId, riderId: trip.rider_id, tripRequestId: trip.id, event: 'request_received',
        fields: { referenceCode: trip.reference_code, appointmentAt: trip.appointment_at } },
    );
    const view = { ...trip, clinical_notes: notes, unavailable: {} };
    return { body: toTripRequest(view, actor), version: trip.version, ...(riderKey ? { sealWith: riderKey } : {}) };
  },

  'tripRequests.list': async ({ actor, query, tx, deps }) => {
    if (isFacilityActor(actor) && query.facilityId) {
      throw Problems.invalidParameters([{ path: 'facilityId', message: 'Your facility comes from your account' }]);
    }
    // Billing never reads riders (every rider route refuses it): asking for them is refused alike.
    if (query.include === 'rider' && actor.role === 'Billing') throw Problems.forbidden('Your role may not read riders.');
    const rows = await listTripRequests(tx, actor, {
      ...query, includeRider: query.include === 'rider',
      ...(query.appointmentDate ? { appointmentDay: { date: query.appointmentDate, timeZone: deps.settings.timeZone } } : {}),
    },
      { after: decodeOrderedCursor(query.cursor, query.order), limit: query.limit, order: query.order });
    return {
      body: await openedPageOf(rows, query.limit, (items) => prepareTripRequests(deps.pii, tx, actor, items),
        (view) => toTripRequest(view, actor), (view) => [view.cursor_at, view.id, query.order]),
    };
  },

  'tripRequests.get': async ({ actor, params, tx, deps }) => {
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId), 'trip request');
    return { body: toTripRequest(await openTripRequest(deps.pii, tx, actor, trip), actor), version: trip.version };
  },

  'tripRequests.update': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId, { forUpdate: true }), 'trip request');
    assertVersion(ifMatch, trip.version);
    if (trip.status !== 'requested') {
      throw Problems.conflict('already-scheduled', 'A trip request can be edited only before it is scheduled.');
    }
    if (body.contactId) {
      found(await contactOf(tx, trip.facility_id, body.contactId), 'contact');
    }
    const changes = {
      ...(body.contactId !== undefined ? { contact_id: body.contactId } : {}),
      ...(body.pickupAddress !== undefined ? { pickup_address: body.pickupAddress } : {}),
      ...(body.dropoffAddress !== undefined ? { dropoff_address: body.dropoffAddress } : {}),
      ...(body.appointmentAt !== undefined ? { appointment_at: body.appointmentAt } : {}),
      ...(body.requestedPickupAt !== undefined ? { requested_pickup_at: body.requestedPickupAt } : {}),
      ...(body.returnTrip !== undefined ? { return_trip: body.returnTrip } : {}),
      ...(body.requestedReturnAt !== undefined ? { requested_return_at: body.requestedReturnAt } : {}),
      ...(body.mobility !== undefined ? { mobility: body.mobility } : {}),
      ...(body.oxygen !== undefined ? { oxygen: body.oxygen } : {}),
      ...(body.companions !== undefined ? { companions: body.companions } : {}),
    };
    const notes = body.clinicalNotes;
    const riderKey = typeof notes === 'string' ? await riderKeyForSealing(deps.pii, tx, trip.facility_id, trip.rider_id) : undefined;
    const updated = found(await updateTripRequest(tx, trip, {
      ...changes,
      ...(notes === undefined ? {} : { clinical_notes_enc: riderKey ? deps.pii.sealField(riderKey, clinicalNotesRef(trip), notes) : null }),
    }), 'trip request');
    await audit({ facilityId: trip.facility_id, tripRequestId: trip.id, entityType: 'trip_request', entityId: trip.id,
      action: 'trip_request.updated', details: { fields: Object.keys(body).sort() } });
    return { body: toTripRequest(await openTripRequest(deps.pii, tx, actor, updated), actor), version: updated.version };
  },

  'tripRequests.schedule': async ({ actor, params, body, ifMatch, tx, notify, deps }) => {
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId, { forUpdate: true }), 'trip request');
    assertVersion(ifMatch, trip.version);
    assertTransition(tripRequestLifecycle, trip.status, 'scheduled', 'trip request');
    if (trip.return_trip === 'none' && body.return) {
      throw Problems.validation([{ path: 'return', message: 'This trip request has no return trip' }]);
    }
    if (trip.return_trip !== 'none' && !body.return) {
      throw Problems.validation([{ path: 'return', message: 'Schedule the return trip: times, or { "willCall": true }' }]);
    }
    const legs: { kind: 'outbound' | 'return'; willCall: boolean; pickupAt: string; dropoffAt: string; pickupAddress: string;
      dropoffAddress: string }[] = [
      { kind: 'outbound', willCall: false, pickupAt: body.outbound.pickupAt, dropoffAt: body.outbound.dropoffAt,
        pickupAddress: body.outbound.pickupAddress ?? trip.pickup_address,
        dropoffAddress: body.outbound.dropoffAddress ?? trip.dropoff_address },
    ];
    if (body.return) {
      const timed = 'pickupAt' in body.return ? body.return : undefined;
      legs.push({ kind: 'return', willCall: !timed, pickupAt: timed?.pickupAt as string, dropoffAt: timed?.dropoffAt as string,
        pickupAddress: timed?.pickupAddress ?? trip.dropoff_address, dropoffAddress: timed?.dropoffAddress ?? trip.pickup_address });
    }
    for (const [index, leg] of legs.entries()) {
      if (leg.pickupAt && Date.parse(leg.pickupAt) >= Date.parse(leg.dropoffAt)) {
        throw Problems.validation([{ path: `${index === 0 ? 'outbound' : 'return'}.dropoffAt`, message: 'Must be after pickupAt' }]);
      }
    }
    await scheduleTrips(tx, actor, [{ facilityId: trip.facility_id, id: trip.id, riderId: trip.rider_id, fromStatus: trip.status,
      legs: legs.map((leg) => ({ ...leg, pickupAt: leg.pickupAt ?? null, dropoffAt: leg.dropoffAt ?? null })) }]);
    const updated = found(await findTripRequest(tx, actor, trip.id), 'trip request');
    const windowStart = new Date(body.outbound.pickupAt);
    await notify({ facilityId: trip.facility_id, riderId: trip.rider_id, tripRequestId: trip.id, event: 'trip_scheduled',
      fields: { referenceCode: trip.reference_code, pickupWindowStart: windowStart.toISOString(),
        pickupWindowEnd: new Date(windowStart.getTime() + deps.settings.pickupWindowMinutes * MINUTE).toISOString() } });
    return { body: toTripRequest(await openTripRequest(deps.pii, tx, actor, updated), actor), version: updated.version };
  },

  'tripRequests.reject': async ({ actor, params, body, ifMatch, tx, audit, notify, deps }) => {
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId, { forUpdate: true }), 'trip request');
    assertVersion(ifMatch, trip.version);
    assertTransition(tripRequestLifecycle, trip.status, 'rejected', 'trip request');
    const updated = found(await updateTripRequest(tx, trip, { status: 'rejected', rejection_reason: body.reason }), 'trip request');
    await audit({ facilityId: trip.facility_id, tripRequestId: trip.id, entityType: 'trip_request', entityId: trip.id,
      action: 'trip_request.rejected', fromState: trip.status, toState: 'rejected' });
    await notify({ facilityId: trip.facility_id, riderId: trip.rider_id, tripRequestId: trip.id, event: 'request_rejected',
      fields: { referenceCode: trip.reference_code } });
    return { body: toTripRequest(await openTripRequest(deps.pii, tx, actor, updated), actor), version: updated.version };
  },

  'tripRequests.cancel': async (context) => {
    const { actor, params, body, ifMatch, tx, deps } = context;
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId, { forUpdate: true }), 'trip request');
    assertVersion(ifMatch, trip.version);
    const updated = await cancelTrip(context, trip, { reasonCode: body.reasonCode, decidedDirectly: true });
    return { body: toTripRequest(await openTripRequest(deps.pii, tx, actor, updated), actor), version: updated.version };
  },

  'tripRequests.history': async ({ actor, params, tx }) => {
    const trip = found(await findTripRequest(tx, actor, params.tripRequestId), 'trip request');
    const { rows } = await tx.query<{
      seq: string; occurred_at: string; actor_sub: string | null; actor_role: string; entity_type: string;
      entity_id: string; action: string; from_state: string | null; to_state: string | null; request_id: string | null;
    }>(
      `SELECT seq, occurred_at, actor_sub, actor_role, entity_type, entity_id, action, from_state, to_state, request_id
         FROM audit_events WHERE facility_id = $1 AND trip_request_id = $2 ORDER BY seq LIMIT 1000`,
      [trip.facility_id, trip.id],
    );
    return {
      body: {
        tripRequestId: trip.id,
        events: rows.map((row) => ({ seq: Number(row.seq), occurredAt: row.occurred_at, actorSub: row.actor_sub,
          actorRole: row.actor_role, entityType: row.entity_type, entityId: row.entity_id, action: row.action,
          fromState: row.from_state, toState: row.to_state, requestId: row.request_id })),
      },
    };
  },
};
