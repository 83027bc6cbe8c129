import { eraseRider } from '../../lambdas/api/data/riders';
import { driverDoubleBookedProblem } from '../../lambdas/api/handlers/double-booking';
import { routes } from '../../lambdas/api/routes';
import { LegForDispatcher, LegForDriver, LegForFacility } from '../../lambdas/api/schemas/trips';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, billingRecordsForLeg, cancelLeg, createContact, createFacility, createFacilityUser, createLeg,
  createRider, createStaffUser, createTripRequest, createVehicle, driveLeg, getLeg, getTripRequest, legWindow, type TripRequestRow,
  type UserRow,
} from '../support/fixtures';

const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let quietFacility: string;
let dispatcher: UserRow;
let driver: UserRow;
let otherDriver: UserRow;
let billing: UserRow;
let adminA: UserRow;
let userA: UserRow;
let colleagueA: UserRow;
let adminB: UserRow;
let riderA: string;
let riderB: string;
let quietRider: string;

const CARE_NOTES = 'Oxygen tank; hard of hearing';
const CLINICAL_NOTES = 'Dialysis three times a week';

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityA = (await createFacility(owner, { notifyDriverEnRoute: true })).id;
  facilityB = (await createFacility(owner)).id;
  quietFacility = (await createFacility(owner, { notifyDriverEnRoute: false })).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  otherDriver = await createStaffUser(owner, 'Driver');
  billing = await createStaffUser(owner, 'Billing');
  adminA = await createFacilityUser(owner, 'FacilityAdmin', facilityA);
  const contact = await createContact(owner, { facilityId: facilityA });
  userA = await createFacilityUser(owner, 'FacilityUser', facilityA, { contactId: contact.id });
  colleagueA = await createFacilityUser(owner, 'FacilityUser', facilityA);
  adminB = await createFacilityUser(owner, 'FacilityAdmin', facilityB);
  riderA = (await createRider(owner, { facilityId: facilityA, fullName: 'Ada Rider', phone: '+15550001111', careNotes: CARE_NOTES,
    dateOfBirth: '1940-02-03', mobility: 'wheelchair' })).id;
  riderB = (await createRider(owner, { facilityId: facilityB })).id;
  quietRider = (await createRider(owner, { facilityId: quietFacility })).id;
});

const as = (user: UserRow) => actorOf(user);
/** An assignment body: the driver, and a fresh vehicle that fits any trip (so only the driver can clash). */
const assignment = async (driverId: string) => ({ driverId, vehicleId: (await createVehicle(db().owner)).id });
const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });

/** A scheduled trip of facility A submitted by userA, with an outbound leg and a will-call return. */
async function scheduledTrip(facilityId = facilityA, riderId = riderA): Promise<{ trip: TripRequestRow; outbound: string; back: string }> {
  const owner = db().owner;
  const trip = await createTripRequest(owner, {
    facilityId, riderId, source: 'facility', submittedBy: facilityId === facilityA ? userA.id : dispatcher.id,
    returnTrip: 'will_call', status: 'scheduled',
  });
  const outbound = await createLeg(owner, trip, { kind: 'outbound' });
  const back = await createLeg(owner, trip, { kind: 'return', willCall: true });
  return { trip, outbound: outbound.id, back: back.id };
}

async function outboxFor(tripRequestId: string, event: string) {
  const { rows } = await db().owner.query<{ payload: Record<string, unknown>; rider_id: string }>(
    'SELECT payload, rider_id FROM notification_outbox WHERE trip_request_id = $1 AND event_type = $2', [tripRequestId, event]);
  return rows;
}

async function auditActions(tripRequestId: string): Promise<string[]> {
  const { rows } = await db().owner.query<{ action: string }>(
    'SELECT action FROM audit_events WHERE trip_request_id = $1 ORDER BY seq', [tripRequestId]);
  return rows.map((row) => row.action);
}

async function record(legId: string, status: string, who: UserRow = driver, extra: Record<string, unknown> = {}) {
  return api.call('POST', `/v1/legs/${legId}/status-events`, { as: as(who), body: { status, ...extra } });
}

const completion = {
  actualPickupAt: '2030-01-02T14:05:00Z',
  actualDropoffAt: '2030-01-02T14:40:00Z',
  odometerStart: 1000,
  odometerEnd: 1012.5,
  notes: 'Rider needed help with the ramp',
};

describe('the whole trip, through the handlers', () => {
  test('facility creates → dispatcher schedules with a will-call return → assigns → driver drives and completes → billing → paid', async () => {
    const created = await api.call('POST', '/v1/trip-requests', {
      as: as(userA),
      body: { riderId: riderA, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd', appointmentAt: '2030-01-02T15:00:00Z',
        returnTrip: 'will_call', clinicalNotes: CLINICAL_NOTES },
    });
    expect(created.status).toBe(201);
    const tripId: string = created.body.id;
    const scheduled = await api.call('POST', `/v1/trip-requests/${tripId}/schedule`, {
      as: as(dispatcher), headers: { 'If-Match': created.headers.etag as string },
      body: { outbound: { pickupAt: '2030-01-02T14:00:00Z', dropoffAt: '2030-01-02T14:45:00Z' }, return: { willCall: true } },
    });
    expect(scheduled.status).toBe(200);

    const legs = await api.call('GET', `/v1/legs?tripRequestId=${tripId}`, { as: as(dispatcher) });
    expect(legs.status).toBe(200);
    expect(legs.body.items.map((leg: { kind: string; willCall: boolean; scheduledPickupAt: string | null }) =>
      [leg.kind, leg.willCall, leg.scheduledPickupAt])).toEqual([
      ['outbound', false, '2030-01-02T14:00:00.000Z'],
      ['return', true, null],
    ]);
    const [outbound, back] = legs.body.items as { id: string; version: number }[];
    if (!outbound || !back) throw new Error('schedule made no legs');

    const assigned = await api.call('PUT', `/v1/legs/${outbound.id}/assignment`, { as: as(dispatcher), body: await assignment(driver.id) });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ status: 'assigned', driverId: driver.id });

    // The driver sees the job: where, when, who and how they travel; nothing clinical.
    const mine = await api.call('GET', '/v1/legs', { as: as(driver) });
    expect(mine.body.items.map((leg: { id: string }) => leg.id)).toContain(outbound.id);
    const view = mine.body.items.find((leg: { id: string }) => leg.id === outbound.id);
    expect(view).toMatchObject({ riderName: 'Ada Rider', riderPhone: '+15550001111', mobility: 'wheelchair', status: 'assigned' });

    for (const status of ['en_route', 'arrived', 'picked_up']) {
      const answer = await record(outbound.id, status);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe(status);
    }
    expect((await getTripRequest(db().owner, tripId)).status).toBe('in_progress');
    const enRoute = await outboxFor(tripId, 'driver_en_route');
    expect(enRoute).toHaveLength(1);
    expect(enRoute[0]).toEqual({ rider_id: riderA, payload: { referenceCode: created.body.referenceCode,
      pickupWindowStart: '2030-01-02T14:00:00.000Z', pickupWindowEnd: '2030-01-02T14:30:00.000Z' } });

    const completed = await api.call('POST', `/v1/legs/${outbound.id}/completion`, { as: as(driver), body: completion });
    expect(completed.status).toBe(200);
    expect(completed.body.status).toBe('completed');
    const [bill] = await billingRecordsForLeg(db().owner, outbound.id);
    expect(bill).toMatchObject({ status: 'pending', legOutcome: 'completed', mileage: '12.5', tripRequestId: tripId });
    const dispatcherView = await api.call('GET', `/v1/legs/${outbound.id}`, { as: as(dispatcher) });
    expect(LegForDispatcher.strict().parse(dispatcherView.body)).toEqual(dispatcherView.body);
    expect(dispatcherView.body).toMatchObject({ mileage: 12.5, odometerStart: 1000, odometerEnd: 1012.5,
      actualPickupAt: '2030-01-02T14:05:00.000Z', completionNotes: completion.notes });
    // The will-call return is still open, so the trip is not done.
    expect((await getTripRequest(db().owner, tripId)).status).toBe('in_progress');

    // The facility calls: the return gets its time, stays a will-call on the record, and is driven.
    const timed = await api.call('PATCH', `/v1/legs/${back.id}`, {
      as: as(dispatcher), headers: ifMatch(back.version),
      body: { scheduledPickupAt: '2030-01-02T17:00:00Z', scheduledDropoffAt: '2030-01-02T17:40:00Z' },
    });
    expect(timed.status).toBe(200);
    expect(timed.body).toMatchObject({ willCall: true, scheduledPickupAt: '2030-01-02T17:00:00.000Z',
      scheduledDropoffAt: '2030-01-02T17:40:00.000Z' });
    expect((await api.call('PUT', `/v1/legs/${back.id}/assignment`, { as: as(dispatcher), body: await assignment(driver.id) })).status).toBe(200);
    for (const status of ['en_route', 'arrived', 'picked_up']) expect((await record(back.id, status)).status).toBe(200);
    const backDone = await api.call('POST', `/v1/legs/${back.id}/completion`, {
      as: as(driver), body: { ...completion, actualPickupAt: '2030-01-02T17:02:00Z', actualDropoffAt: '2030-01-02T17:41:00Z',
        odometerStart: 1020, odometerEnd: 1031 },
    });
    expect(backDone.status).toBe(200);
    expect((await getTripRequest(db().owner, tripId)).status).toBe('completed');

    // Billing takes the record to paid.
    const list = await api.call('GET', `/v1/billing-records?facilityId=${facilityA}&status=pending`, { as: as(billing) });
    const billed = list.body.items.find((item: { tripLegId: string }) => item.tripLegId === outbound.id);
    expect(billed).toMatchObject({ status: 'pending', mileage: 12.5, amountCents: null });
    let version: number = billed.version;
    for (const step of [{ to: 'ready', amountCents: 4550 }, { to: 'invoiced', invoiceNumber: 'INV-2030-001' }, { to: 'paid' }]) {
      const moved = await api.call('POST', `/v1/billing-records/${billed.id}/transitions`, {
        as: as(billing), headers: ifMatch(version), body: step,
      });
      expect(moved.status).toBe(200);
      expect(moved.body.status).toBe(step.to);
      version = moved.body.version;
    }
    const paid = await api.call('GET', `/v1/billing-records/${billed.id}`, { as: as(billing) });
    expect(paid.body).toMatchObject({ status: 'paid', amountCents: 4550, invoiceNumber: 'INV-2030-001', mileage: 12.5 });

    // One audited history, cause before effect, readable by the facility.
    const history = await api.call('GET', `/v1/trip-requests/${tripId}/history`, { as: as(adminA) });
    expect(history.status).toBe(200);
    const actions = history.body.events.map((event: { action: string }) => event.action);
    expect(actions).toEqual([
      'trip_request.created', 'trip_leg.created', 'trip_leg.created', 'trip_request.scheduled',
      'trip_leg.assigned', 'trip_leg.en_route', 'trip_request.in_progress', 'trip_leg.arrived', 'trip_leg.picked_up',
      'trip_leg.completed', 'billing_record.created',
      'trip_leg.updated', 'trip_leg.assigned', 'trip_leg.en_route', 'trip_leg.arrived', 'trip_leg.picked_up',
      'trip_leg.completed', 'billing_record.created', 'trip_request.completed',
      'billing_record.ready', 'billing_record.invoiced', 'billing_record.paid',
    ]);
  });

  test('a trip completes when its will-call return is cancelled after the outbound leg was driven', async () => {
    const { trip, outbound, back } = await scheduledTrip();
    await driveLeg(db().owner, outbound, 'picked_up', { driverId: driver.id });
    const done = await api.call('POST', `/v1/legs/${outbound}/completion`, { as: as(driver), body: completion });
    expect(done.status).toBe(200);
    expect((await getTripRequest(db().owner, trip.id)).status).toBe('in_progress');
    await cancelLeg(db().owner, back);
    expect((await getTripRequest(db().owner, trip.id)).status).toBe('completed');
  });
});

describe('status events', () => {
  test('a no-show needs a reason, follows arrival, and is billed', async () => {
    const { trip, outbound } = await scheduledTrip();
    await assignLeg(db().owner, outbound, driver.id);
    expect((await record(outbound, 'en_route')).status).toBe(200);
    const early = await record(outbound, 'no_show', driver, { reason: 'Nobody at the door' });
    expect(early.status).toBe(409);
    expect((await record(outbound, 'arrived')).status).toBe(200);
    const withoutReason = await record(outbound, 'no_show');
    expect(withoutReason.status).toBe(422);
    expect(withoutReason.headers['content-type']).toBe('application/problem+json');
    expect((await getLeg(db().owner, outbound)).status).toBe('arrived');
    const noShow = await record(outbound, 'no_show', driver, { reason: 'Nobody at the door' });
    expect(noShow.status).toBe(200);
    expect(noShow.body.status).toBe('no_show');
    const seen = await api.call('GET', `/v1/legs/${outbound}`, { as: as(dispatcher) });
    expect(seen.body.noShowReason).toBe('Nobody at the door');
    const bills = await billingRecordsForLeg(db().owner, outbound);
    expect(bills.map((bill) => [bill.status, bill.legOutcome])).toEqual([['pending', 'no_show']]);
    expect((await getTripRequest(db().owner, trip.id)).status).toBe('in_progress');
  });

  test('statuses follow the lifecycle, a dispatcher may record them, and a stale If-Match is refused', async () => {
    const { outbound } = await scheduledTrip();
    expect((await record(outbound, 'en_route', dispatcher)).status).toBe(409); // unassigned
    const leg = await assignLeg(db().owner, outbound, driver.id);
    expect((await record(outbound, 'arrived')).status).toBe(409);
    const stale = await api.call('POST', `/v1/legs/${outbound}/status-events`, {
      as: as(driver), headers: ifMatch(leg.version - 1), body: { status: 'en_route' },
    });
    expect(stale.status).toBe(412);
    const fresh = await api.call('POST', `/v1/legs/${outbound}/status-events`, {
      as: as(dispatcher), headers: ifMatch(leg.version), body: { status: 'en_route' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe(`"${leg.version + 1}"`);
    expect(fresh.body).toMatchObject({ status: 'en_route', driverId: driver.id });
  });

  test('a tap retried with its Idempotency-Key (the driver\'s phone resending after lost signal) is recorded once', async () => {
    const { trip, outbound } = await scheduledTrip();
    await assignLeg(db().owner, outbound, driver.id);
    const tap = (key: string) => api.call('POST', `/v1/legs/${outbound}/status-events`, {
      as: as(driver), headers: { 'Idempotency-Key': key }, body: { status: 'en_route' },
    });
    const first = await tap(`tap-${outbound}-1`);
    const retried = await tap(`tap-${outbound}-1`);
    expect(first.status).toBe(200);
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(first.body);
    // A new tap (its own key) asking for the same move again is a real second attempt: refused.
    expect((await tap(`tap-${outbound}-2`)).status).toBe(409);
    expect((await auditActions(trip.id)).filter((action) => action === 'trip_leg.en_route')).toHaveLength(1);
  });

  test('en route notifies the rider only where the tenant asked for it', async () => {
    const { trip, outbound } = await scheduledTrip(quietFacility, quietRider);
    await assignLeg(db().owner, outbound, driver.id);
    expect((await record(outbound, 'en_route')).status).toBe(200);
    expect(await outboxFor(trip.id, 'driver_en_route')).toEqual([]);

    const loud = await scheduledTrip();
    await assignLeg(db().owner, loud.outbound, driver.id);
    const before = api.published.length;
    expect((await record(loud.outbound, 'en_route', dispatcher)).status).toBe(200);
    const pickupAt = (await getLeg(db().owner, loud.outbound)).scheduledPickupAt as string;
    expect(await outboxFor(loud.trip.id, 'driver_en_route')).toEqual([
      { rider_id: riderA, payload: { referenceCode: loud.trip.referenceCode, pickupWindowStart: pickupAt,
        pickupWindowEnd: new Date(Date.parse(pickupAt) + 30 * 60_000).toISOString() } },
    ]);
    expect(api.published.length).toBe(before + 1);
  });
});

describe('completion', () => {
  test('times and odometer must be in order (422 with paths) and nothing is written', async () => {
    const { outbound } = await scheduledTrip();
    await driveLeg(db().owner, outbound, 'picked_up', { driverId: driver.id });
    const wrong = await api.call('POST', `/v1/legs/${outbound}/completion`, {
      as: as(driver),
      body: { ...completion, actualDropoffAt: completion.actualPickupAt, odometerStart: 1012.5, odometerEnd: 1000 },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors.map((error: { path: string }) => error.path)).toEqual(['actualDropoffAt', 'odometerEnd']);
    expect((await getLeg(db().owner, outbound)).status).toBe('picked_up');
    expect(await billingRecordsForLeg(db().owner, outbound)).toEqual([]);
  });

  test('only a picked-up leg completes, only its driver submits, and a completed leg is final', async () => {
    const { outbound } = await scheduledTrip();
    await driveLeg(db().owner, outbound, 'arrived', { driverId: driver.id });
    expect((await api.call('POST', `/v1/legs/${outbound}/completion`, { as: as(driver), body: completion })).status).toBe(409);
    expect((await api.call('POST', `/v1/legs/${outbound}/completion`, { as: as(dispatcher), body: completion })).status).toBe(403);
    expect((await record(outbound, 'picked_up')).status).toBe(200);
    expect((await api.call('POST', `/v1/legs/${outbound}/completion`, { as: as(driver), body: completion })).status).toBe(200);
    expect((await api.call('POST', `/v1/legs/${outbound}/completion`, { as: as(driver), body: completion })).status).toBe(409);
    const leg = await getLeg(db().owner, outbound);
    const edit = await api.call('PATCH', `/v1/legs/${outbound}`, {
      as: as(dispatcher), headers: ifMatch(leg.version), body: { pickupAddress: '9 Elsewhere' },
    });
    expect(edit.status).toBe(409);
    expect((await api.call('DELETE', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher) })).status).toBe(409);
  });
});

describe('assignment', () => {
  test('two dispatchers assigning one leg at once: exactly one wins, the other gets 409', async () => {
    const { trip, outbound } = await scheduledTrip();
    const bodies = [await assignment(driver.id), await assignment(otherDriver.id)];
    const answers = await Promise.all(bodies.map((body) =>
      api.call('PUT', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher), body })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const winner = answers.find((answer) => answer.status === 200);
    expect((await getLeg(db().owner, outbound)).driverId).toBe(winner?.body.driverId);
    expect((await auditActions(trip.id)).filter((action) => action === 'trip_leg.assigned')).toHaveLength(1);
  });

  test('a driver is never booked on overlapping windows, by assignment or by a time change', async () => {
    const owner = db().owner;
    const first = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const second = await createTripRequest(owner, { facilityId: facilityB, riderId: riderB, source: 'dispatcher', submittedBy: dispatcher.id, status: 'scheduled' });
    const early = await createLeg(owner, first, { window: legWindow('2032-05-01T09:00:00Z', 60) });
    const overlapping = await createLeg(owner, second, { window: legWindow('2032-05-01T09:30:00Z', 60) });
    const later = await createLeg(owner, second, { kind: 'return', window: legWindow('2032-05-01T12:00:00Z', 30) });
    expect((await api.call('PUT', `/v1/legs/${early.id}/assignment`, { as: as(dispatcher), body: await assignment(driver.id) })).status).toBe(200);
    const clash = await api.call('PUT', `/v1/legs/${overlapping.id}/assignment`, { as: as(dispatcher), body: await assignment(driver.id) });
    expect(clash.status).toBe(409);
    expect(clash.body.type).toBe('urn:nemt:problem:driver-double-booked');
    expect((await getLeg(owner, overlapping.id)).status).toBe('unassigned');

    expect((await api.call('PUT', `/v1/legs/${later.id}/assignment`, { as: as(dispatcher), body: await assignment(driver.id) })).status).toBe(200);
    const moved = await api.call('PATCH', `/v1/legs/${later.id}`, {
      as: as(dispatcher), headers: ifMatch((await getLeg(owner, later.id)).version),
      body: { scheduledPickupAt: '2032-05-01T09:45:00Z', scheduledDropoffAt: '2032-05-01T10:15:00Z' },
    });
    expect(moved.status).toBe(409);
    expect((await getLeg(owner, later.id)).scheduledPickupAt).toBe('2032-05-01T12:00:00.000Z');
  });

  test('only an active driver can be assigned (422)', async () => {
    const { outbound } = await scheduledTrip();
    const retired = await createStaffUser(db().owner, 'Driver', { active: false });
    for (const driverId of [retired.id, dispatcher.id, '00000000-0000-4000-8000-000000000000']) {
      const answer = await api.call('PUT', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher), body: await assignment(driverId) });
      expect(answer.status).toBe(422);
      expect(answer.body.errors).toEqual([{ path: 'driverId', message: 'Not an active driver' }]);
    }
    expect((await getLeg(db().owner, outbound)).status).toBe('unassigned');
  });

  test('reassigning needs If-Match (stale → 412); unassigning clears the driver and vehicle; everything is audited', async () => {
    const { outbound } = await scheduledTrip();
    const firstBody = await assignment(driver.id);
    const first = await api.call('PUT', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher), body: firstBody });
    expect(first.body).toMatchObject({ driverId: driver.id, vehicleId: firstBody.vehicleId });
    expect(first.status).toBe(200);
    const blind = await api.call('PUT', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher), body: await assignment(otherDriver.id) });
    expect(blind.status).toBe(409);
    const stale = await api.call('PUT', `/v1/legs/${outbound}/assignment`, {
      as: as(dispatcher), headers: ifMatch(first.body.version - 1), body: await assignment(otherDriver.id),
    });
    expect(stale.status).toBe(412);
    const secondBody = await assignment(otherDriver.id);
    const reassigned = await api.call('PUT', `/v1/legs/${outbound}/assignment`, {
      as: as(dispatcher), headers: { 'If-Match': first.headers.etag as string }, body: secondBody,
    });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({ status: 'assigned', driverId: otherDriver.id, vehicleId: secondBody.vehicleId });
    const removed = await api.call('DELETE', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher) });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ status: 'unassigned', driverId: null, vehicleId: null });
    expect((await api.call('DELETE', `/v1/legs/${outbound}/assignment`, { as: as(dispatcher) })).status).toBe(409);

    const { rows } = await db().owner.query<{ action: string; from_state: string; to_state: string; details: object }>(
      `SELECT action, from_state, to_state, details FROM audit_events
        WHERE entity_id = $1 AND action <> 'trip_leg.created' ORDER BY seq`, [outbound]);
    expect(rows).toEqual([
      { action: 'trip_leg.assigned', from_state: 'unassigned', to_state: 'assigned',
        details: { driverId: driver.id, vehicleId: firstBody.vehicleId } },
      { action: 'trip_leg.reassigned', from_state: 'assigned', to_state: 'assigned',
        details: { driverId: otherDriver.id, vehicleId: secondBody.vehicleId, previousDriverId: driver.id,
          previousVehicleId: firstBody.vehicleId } },
      { action: 'trip_leg.unassigned', from_state: 'assigned', to_state: 'unassigned',
        details: { driverId: otherDriver.id, vehicleId: secondBody.vehicleId } },
    ]);
  });
});

describe('editing a leg', () => {
  test('If-Match is required; a will-call return may be timed and cleared again; a timed leg cannot be cleared', async () => {
    const { outbound, back } = await scheduledTrip();
    const body = { scheduledPickupAt: '2033-01-01T10:00:00Z', scheduledDropoffAt: '2033-01-01T10:30:00Z' };
    expect((await api.call('PATCH', `/v1/legs/${back}`, { as: as(dispatcher), body })).status).toBe(428);
    let version = (await getLeg(db().owner, back)).version;
    const timed = await api.call('PATCH', `/v1/legs/${back}`, { as: as(dispatcher), headers: ifMatch(version), body });
    expect(timed.status).toBe(200);
    version = timed.body.version;
    const half = await api.call('PATCH', `/v1/legs/${back}`, {
      as: as(dispatcher), headers: ifMatch(version), body: { scheduledPickupAt: null },
    });
    expect(half.status).toBe(422);
    const backwards = await api.call('PATCH', `/v1/legs/${back}`, {
      as: as(dispatcher), headers: ifMatch(version), body: { scheduledDropoffAt: '2033-01-01T09:00:00Z' },
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors).toEqual([{ path: 'scheduledDropoffAt', message: 'Must be after scheduledPickupAt' }]);
    const cleared = await api.call('PATCH', `/v1/legs/${back}`, {
      as: as(dispatcher), headers: ifMatch(version), body: { scheduledPickupAt: null, scheduledDropoffAt: null, dropoffAddress: '3 Home Lane' },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ willCall: true, scheduledPickupAt: null, scheduledDropoffAt: null, dropoffAddress: '3 Home Lane' });
    const outboundVersion = (await getLeg(db().owner, outbound)).version;
    const clearTimed = await api.call('PATCH', `/v1/legs/${outbound}`, {
      as: as(dispatcher), headers: ifMatch(outboundVersion), body: { scheduledPickupAt: null, scheduledDropoffAt: null },
    });
    expect(clearTimed.status).toBe(422);
    const staleEdit = await api.call('PATCH', `/v1/legs/${outbound}`, {
      as: as(dispatcher), headers: ifMatch(outboundVersion + 5), body: { pickupAddress: '5 New Road' },
    });
    expect(staleEdit.status).toBe(412);
  });
});

describe('who sees which legs, and what of them', () => {
  const DRIVER_FIELDS = ['companions', 'dropoffAddress', 'id', 'kind', 'mobility', 'oxygen', 'pickupAddress', 'riderName',
    'riderPhone', 'scheduledDropoffAt', 'scheduledPickupAt', 'status', 'vehicleId', 'version', 'willCall'];
  const FACILITY_FIELDS = ['id', 'kind', 'scheduledDropoffAt', 'scheduledPickupAt', 'status', 'tripRequestId', 'version', 'willCall'];

  test('a driver reads what the trip needs of the vehicle (mobility, oxygen, companions), also in the answer to a tap', async () => {
    const owner = db().owner;
    const trip = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id,
      status: 'scheduled', mobility: 'stretcher', oxygen: true, companions: 1 });
    const leg = await createLeg(owner, trip, { kind: 'outbound' });
    await assignLeg(owner, leg.id, driver.id);
    const mine = await api.call('GET', `/v1/legs/${leg.id}`, { as: as(driver) });
    expect(mine.body).toMatchObject({ mobility: 'stretcher', oxygen: true, companions: 1 });
    const tapped = await record(leg.id, 'en_route');
    expect(tapped.status).toBe(200);
    expect(tapped.body).toMatchObject({ status: 'en_route', mobility: 'stretcher', oxygen: true, companions: 1 });
    // Another driver is not told (the leg is not theirs: 404 as before).
    expect((await api.call('GET', `/v1/legs/${leg.id}`, { as: as(otherDriver) })).status).toBe(404);
  });

  test("a driver sees only their own legs, minimum necessary, and cannot see or act on another driver's leg", async () => {
    const { outbound, back } = await scheduledTrip();
    await assignLeg(db().owner, outbound, driver.id);
    const theirs = await scheduledTrip();
    await assignLeg(db().owner, theirs.outbound, otherDriver.id);

    const own = await api.call('GET', `/v1/legs/${outbound}`, { as: as(driver) });
    expect(own.status).toBe(200);
    expect(Object.keys(own.body).sort()).toEqual(DRIVER_FIELDS);
    expect(LegForDriver.strict().parse(own.body)).toEqual(own.body);
    expect(own.text).not.toContain(CARE_NOTES);
    expect(own.text).not.toContain('1940');

    const list = await api.call('GET', '/v1/legs?limit=100', { as: as(driver) });
    for (const item of list.body.items) expect(Object.keys(item).sort()).toEqual(DRIVER_FIELDS);
    const ids = list.body.items.map((item: { id: string }) => item.id);
    expect(ids).toContain(outbound);
    expect(ids).not.toContain(back);
    expect(ids).not.toContain(theirs.outbound);
    const { rows } = await db().owner.query<{ n: number }>('SELECT count(*)::int AS n FROM trip_legs WHERE driver_id = $1', [driver.id]);
    expect(list.body.items).toHaveLength(Math.min(rows[0]?.n ?? 0, 100));

    expect((await api.call('GET', `/v1/legs/${theirs.outbound}`, { as: as(driver) })).status).toBe(404);
    expect((await api.call('GET', `/v1/legs/${back}`, { as: as(driver) })).status).toBe(404);
    expect((await record(theirs.outbound, 'en_route')).status).toBe(404);
    await driveLeg(db().owner, theirs.outbound, 'picked_up', { driverId: otherDriver.id });
    expect((await api.call('POST', `/v1/legs/${theirs.outbound}/completion`, { as: as(driver), body: completion })).status).toBe(404);
    expect((await getLeg(db().owner, theirs.outbound)).status).toBe('picked_up');
    expect((await api.call('GET', `/v1/legs?driverId=${otherDriver.id}`, { as: as(driver) })).status).toBe(400);
    expect((await api.call('PUT', `/v1/legs/${outbound}/assignment`, { as: as(driver), body: await assignment(driver.id) })).status).toBe(403);
  });

  test('facility roles see status-only legs of what they may see; other tenants answer 404', async () => {
    const { trip, outbound } = await scheduledTrip();
    const b = await scheduledTrip(facilityB, riderB);

    const adminView = await api.call('GET', `/v1/legs?tripRequestId=${trip.id}`, { as: as(adminA) });
    expect(adminView.status).toBe(200);
    expect(adminView.body.items).toHaveLength(2);
    for (const item of adminView.body.items) expect(Object.keys(item).sort()).toEqual(FACILITY_FIELDS);

    const userView = await api.call('GET', `/v1/legs/${outbound}`, { as: as(userA) });
    expect(userView.status).toBe(200);
    expect(Object.keys(userView.body).sort()).toEqual(FACILITY_FIELDS);
    expect(LegForFacility.strict().parse(userView.body)).toEqual(userView.body);
    // A colleague who neither submitted the trip nor is its contact does not see its legs.
    expect((await api.call('GET', `/v1/legs/${outbound}`, { as: as(colleagueA) })).status).toBe(404);
    const colleagueList = await api.call('GET', `/v1/legs?tripRequestId=${trip.id}`, { as: as(colleagueA) });
    expect(colleagueList.body.items).toEqual([]);

    expect((await api.call('GET', `/v1/legs/${b.outbound}`, { as: as(adminA) })).status).toBe(404);
    expect((await api.call('GET', `/v1/legs/${outbound}`, { as: as(adminB) })).status).toBe(404);
    const bList = await api.call('GET', '/v1/legs?limit=100', { as: as(adminB) });
    const { rows } = await db().owner.query<{ facility_id: string }>(
      'SELECT DISTINCT facility_id FROM trip_legs WHERE id = ANY($1::uuid[])', [`{${bList.body.items.map((i: { id: string }) => i.id).join(',')}}`]);
    expect(rows.map((row) => row.facility_id)).toEqual([facilityB]);
    expect((await api.call('PUT', `/v1/legs/${outbound}/assignment`, { as: as(adminA), body: await assignment(driver.id) })).status).toBe(403);
    expect((await record(outbound, 'en_route', userA)).status).toBe(403);
  });

  test('a Billing token is refused on every leg route', async () => {
    const { outbound } = await scheduledTrip();
    const calls: [string, string, unknown][] = [
      ['GET', '/v1/legs', undefined],
      ['GET', `/v1/legs/${outbound}`, undefined],
      ['PATCH', `/v1/legs/${outbound}`, { pickupAddress: '1 Other St' }],
      ['PUT', `/v1/legs/${outbound}/assignment`, await assignment(driver.id)],
      ['DELETE', `/v1/legs/${outbound}/assignment`, undefined],
      ['POST', `/v1/legs/${outbound}/status-events`, { status: 'en_route' }],
      ['POST', `/v1/legs/${outbound}/completion`, completion],
    ];
    for (const [method, url, body] of calls) {
      const answer = await api.call(method, url, { as: as(billing), body, headers: ifMatch(1) });
      expect({ method, url, status: answer.status }).toEqual({ method, url, status: 403 });
    }
  });
});

describe('listing', () => {
  test('pages by pickup time with will-call legs last, every leg exactly once', async () => {
    const owner = db().owner;
    const trip = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const tie = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    // Two legs at the same instant, so the id breaks the tie across a page boundary.
    await createLeg(owner, trip, { kind: 'outbound', window: legWindow('2034-01-01T08:00:00.123456Z', 30) });
    await createLeg(owner, tie, { kind: 'outbound', window: legWindow('2034-01-01T08:00:00.123456Z', 30) });
    for (let i = 0; i < 3; i += 1) await scheduledTrip();

    const expected = (await owner.query<{ id: string }>(
      'SELECT id FROM trip_legs ORDER BY scheduled_pickup_at ASC NULLS LAST, id ASC')).rows.map((row) => row.id);
    expect(expected.length).toBeGreaterThan(6);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/legs?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.call('GET', url, { as: as(dispatcher) });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 500);
    expect(seen).toEqual(expected);

    const filtered = await api.call('GET', '/v1/legs?from=2034-01-01T00:00:00Z&to=2034-01-02T00:00:00Z&status=unassigned', { as: as(dispatcher) });
    expect(filtered.body.items).toHaveLength(2);
    expect((await api.call('GET', '/v1/legs?cursor=bm90LWEtY3Vyc29y', { as: as(dispatcher) })).status).toBe(400);
  });
});

describe('the dispatch board', () => {
  /** A scheduled trip of facility A with one outbound leg at `start` (`minutes` long). */
  async function legAt(start: string, minutes = 30, riderId = riderA) {
    const owner = db().owner;
    const trip = await createTripRequest(owner, { facilityId: facilityA, riderId, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const leg = await createLeg(owner, trip, { window: legWindow(start, minutes) });
    return { trip, leg };
  }

  const idsOn = async (date: string, extra = '') => {
    const answer = await api.call('GET', `/v1/legs?date=${date}&limit=500${extra}`, { as: as(dispatcher) });
    expect(answer.status).toBe(200);
    return answer.body.items.map((item: { id: string }) => item.id) as string[];
  };

  test("a day is the provider's calendar day, also when the clocks spring forward (23 hours)", async () => {
    // New York, Sunday 9 March 2031: 00:00 EST is 05:00Z; the next midnight (EDT) is 04:00Z.
    const before = await legAt('2031-03-09T04:59:00Z');
    const first = await legAt('2031-03-09T05:00:00Z');
    const last = await legAt('2031-03-10T03:59:00Z', 1);
    const after = await legAt('2031-03-10T04:00:00Z');
    expect(await idsOn('2031-03-09')).toEqual([first.leg.id, last.leg.id]);
    expect(await idsOn('2031-03-08')).toContain(before.leg.id);
    expect(await idsOn('2031-03-10')).toContain(after.leg.id);
  });

  test("a day is the provider's calendar day, also when the clocks fall back (25 hours)", async () => {
    // New York, Sunday 2 November 2031: 00:00 EDT is 04:00Z; the next midnight (EST) is 05:00Z.
    const before = await legAt('2031-11-02T03:59:00Z', 1);
    const first = await legAt('2031-11-02T04:00:00Z');
    const lateHour = await legAt('2031-11-03T04:30:00Z', 29);
    const after = await legAt('2031-11-03T05:00:00Z');
    expect(await idsOn('2031-11-02')).toEqual([first.leg.id, lateHour.leg.id]);
    expect(await idsOn('2031-11-01')).toEqual([before.leg.id]);
    expect(await idsOn('2031-11-03')).toEqual([after.leg.id]);
  });

  test('a day pages by pickup time up to 500 legs; date with from/to, and more than 500, are refused (400)', async () => {
    const legs = [];
    for (const start of ['2031-06-10T18:00:00Z', '2031-06-10T13:00:00Z', '2031-06-10T15:00:00Z']) legs.push(await legAt(start));
    const byTime = [legs[1], legs[2], legs[0]].map((entry) => entry?.leg.id);
    expect(await idsOn('2031-06-10')).toEqual(byTime);
    const first = await api.call('GET', '/v1/legs?date=2031-06-10&limit=2', { as: as(dispatcher) });
    const rest = await api.call('GET', `/v1/legs?date=2031-06-10&limit=2&cursor=${first.body.nextCursor}`, { as: as(dispatcher) });
    expect([...first.body.items, ...rest.body.items].map((item: { id: string }) => item.id)).toEqual(byTime);
    expect(rest.body.nextCursor).toBeNull();

    const both = await api.call('GET', '/v1/legs?date=2031-06-10&from=2031-06-10T00:00:00Z', { as: as(dispatcher) });
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual([{ path: 'date', message: 'Use date, or from and to, not both' }]);
    expect((await api.call('GET', '/v1/legs?date=2031-06-10&limit=1001', { as: as(dispatcher) })).status).toBe(400);
    expect((await api.call('GET', '/v1/legs?date=2031-02-30', { as: as(dispatcher) })).status).toBe(400);
  });

  test("a driver's and a facility's day are their own legs of that day", async () => {
    const mine = await legAt('2031-07-04T14:00:00Z');
    const theirs = await legAt('2031-07-04T16:00:00Z');
    await assignLeg(db().owner, mine.leg.id, driver.id);
    await assignLeg(db().owner, theirs.leg.id, otherDriver.id);
    const driverDay = await api.call('GET', '/v1/legs?date=2031-07-04', { as: as(driver) });
    expect(driverDay.body.items.map((item: { id: string }) => item.id)).toEqual([mine.leg.id]);
    const otherTenant = await api.call('GET', '/v1/legs?date=2031-07-04', { as: as(adminB) });
    expect(otherTenant.body.items).toEqual([]);
  });

  test("dispatchers' legs carry the trip's reference code, and the rider with include=rider (erased: null and why)", async () => {
    const { trip, leg } = await legAt('2031-08-01T14:00:00Z');
    const forgotten = (await createRider(db().owner, { facilityId: facilityA, fullName: 'Gone Rider', mobility: 'stretcher' })).id;
    const erasedLeg = await legAt('2031-08-01T15:00:00Z', 30, forgotten);
    await eraseRider(db().owner, { id: forgotten, facility_id: facilityA });

    const plain = await api.call('GET', '/v1/legs?date=2031-08-01', { as: as(dispatcher) });
    const [first, second] = plain.body.items;
    expect(first).toMatchObject({ id: leg.id, referenceCode: trip.referenceCode });
    expect(second).toMatchObject({ id: erasedLeg.leg.id, referenceCode: erasedLeg.trip.referenceCode });
    expect(first).not.toHaveProperty('rider');
    for (const item of plain.body.items) expect(LegForDispatcher.strict().parse(item)).toEqual(item);

    const withRiders = await api.call('GET', '/v1/legs?date=2031-08-01&include=rider', { as: as(dispatcher) });
    expect(withRiders.status).toBe(200);
    expect(withRiders.body.items.map((item: { rider: unknown }) => item.rider)).toEqual([
      { fullName: 'Ada Rider', phone: '+15550001111', mobility: 'wheelchair' },
      { fullName: null, phone: null, mobility: 'stretcher', unavailable: { fullName: 'erased', phone: 'erased' } },
    ]);
    for (const item of withRiders.body.items) expect(LegForDispatcher.strict().parse(item)).toEqual(item);
    expect(withRiders.text).not.toContain(CARE_NOTES);

    const one = await api.call('GET', `/v1/legs/${leg.id}`, { as: as(dispatcher) });
    expect(one.body.referenceCode).toBe(trip.referenceCode);
  });

  test('only dispatchers may include riders on legs (403 for drivers and facility roles)', async () => {
    for (const who of [driver, adminA, userA]) {
      const answer = await api.call('GET', '/v1/legs?include=rider', { as: as(who) });
      expect({ role: who.role, status: answer.status }).toEqual({ role: who.role, status: 403 });
    }
    const facility = await api.call('GET', '/v1/legs?limit=5', { as: as(adminA) });
    for (const item of facility.body.items) expect(item).not.toHaveProperty('referenceCode');
  });
});

describe('a refused double booking names the clashing leg', () => {
  test('assignment: the 409 names the driver\'s leg it overlaps, with its reference code in the detail', async () => {
    const owner = db().owner;
    const booked = await createTripRequest(owner, { facilityId: facilityB, riderId: riderB, source: 'dispatcher', submittedBy: dispatcher.id, status: 'scheduled' });
    const wanted = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const bookedLeg = await createLeg(owner, booked, { window: legWindow('2035-03-01T14:00:00Z', 60) });
    const wantedLeg = await createLeg(owner, wanted, { window: legWindow('2035-03-01T14:30:00Z', 60) });
    await assignLeg(owner, bookedLeg.id, driver.id);

    const refused = await api.call('PUT', `/v1/legs/${wantedLeg.id}/assignment`, { as: as(dispatcher), body: await assignment(driver.id) });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ type: 'urn:nemt:problem:driver-double-booked', status: 409 });
    expect(refused.body.clash).toEqual({ legId: bookedLeg.id, tripRequestId: booked.id, referenceCode: booked.referenceCode,
      scheduledPickupAt: '2035-03-01T14:00:00.000Z', scheduledDropoffAt: '2035-03-01T15:00:00.000Z' });
    // The window in the provider's time zone (America/New_York in the tests).
    expect(refused.body.detail).toBe(`The driver already has trip ${booked.referenceCode} at Thu, Mar 1, 9:00 – 10:00 AM EST.`);
    expect((await getLeg(owner, wantedLeg.id)).status).toBe('unassigned');
  });

  test('a time change of an assigned leg: the 409 names the leg the new window overlaps', async () => {
    const owner = db().owner;
    const morning = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const noon = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const morningLeg = await createLeg(owner, morning, { window: legWindow('2035-03-02T14:00:00Z', 60) });
    const noonLeg = await createLeg(owner, noon, { window: legWindow('2035-03-02T17:00:00Z', 30) });
    await assignLeg(owner, morningLeg.id, driver.id);
    const assigned = await assignLeg(owner, noonLeg.id, driver.id);
    const moved = await api.call('PATCH', `/v1/legs/${noonLeg.id}`, {
      as: as(dispatcher), headers: ifMatch(assigned.version),
      body: { scheduledPickupAt: '2035-03-02T14:45:00Z', scheduledDropoffAt: '2035-03-02T15:15:00Z' },
    });
    expect(moved.status).toBe(409);
    expect(moved.body.clash).toMatchObject({ legId: morningLeg.id, referenceCode: morning.referenceCode });
    expect(moved.body.detail).toContain(morning.referenceCode);
    expect((await getLeg(owner, noonLeg.id)).scheduledPickupAt).toBe('2035-03-02T17:00:00.000Z');
  });

  test('two overlapping legs assigned to one driver at once: the database picks one winner; the loser is told which leg won', async () => {
    const owner = db().owner;
    const legs = [];
    for (const start of ['2035-03-03T14:00:00Z', '2035-03-03T14:15:00Z']) {
      const trip = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
      legs.push({ trip, leg: await createLeg(owner, trip, { window: legWindow(start, 60) }) });
    }
    const bodies = [await assignment(otherDriver.id), await assignment(otherDriver.id)];
    const answers = await Promise.all(legs.map(({ leg }, index) =>
      api.call('PUT', `/v1/legs/${leg.id}/assignment`, { as: as(dispatcher), body: bodies[index] })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const winner = legs[answers.findIndex((answer) => answer.status === 200)];
    const loser = answers.find((answer) => answer.status === 409);
    expect(loser?.body.clash).toMatchObject({ legId: winner?.leg.id, referenceCode: winner?.trip.referenceCode });
    const { rows } = await owner.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM trip_legs WHERE driver_id = $1 AND id = ANY($2::uuid[])", [otherDriver.id, `{${legs.map(({ leg }) => leg.id).join(',')}}`]);
    expect(rows[0]?.n).toBe(1);
  });

  test('only dispatchers can ever get a clash: the routes that book are theirs alone, and anyone else gets the plain problem', async () => {
    for (const id of ['legs.assign', 'legs.update'] as const) {
      expect(routes.find((route) => route.id === id)?.roles).toEqual(['Dispatcher']);
    }
    const owner = db().owner;
    const trip = await createTripRequest(owner, { facilityId: facilityA, riderId: riderA, source: 'facility', submittedBy: userA.id, status: 'scheduled' });
    const leg = await createLeg(owner, trip, { window: legWindow('2035-03-04T14:00:00Z', 60) });
    await assignLeg(owner, leg.id, driver.id);
    const attempt = { legId: '00000000-0000-4000-8000-000000000001', driverId: driver.id,
      pickupAt: '2035-03-04T14:30:00Z', dropoffAt: '2035-03-04T15:30:00Z' };
    for (const who of [driver, adminA, userA, billing]) {
      const problem = await withActor(db().as('api'), as(who), (tx) => driverDoubleBookedProblem(tx, as(who), attempt, 'America/New_York'));
      expect(problem.toBody()).toEqual({ type: 'urn:nemt:problem:driver-double-booked', title: 'Conflict', status: 409,
        detail: 'The driver already has a leg in that time window.' });
    }
    const forDispatcher = await withActor(db().as('api'), as(dispatcher),
      (tx) => driverDoubleBookedProblem(tx, as(dispatcher), attempt, 'America/New_York'));
    expect(forDispatcher.toBody().clash).toMatchObject({ legId: leg.id });
  });
});
