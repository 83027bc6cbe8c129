import { maxOdometerJumpMilesFrom, missingForService } from '../../lambdas/shared/domain/vehicles';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { createTestIntake, intakeBody } from '../support/intake';
import {
  actorOf, assignLeg, createFacility, createFacilityUser, createLeg, createRider, createStaffUser, createTripRequest, createVehicle,
  driveLeg, getLeg, getVehicle, legWindow, type Mobility, moveVehicle, phoneNumber, type UserRow, type VehicleInput, vehiclePlate,
} from '../support/fixtures';

/**
 * Issue 14 through the API: the fleet (create, edit, status, odometer corrections, all audited),
 * assignment with a vehicle and each of its refusals in words, odometer continuity and typo checks
 * at completion, and the trip's level of service.
 */
const db = useTestDatabase();
let api: TestApi;
let facilityId: string;
let riderId: string;
let dispatcher: UserRow;
let driver: UserRow;
let otherDriver: UserRow;
let billing: UserRow;
let admin: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityId = (await createFacility(owner)).id;
  riderId = (await createRider(owner, { facilityId })).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  otherDriver = await createStaffUser(owner, 'Driver');
  billing = await createStaffUser(owner, 'Billing');
  admin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
});

const as = (user: UserRow) => actorOf(user);
const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });
const VAN = { ambulatorySeats: 2, wheelchairPositions: 1, bariatric: false, stretcher: false, oxygen: false };
const WHEELCHAIR_VAN: VehicleInput = { kind: 'wheelchair_van', ...VAN };

async function auditOf(entityId: string) {
  const { rows } = await db().owner.query<{ action: string; facility_id: string | null; details: Record<string, unknown> }>(
    'SELECT action, facility_id, details FROM audit_events WHERE entity_id = $1 ORDER BY seq', [entityId]);
  return rows;
}

let nextDay = 0;
async function legNeeding(service: { mobility?: Mobility; oxygen?: boolean; companions?: number } = {}, start?: string) {
  nextDay += 1;
  const trip = await createTripRequest(db().owner, { facilityId, riderId, source: 'dispatcher', submittedBy: dispatcher.id,
    status: 'scheduled', ...service });
  const at = start ?? new Date(Date.UTC(2034, 0, 1) + nextDay * 86_400_000 + 14 * 3_600_000).toISOString();
  return { trip, leg: await createLeg(db().owner, trip, { window: legWindow(at, 60) }) };
}

function assign(legId: string, vehicleId: string, driverId = driver.id) {
  return api.call('PUT', `/v1/legs/${legId}/assignment`, { as: as(dispatcher), body: { driverId, vehicleId } });
}

describe('the fleet', () => {
  test('a Dispatcher adds, reads, lists and edits a vehicle; each change is audited on the provider chain', async () => {
    const plate = vehiclePlate();
    const created = await api.call('POST', '/v1/vehicles', { as: as(dispatcher), headers: { 'Idempotency-Key': `v-${plate}` },
      body: { name: 'Van 7', plate, kind: 'wheelchair_van', capabilities: VAN } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Van 7', plate, kind: 'wheelchair_van', capabilities: VAN, status: 'in_service',
      outOfServiceReason: null, odometer: null, version: 1 });
    const id = created.body.id as string;
    for (const reader of [dispatcher, driver, billing]) {
      expect((await api.call('GET', `/v1/vehicles/${id}`, { as: as(reader) })).body).toMatchObject({ id, name: 'Van 7' });
    }
    const listed = await api.call('GET', '/v1/vehicles?status=in_service&limit=100', { as: as(driver) });
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(id);

    const renamed = await api.call('PATCH', `/v1/vehicles/${id}`, { as: as(dispatcher), headers: ifMatch(1),
      body: { name: 'Van 7B', capabilities: { ...VAN, oxygen: true } } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Van 7B', capabilities: { oxygen: true }, version: 2 });
    expect((await api.call('PATCH', `/v1/vehicles/${id}`, { as: as(dispatcher), headers: ifMatch(1), body: { name: 'X' } })).status)
      .toBe(412);
    expect(await auditOf(id)).toEqual([
      { action: 'vehicle.created', facility_id: null, details: { kind: 'wheelchair_van' } },
      { action: 'vehicle.updated', facility_id: null, details: { fields: ['name', 'oxygen'] } },
    ]);
  });

  test('facility roles get 403 on every vehicle route; drivers and billing may not write', async () => {
    const vehicle = await createVehicle(db().owner);
    expect((await api.call('GET', '/v1/vehicles', { as: as(admin) })).status).toBe(403);
    expect((await api.call('GET', `/v1/vehicles/${vehicle.id}`, { as: as(admin) })).status).toBe(403);
    for (const who of [driver, billing, admin]) {
      const answer = await api.call('POST', `/v1/vehicles/${vehicle.id}/status`, { as: as(who), body: { to: 'retired' } });
      expect({ role: who.role, status: answer.status }).toEqual({ role: who.role, status: 403 });
    }
    expect((await getVehicle(db().owner, vehicle.id)).status).toBe('in_service');
  });

  test('a plate is unique among live vehicles (409), and follows its pattern (422)', async () => {
    const plate = vehiclePlate();
    await createVehicle(db().owner, { plate });
    const body = (p: string) => ({ name: 'Van', plate: p, kind: 'sedan', capabilities: { ...VAN, wheelchairPositions: 0 } });
    const taken = await api.call('POST', '/v1/vehicles', { as: as(dispatcher), headers: { 'Idempotency-Key': `p-${plate}` }, body: body(plate) });
    expect(taken.status).toBe(409);
    const lower = await api.call('POST', '/v1/vehicles', { as: as(dispatcher), headers: { 'Idempotency-Key': `l-${plate}` },
      body: body('abc-1') });
    expect(lower.status).toBe(422);
    expect(lower.body.errors[0].path).toBe('plate');
  });

  test('out of service needs a reason; back in service clears it; retired is final', async () => {
    const vehicle = await createVehicle(db().owner);
    const transition = (body: object) => api.call('POST', `/v1/vehicles/${vehicle.id}/status`, { as: as(dispatcher), body });
    expect((await transition({ to: 'out_of_service' })).status).toBe(422);
    expect((await transition({ to: 'out_of_service', reason: 'Brakes' })).body)
      .toMatchObject({ status: 'out_of_service', outOfServiceReason: 'Brakes' });
    expect((await transition({ to: 'in_service' })).body).toMatchObject({ status: 'in_service', outOfServiceReason: null });
    expect((await transition({ to: 'retired' })).body).toMatchObject({ status: 'retired' });
    const again = await transition({ to: 'in_service' });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:nemt:problem:invalid-transition');
    expect((await auditOf(vehicle.id)).map((event) => event.action))
      .toEqual(['vehicle.out_of_service', 'vehicle.in_service', 'vehicle.retired']);
  });

  test('a vehicle with legs still to come stays in service (409 naming the legs); legs under way do not hold it', async () => {
    const vehicle = await createVehicle(db().owner);
    const { leg } = await legNeeding();
    await assignLeg(db().owner, leg.id, driver.id, vehicle.id);
    for (const body of [{ to: 'out_of_service', reason: 'Brakes' }, { to: 'retired' }]) {
      const refused = await api.call('POST', `/v1/vehicles/${vehicle.id}/status`, { as: as(dispatcher), body });
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe('urn:nemt:problem:vehicle-has-assigned-legs');
      expect(refused.body.detail).toContain(leg.id);
    }
    expect((await getVehicle(db().owner, vehicle.id)).status).toBe('in_service');
    await driveLeg(db().owner, leg.id, 'en_route', { driverId: driver.id });
    const out = await api.call('POST', `/v1/vehicles/${vehicle.id}/status`, { as: as(dispatcher), body: { to: 'out_of_service', reason: 'Brakes' } });
    expect(out.status).toBe(200);
  });
});

describe('assignment with a vehicle', () => {
  test('a vehicleId is required', async () => {
    const { leg } = await legNeeding();
    const answer = await api.call('PUT', `/v1/legs/${leg.id}/assignment`, { as: as(dispatcher), body: { driverId: driver.id } });
    expect(answer.status).toBe(422);
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain('vehicleId');
  });

  test('the vehicle shows on the leg for the dispatcher and the driver, not for the facility', async () => {
    const vehicle = await createVehicle(db().owner);
    const { leg } = await legNeeding();
    expect((await assign(leg.id, vehicle.id)).body).toMatchObject({ driverId: driver.id, vehicleId: vehicle.id });
    expect((await api.call('GET', `/v1/legs/${leg.id}`, { as: as(driver) })).body).toMatchObject({ vehicleId: vehicle.id });
    expect((await api.call('GET', `/v1/legs/${leg.id}`, { as: as(admin) })).body).not.toHaveProperty('vehicleId');
  });

  test('a vehicle on an overlapping leg: 409 vehicle-double-booked naming the clash, as for drivers', async () => {
    const vehicle = await createVehicle(db().owner, { name: 'Van 7' });
    const first = await legNeeding({}, '2036-03-01T14:00:00Z');
    const second = await legNeeding({}, '2036-03-01T14:30:00Z');
    expect((await assign(first.leg.id, vehicle.id)).status).toBe(200);
    const refused = await assign(second.leg.id, vehicle.id, otherDriver.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'urn:nemt:problem:vehicle-double-booked',
      detail: `Van 7 already has trip ${first.trip.referenceCode} at Sat, Mar 1, 9:00 – 10:00 AM EST.` });
    expect(refused.body.clash).toEqual({ legId: first.leg.id, tripRequestId: first.trip.id, referenceCode: first.trip.referenceCode,
      scheduledPickupAt: '2036-03-01T14:00:00.000Z', scheduledDropoffAt: '2036-03-01T15:00:00.000Z' });
    expect((await getLeg(db().owner, second.leg.id)).status).toBe('unassigned');
  });

  test.each([
    ['wheelchair', {}, 'Sedan 1 (sedan) cannot carry this trip: it needs a wheelchair position.',
      { kind: 'sedan', ambulatorySeats: 3, wheelchairPositions: 0, bariatric: false, stretcher: false, oxygen: false }, 'Sedan 1'],
    ['wheelchair_xl', {}, 'Van 7 (wheelchair van) cannot carry this trip: it needs a bariatric wheelchair position.', WHEELCHAIR_VAN, 'Van 7'],
    ['stretcher', {}, 'Van 7 (wheelchair van) cannot carry this trip: it needs a stretcher.', WHEELCHAIR_VAN, 'Van 7'],
    ['wheelchair', { oxygen: true }, 'Van 7 (wheelchair van) cannot carry this trip: it needs oxygen on board.', WHEELCHAIR_VAN, 'Van 7'],
    ['wheelchair', { companions: 3 }, 'Van 7 (wheelchair van) cannot carry this trip: it needs 3 seats for its 3 companions.',
      WHEELCHAIR_VAN, 'Van 7'],
    ['ambulatory', { companions: 3 }, 'Sedan 1 (sedan) cannot carry this trip: it needs 4 seats (the rider and 3 companions).',
      { kind: 'sedan', ambulatorySeats: 3, wheelchairPositions: 0, bariatric: false, stretcher: false, oxygen: false }, 'Sedan 1'],
  ] as const)('a %s trip %o in the wrong vehicle: 409 vehicle-lacks-service-level, in words', async (mobility, extra, detail, kind, name) => {
    const vehicle = await createVehicle(db().owner, { ...kind, name });
    const { leg } = await legNeeding({ mobility, ...extra });
    const refused = await assign(leg.id, vehicle.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'urn:nemt:problem:vehicle-lacks-service-level', detail });
    expect((await getLeg(db().owner, leg.id)).status).toBe('unassigned');
  });

  test('a vehicle out of service or retired: 409 vehicle-out-of-service, with the reason', async () => {
    const broken = await moveVehicle(db().owner, (await createVehicle(db().owner, { name: 'Van 8' })).id, 'out_of_service', 'brakes');
    const gone = await moveVehicle(db().owner, (await createVehicle(db().owner, { name: 'Van 9' })).id, 'retired');
    const { leg } = await legNeeding();
    const refused = await assign(leg.id, broken.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'urn:nemt:problem:vehicle-out-of-service', detail: 'Van 8 is out of service: brakes.' });
    expect((await assign(leg.id, gone.id)).body).toMatchObject({ type: 'urn:nemt:problem:vehicle-out-of-service',
      detail: 'Van 9 is retired.' });
    expect((await assign(leg.id, '00000000-0000-4000-8000-000000000000')).status).toBe(422);
  });
});

describe('odometer at completion', () => {
  async function pickedUpWith(vehicleOdometer: number | null) {
    const vehicle = await createVehicle(db().owner, { name: 'Van 5', odometer: vehicleOdometer });
    const { leg } = await legNeeding();
    await assignLeg(db().owner, leg.id, driver.id, vehicle.id);
    const picked = await driveLeg(db().owner, leg.id, 'picked_up', { driverId: driver.id });
    const complete = (odometerStart: number, odometerEnd: number) => api.call('POST', `/v1/legs/${leg.id}/completion`, {
      as: as(driver), headers: ifMatch(picked.version),
      body: { actualPickupAt: '2031-06-01T09:05:00Z', actualDropoffAt: '2031-06-01T09:40:00Z', odometerStart, odometerEnd } });
    return { vehicle, leg, complete };
  }

  test('a start below the vehicle\'s last reading: 422 odometer-below-last-reading naming the reading', async () => {
    const { vehicle, leg, complete } = await pickedUpWith(1012.5);
    const refused = await complete(1010, 1020);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ type: 'urn:nemt:problem:odometer-below-last-reading' });
    expect(refused.body.detail).toContain('1,012.5 mi');
    expect((await getLeg(db().owner, leg.id)).status).toBe('picked_up');
    const done = await complete(1012.5, 1030);
    expect(done.status).toBe(200);
    expect((await getVehicle(db().owner, vehicle.id)).odometer).toBe('1030.0');
  });

  test('a start far above the last reading, or a leg longer than the limit: 422 odometer-jump-too-large (a typo)', async () => {
    const { vehicle, complete } = await pickedUpWith(1000);
    const jump = await complete(10_000, 10_012);
    expect(jump.status).toBe(422);
    expect(jump.body).toMatchObject({ type: 'urn:nemt:problem:odometer-jump-too-large', errors: [{ path: 'odometerStart' }] });
    const long = await complete(1000, 1400);
    expect(long.status).toBe(422);
    expect(long.body).toMatchObject({ type: 'urn:nemt:problem:odometer-jump-too-large', errors: [{ path: 'odometerEnd' }] });
    expect((await complete(1300, 1312)).status).toBe(200);
    expect((await getVehicle(db().owner, vehicle.id)).odometer).toBe('1312.0');
  });

  test('a Dispatcher corrects a reading with a reason; audited with old and new, the reason kept with the correction', async () => {
    const { vehicle, complete } = await pickedUpWith(1_000_000);
    const corrected = await api.call('POST', `/v1/vehicles/${vehicle.id}/odometer-corrections`, { as: as(dispatcher),
      body: { reading: 41_200, reason: 'Typed 1,000,000 for 41,200' } });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ odometer: 41_200 });
    const [event] = (await auditOf(vehicle.id)).filter((row) => row.action === 'vehicle.odometer_corrected');
    expect(event).toMatchObject({ facility_id: null, details: { from: 1_000_000, to: 41_200 } });
    const { rows } = await db().owner.query('SELECT reading_before, reading_after, reason, corrected_by FROM vehicle_odometer_corrections WHERE id = $1',
      [event?.details.correctionId as string]);
    expect(rows).toEqual([{ reading_before: '1000000.0', reading_after: '41200.0', reason: 'Typed 1,000,000 for 41,200',
      corrected_by: dispatcher.id }]);
    expect(JSON.stringify(event)).not.toContain('Typed');
    expect((await complete(41_200, 41_230)).status).toBe(200);
    const denied = await api.call('POST', `/v1/vehicles/${vehicle.id}/odometer-corrections`, { as: as(driver),
      body: { reading: 1, reason: 'mine' } });
    expect(denied.status).toBe(403);
  });
});

test('the typo limit is read from MAX_ODOMETER_JUMP_MILES, default 300; a bad value fails the start', () => {
  expect(maxOdometerJumpMilesFrom({})).toBe(300);
  expect(maxOdometerJumpMilesFrom({ MAX_ODOMETER_JUMP_MILES: '500' })).toBe(500);
  for (const bad of ['many', '0', '-5']) expect(() => maxOdometerJumpMilesFrom({ MAX_ODOMETER_JUMP_MILES: bad })).toThrow();
});

describe('level of service on trips', () => {
  test('stated at creation, changed while requested (audited), refused once scheduled', async () => {
    const created = await api.call('POST', '/v1/trip-requests', { as: as(dispatcher), headers: { 'Idempotency-Key': `los-${Date.now()}` },
      body: { facilityId, riderId, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd', appointmentAt: '2036-05-01T15:00:00Z',
        mobility: 'wheelchair_xl', oxygen: true, companions: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ mobility: 'wheelchair_xl', oxygen: true, companions: 1 });
    const changed = await api.call('PATCH', `/v1/trip-requests/${created.body.id}`, { as: as(admin), headers: ifMatch(created.body.version),
      body: { mobility: 'stretcher', companions: 0 } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ mobility: 'stretcher', oxygen: true, companions: 0 });
    const [updated] = (await auditOf(created.body.id)).filter((row) => row.action === 'trip_request.updated');
    expect(updated?.details).toEqual({ fields: ['companions', 'mobility'] });
    await db().owner.query(`UPDATE trip_requests SET status = 'scheduled' WHERE id = $1`, [created.body.id]);
    const late = await api.call('PATCH', `/v1/trip-requests/${created.body.id}`, { as: as(dispatcher),
      headers: ifMatch(changed.body.version + 1), body: { oxygen: false } });
    expect(late.status).toBe(409);
    expect((await api.call('POST', '/v1/trip-requests', { as: as(dispatcher), headers: { 'Idempotency-Key': `los4-${Date.now()}` },
      body: { facilityId, riderId, pickupAddress: 'a', dropoffAddress: 'b', appointmentAt: '2036-05-01T15:00:00Z', companions: 4 } }))
      .status).toBe(422);
  });
});

test('the public intake states the level of service; the rider takes the mobility, the trip all three', async () => {
  const intake = createTestIntake(db().as('intake'));
  const answer = await intake.submit({ body: intakeBody({ phone: phoneNumber(), mobility: 'wheelchair_xl', oxygen: true, companions: 2 }) });
  expect(answer.status).toBe(202);
  const { rows } = await db().owner.query(
    `SELECT t.mobility, t.oxygen, t.companions, r.mobility AS rider_mobility FROM trip_requests t
       JOIN riders r ON r.facility_id = t.facility_id AND r.id = t.rider_id WHERE t.reference_code = $1`, [answer.body.receiptCode]);
  expect(rows).toEqual([{ mobility: 'wheelchair_xl', oxygen: true, companions: 2, rider_mobility: 'wheelchair_xl' }]);
  expect((await intake.submit({ body: intakeBody({ phone: phoneNumber(), companions: 4 }) })).status).toBe(422);
});

test('the words agree with the database\'s rule for every level of service and vehicle of the seeded kinds', async () => {
  const vehicles: VehicleInput[] = [
    { ambulatorySeats: 3, wheelchairPositions: 0, bariatric: false, stretcher: false, oxygen: false },
    { ambulatorySeats: 2, wheelchairPositions: 2, bariatric: true, stretcher: false, oxygen: true },
    { ambulatorySeats: 1, wheelchairPositions: 1, bariatric: false, stretcher: false, oxygen: false },
    { ambulatorySeats: 1, wheelchairPositions: 0, bariatric: false, stretcher: true, oxygen: true },
  ];
  for (const input of vehicles) {
    const vehicle = await createVehicle(db().owner, input);
    for (const mobility of ['ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher'] as const) {
      for (const oxygen of [false, true]) {
        for (const companions of [0, 1, 2, 3]) {
          const { rows } = await db().owner.query<{ serves: boolean }>(
            'SELECT vehicle_serves(v, $2, $3, $4) AS serves FROM vehicles v WHERE id = $1', [vehicle.id, mobility, oxygen, companions]);
          const words = missingForService(input as Required<Omit<VehicleInput, 'name' | 'plate' | 'kind' | 'odometer'>>,
            { mobility, oxygen, companions });
          expect({ input, mobility, oxygen, companions, serves: words === undefined })
            .toEqual({ input, mobility, oxygen, companions, serves: rows[0]?.serves });
        }
      }
    }
  }
});
