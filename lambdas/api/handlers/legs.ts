import { isFinal, legLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import type { Actor } from '../../shared/tenancy/actor';
import type { PiiCrypto } from '../../shared/crypto/pii';
import type { Queryable } from '../../shared/db/port';
import { completionNotesRef, enRouteNotice, findLeg, type LegRead, type LegRow, listLegs, openLegs, prepareLegs, toLeg, updateLeg } from '../data/legs';
import { riderKeyForSealing } from '../data/trip-requests';
import type { HandlerTable } from '../handler-types';
import { explainDoubleBooking } from './double-booking';
import { decodeCursor, openedPageOf } from './pagination';
import { assertTransition, assertVersion, found } from './support';
import { assertOdometerPlausible, vehicleFor } from './vehicle-fit';

type LegHandlers = Pick<HandlerTable,
  'legs.list' | 'legs.get' | 'legs.update' | 'legs.assign' | 'legs.unassign' | 'legs.recordStatus' | 'legs.complete'>;

/**
 * The leg after a change, still carrying the rider fields (and key) a driver's view was loaded with,
 * and the trip's facts (reference code, service level) that RETURNING cannot read for a driver.
 */
const merged = (before: LegRead, after: LegRow): LegRead => ({
  ...before,
  ...after,
  rider_data_key: after.rider_data_key ?? before.rider_data_key,
  reference_code: after.reference_code ?? before.reference_code,
  trip_service: after.trip_service ?? before.trip_service,
});

/** The window riders are told about, starting at the scheduled pickup time. */
function pickupWindow(leg: LegRow, minutes: number): { pickupWindowStart?: string; pickupWindowEnd?: string } {
  if (leg.scheduled_pickup_at === null) return {};
  const start = new Date(leg.scheduled_pickup_at);
  return { pickupWindowStart: start.toISOString(), pickupWindowEnd: new Date(start.getTime() + minutes * 60_000).toISOString() };
}

async function respond(pii: PiiCrypto, tx: Queryable, leg: LegRead, actor: Actor) {
  const [view] = await openLegs(pii, tx, actor, [leg]);
  if (!view) throw new Error('unreachable: one leg in, one view out');
  return { body: toLeg(view, actor), version: leg.version };
}

export const legHandlers: LegHandlers = {
  'legs.list': async ({ actor, query, tx, deps }) => {
    if (query.driverId && actor.role !== 'Dispatcher') {
      throw Problems.invalidParameters([{ path: 'driverId', message: 'Only dispatchers filter by driver' }]);
    }
    // A day and an explicit range would be two answers to one question: ask one.
    if (query.date && (query.from || query.to)) {
      throw Problems.invalidParameters([{ path: 'date', message: 'Use date, or from and to, not both' }]);
    }
    // Drivers already see their riders' name and phone; facility roles see status-only legs.
    if (query.include === 'rider' && actor.role !== 'Dispatcher') throw Problems.forbidden('Only dispatchers may include riders.');
    const filters = {
      ...query,
      ...(query.date ? { day: { date: query.date, timeZone: deps.settings.timeZone } } : {}),
      includeRider: query.include === 'rider',
    };
    const rows = await listLegs(tx, actor, filters, { after: decodeCursor(query.cursor), limit: query.limit });
    return {
      body: await openedPageOf(rows, query.limit, (page) => prepareLegs(deps.pii, tx, actor, page), (view) => toLeg(view, actor),
        (view) => [view.cursor_at, view.id]),
    };
  },

  'legs.get': async ({ actor, params, tx, deps }) => {
    return respond(deps.pii, tx, found(await findLeg(tx, actor, params.legId), 'leg'), actor);
  },

  'legs.update': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    const leg = found(await findLeg(tx, actor, params.legId, { forUpdate: true }), 'leg');
    assertVersion(ifMatch, leg.version);
    if (isFinal(legLifecycle, leg.status)) throw Problems.conflict('leg-final', `A ${leg.status} leg can no longer change.`);
    const pickupAt = body.scheduledPickupAt === undefined ? leg.scheduled_pickup_at : body.scheduledPickupAt;
    const dropoffAt = body.scheduledDropoffAt === undefined ? leg.scheduled_dropoff_at : body.scheduledDropoffAt;
    if ((pickupAt === null) !== (dropoffAt === null)) {
      const missing = pickupAt === null ? 'scheduledPickupAt' : 'scheduledDropoffAt';
      throw Problems.validation([{ path: missing, message: 'Set (or clear) pickup and drop-off times together' }]);
    }
    if (pickupAt === null && !leg.will_call) {
      throw Problems.validation([{ path: 'scheduledPickupAt', message: 'Only a will-call return may wait without a time' }]);
    }
    if (pickupAt !== null && dropoffAt !== null && Date.parse(pickupAt) >= Date.parse(dropoffAt)) {
      throw Problems.validation([{ path: 'scheduledDropoffAt', message: 'Must be after scheduledPickupAt' }]);
    }
    // The database refuses a window that overlaps another leg of the assigned driver (409, naming that leg).
    const booking = leg.driver_id !== null && pickupAt !== null && dropoffAt !== null
      ? { legId: leg.id, driverId: leg.driver_id, vehicleId: leg.vehicle_id, pickupAt, dropoffAt } : undefined;
    const updated = found(await updateLeg(tx, leg, {
      ...(body.scheduledPickupAt !== undefined ? { scheduled_pickup_at: body.scheduledPickupAt } : {}),
      ...(body.scheduledDropoffAt !== undefined ? { scheduled_dropoff_at: body.scheduledDropoffAt } : {}),
      ...(body.pickupAddress !== undefined ? { pickup_address: body.pickupAddress } : {}),
      ...(body.dropoffAddress !== undefined ? { dropoff_address: body.dropoffAddress } : {}),
    }).catch(explainDoubleBooking(actor, booking, deps.settings.timeZone)), 'leg');
    await audit({ facilityId: leg.facility_id, tripRequestId: leg.trip_request_id, entityType: 'trip_leg', entityId: leg.id,
      action: 'trip_leg.updated', details: { fields: Object.keys(body).sort(), timed: pickupAt !== null } });
    return respond(deps.pii, tx, merged(leg, updated), actor);
  },

  'legs.assign': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    const leg = found(await findLeg(tx, actor, params.legId, { forUpdate: true }), 'leg');
    assertVersion(ifMatch, leg.version);
    const reassigning = leg.status === 'assigned';
    // Without If-Match a PUT only fills an empty assignment, so of two dispatchers assigning the
    // same leg at once the second (it waited on the row lock) gets 409, not a silent overwrite.
    if (reassigning && ifMatch === undefined) {
      throw Problems.conflict('already-assigned', 'The leg already has a driver; send If-Match to reassign it.');
    }
    if (!reassigning) assertTransition(legLifecycle, leg.status, 'assigned', 'leg');
    if (reassigning && leg.driver_id === body.driverId && leg.vehicle_id === body.vehicleId) return respond(deps.pii, tx, leg, actor);
    const driver = await tx.query('SELECT 1 FROM users WHERE id = $1 AND role = $2 AND active', [body.driverId, 'Driver']);
    if (driver.rowCount === 0) {
      throw Problems.validation([{ path: 'driverId', message: 'Not an active driver' }]);
    }
    await vehicleFor(tx, leg, body.vehicleId);
    // The database refuses a driver or vehicle whose other legs overlap this window (409, naming that leg).
    const booking = leg.scheduled_pickup_at !== null && leg.scheduled_dropoff_at !== null
      ? { legId: leg.id, driverId: body.driverId, vehicleId: body.vehicleId, pickupAt: leg.scheduled_pickup_at,
        dropoffAt: leg.scheduled_dropoff_at } : undefined;
    const updated = found(await updateLeg(tx, leg, { status: 'assigned', driver_id: body.driverId, vehicle_id: body.vehicleId })
      .catch(explainDoubleBooking(actor, booking, deps.settings.timeZone)), 'leg');
    await audit({ facilityId: leg.facility_id, tripRequestId: leg.trip_request_id, entityType: 'trip_leg', entityId: leg.id,
      action: reassigning ? 'trip_leg.reassigned' : 'trip_leg.assigned', fromState: leg.status, toState: 'assigned',
      details: { driverId: body.driverId, vehicleId: body.vehicleId,
        ...(reassigning ? { previousDriverId: leg.driver_id, previousVehicleId: leg.vehicle_id } : {}) } });
    return respond(deps.pii, tx, merged(leg, updated), actor);
  },

  'legs.unassign': async ({ actor, params, ifMatch, tx, audit, deps }) => {
    const leg = found(await findLeg(tx, actor, params.legId, { forUpdate: true }), 'leg');
    assertVersion(ifMatch, leg.version);
    assertTransition(legLifecycle, leg.status, 'unassigned', 'leg');
    const updated = found(await updateLeg(tx, leg, { status: 'unassigned', driver_id: null, vehicle_id: null }), 'leg');
    await audit({ facilityId: leg.facility_id, tripRequestId: leg.trip_request_id, entityType: 'trip_leg', entityId: leg.id,
      action: 'trip_leg.unassigned', fromState: leg.status, toState: 'unassigned',
      details: { driverId: leg.driver_id, vehicleId: leg.vehicle_id } });
    return respond(deps.pii, tx, merged(leg, updated), actor);
  },

  'legs.recordStatus': async ({ actor, params, body, ifMatch, tx, audit, notify, deps }) => {
    // A driver's scope is their own assigned legs: another driver's leg is simply not found.
    const leg = found(await findLeg(tx, actor, params.legId, { forUpdate: true }), 'leg');
    assertVersion(ifMatch, leg.version);
    assertTransition(legLifecycle, leg.status, body.status, 'leg');
    // Audited before the update so the history reads cause first: the update's triggers then
    // record the trip moving along (in progress, completed) and the no-show's billing record.
    await audit({ facilityId: leg.facility_id, tripRequestId: leg.trip_request_id, entityType: 'trip_leg', entityId: leg.id,
      action: `trip_leg.${body.status}`, fromState: leg.status, toState: body.status, details: { driverId: leg.driver_id } });
    const updated = found(await updateLeg(tx, leg, {
      status: body.status,
      ...(body.status === 'no_show' ? { no_show_reason: body.reason } : {}),
    }), 'leg');
    if (body.status === 'en_route') {
      const notice = await enRouteNotice(tx, leg.id);
      if (notice) {
        await notify({ facilityId: notice.facility_id, riderId: notice.rider_id, tripRequestId: notice.trip_request_id,
          event: 'driver_en_route',
          fields: { referenceCode: notice.reference_code, ...pickupWindow(leg, deps.settings.pickupWindowMinutes) } });
      }
    }
    return respond(deps.pii, tx, merged(leg, updated), actor);
  },

  'legs.complete': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    const leg = found(await findLeg(tx, actor, params.legId, { forUpdate: true }), 'leg');
    assertVersion(ifMatch, leg.version);
    assertTransition(legLifecycle, leg.status, 'completed', 'leg');
    const errors: { path: string; message: string }[] = [];
    if (Date.parse(body.actualPickupAt) >= Date.parse(body.actualDropoffAt)) {
      errors.push({ path: 'actualDropoffAt', message: 'Must be after actualPickupAt' });
    }
    if (body.odometerStart >= body.odometerEnd) {
      errors.push({ path: 'odometerEnd', message: 'Must be greater than odometerStart' });
    }
    if (errors.length > 0) throw Problems.validation(errors);
    await assertOdometerPlausible(tx, leg, { start: body.odometerStart, end: body.odometerEnd }, deps.settings.maxOdometerJumpMiles);
    const notes = body.notes ?? null;
    // Sealed with the rider's key, so erasing the rider erases the notes too.
    const riderKey = notes === null ? undefined : await riderKeyForSealing(deps.pii, tx, leg.facility_id, leg.rider_id);
    await audit({ facilityId: leg.facility_id, tripRequestId: leg.trip_request_id, entityType: 'trip_leg', entityId: leg.id,
      action: 'trip_leg.completed', fromState: leg.status, toState: 'completed',
      details: { driverId: leg.driver_id, vehicleId: leg.vehicle_id } });
    // Mileage is derived by the database; its billing trigger creates the pending billing record
    // in this same transaction (and the trip completes once every leg has ended), and the vehicle's
    // odometer becomes this leg's end (schema/0022).
    const updated = found(await updateLeg(tx, leg, {
      status: 'completed',
      actual_pickup_at: body.actualPickupAt,
      actual_dropoff_at: body.actualDropoffAt,
      odometer_start: body.odometerStart,
      odometer_end: body.odometerEnd,
      completion_notes_enc: riderKey ? deps.pii.sealField(riderKey, completionNotesRef(leg), notes) : null,
    }), 'leg');
    return respond(deps.pii, tx, merged(leg, updated), actor);
  },
};
