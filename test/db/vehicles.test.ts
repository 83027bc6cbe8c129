import type { QueryResult } from '../../lambdas/shared/db/port';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import {
  cancelLeg, completeLeg, createFacility, createFacilityUser, createLeg, createRider, createStaffUser, createTripRequest,
  createVehicle, defaultCompletion, expectSqlError, type FacilityRow, facilityActor, getLeg, getVehicle, type LegRow,
  legWindow, type Mobility, moveVehicle, privilegeRefusal, type RiderRow, rlsRefusal, staff, type UserRow, type VehicleInput,
  vehiclePlate,
} from '../support/fixtures';

/**
 * Issue 14, schema/0022: the database refuses a vehicle on two overlapping legs, a vehicle that
 * cannot carry the trip's level of service, and one not in service, whoever issues the statement;
 * it keeps each vehicle's odometer continuous. Assignments run as a Dispatcher through nemt_api,
 * completions as the assigned Driver, as the API would.
 */
const db = useTestDatabase();

let facility: FacilityRow;
let rider: RiderRow;
let dispatcher: UserRow;
let driver: UserRow;
let otherDriver: UserRow;
let billing: UserRow;

const VEHICLE_OVERLAP = { code: '23P01', constraint: 'trip_legs_vehicle_no_overlap' };
const LACKS_SERVICE = { code: '23514', constraint: 'trip_legs_vehicle_serves' };
const NOT_IN_SERVICE = { code: '23514', constraint: 'trip_legs_vehicle_in_service' };
const BELOW_LAST_READING = { code: '23514', constraint: 'trip_legs_odometer_continuity' };

const SEDAN: VehicleInput = { kind: 'sedan', ambulatorySeats: 3, wheelchairPositions: 0, bariatric: false, stretcher: false, oxygen: false };
const WHEELCHAIR_VAN: VehicleInput = { kind: 'wheelchair_van', ambulatorySeats: 2, wheelchairPositions: 2, bariatric: false,
  stretcher: false, oxygen: false };

beforeAll(async () => {
  const owner = db().owner;
  facility = await createFacility(owner);
  rider = await createRider(owner, { facilityId: facility.id });
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  otherDriver = await createStaffUser(owner, 'Driver');
  billing = await createStaffUser(owner, 'Billing');
});

let nextDay = 0;
/** A fresh day, so windows of different tests never meet. */
function day(): string {
  nextDay += 1;
  return new Date(Date.UTC(2033, 0, 1) + nextDay * 86_400_000).toISOString().slice(0, 10);
}

async function timedLeg(start: string, minutes: number, service: { mobility?: Mobility; oxygen?: boolean; companions?: number } = {}):
  Promise<LegRow> {
  const owner = db().owner;
  const trip = await createTripRequest(owner, {
    facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id, status: 'scheduled', ...service,
  });
  return createLeg(owner, trip, { window: legWindow(start, minutes) });
}

function asDispatcher<T>(sql: string, params: unknown[]): Promise<QueryResult<T & Record<string, unknown>>> {
  return withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) =>
    tx.query<T & Record<string, unknown>>(sql, params as never));
}

function assign(leg: LegRow, driverId: string, vehicleId: string | null) {
  return asDispatcher(`UPDATE trip_legs SET status = 'assigned', driver_id = $2, vehicle_id = $3 WHERE id = $1`,
    [leg.id, driverId, vehicleId]);
}

async function assigned(leg: LegRow, driverId: string, vehicleId: string): Promise<void> {
  expect((await assign(leg, driverId, vehicleId)).rowCount).toBe(1);
  expect(await getLeg(db().owner, leg.id)).toMatchObject({ status: 'assigned', driverId, vehicleId });
}

describe('one vehicle, one leg at a time', () => {
  test('overlapping legs for one vehicle are refused by trip_legs_vehicle_no_overlap (23P01), even with two drivers', async () => {
    const van = await createVehicle(db().owner);
    const date = day();
    const first = await timedLeg(`${date}T09:00:00Z`, 60);
    const overlapping = await timedLeg(`${date}T09:30:00Z`, 60);
    await assigned(first, driver.id, van.id);
    await expectSqlError(assign(overlapping, otherDriver.id, van.id), VEHICLE_OVERLAP);
    expect(await getLeg(db().owner, overlapping.id)).toMatchObject({ status: 'unassigned', driverId: null, vehicleId: null });
  });

  test('adjacent windows share a vehicle; a cancelled leg frees it; re-timing into a clash is refused', async () => {
    const van = await createVehicle(db().owner);
    const date = day();
    const morning = await timedLeg(`${date}T08:00:00Z`, 60);
    const next = await timedLeg(`${date}T09:00:00Z`, 60);
    const noon = await timedLeg(`${date}T12:00:00Z`, 60);
    await assigned(morning, driver.id, van.id);
    await assigned(next, driver.id, van.id);
    await assigned(noon, otherDriver.id, van.id);
    await expectSqlError(asDispatcher(
      `UPDATE trip_legs SET scheduled_pickup_at = $2, scheduled_dropoff_at = $3 WHERE id = $1`,
      [noon.id, `${date}T09:30:00Z`, `${date}T10:30:00Z`]), VEHICLE_OVERLAP);
    await cancelLeg(db().owner, next.id);
    const replacement = await timedLeg(`${date}T09:15:00Z`, 30);
    await assigned(replacement, otherDriver.id, van.id);
  });

  test('of two concurrent overlapping assignments of one vehicle, exactly one commits', async () => {
    const van = await createVehicle(db().owner);
    const date = day();
    const first = await timedLeg(`${date}T09:00:00Z`, 60);
    const second = await timedLeg(`${date}T09:20:00Z`, 60);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstAssigned: () => void = () => undefined;
    const firstDone = new Promise<void>((resolve) => {
      firstAssigned = resolve;
    });
    const winner = withActor(db().as('api'), staff('Dispatcher', dispatcher.id), async (tx) => {
      const result = await tx.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2, vehicle_id = $3 WHERE id = $1`,
        [first.id, driver.id, van.id]);
      firstAssigned();
      await gate;
      return result.rowCount;
    });
    await firstDone;
    // A different driver, so only the vehicle can clash; waits on the first transaction's row.
    const loser = assign(second, otherDriver.id, van.id);
    release();
    expect(await winner).toBe(1);
    await expectSqlError(loser, VEHICLE_OVERLAP);
    expect(await getLeg(db().owner, second.id)).toMatchObject({ driverId: null, vehicleId: null });
  });
});

describe('the vehicle must serve the trip\'s level of service (trip_legs_vehicle_serves, 23514)', () => {
  const cases: [string, { mobility?: Mobility; oxygen?: boolean; companions?: number }, VehicleInput, boolean][] = [
    ['an ambulatory rider in a sedan', {}, SEDAN, true],
    ['an ambulatory rider with 2 companions in a 3-seat sedan', { companions: 2 }, SEDAN, true],
    ['an ambulatory rider with 3 companions in a 3-seat sedan', { companions: 3 }, SEDAN, false],
    ['a wheelchair rider in a sedan', { mobility: 'wheelchair' }, SEDAN, false],
    ['a wheelchair rider in a wheelchair van', { mobility: 'wheelchair' }, WHEELCHAIR_VAN, true],
    ['a wheelchair rider with 3 companions in a van with 2 seats', { mobility: 'wheelchair', companions: 3 }, WHEELCHAIR_VAN, false],
    ['a bariatric wheelchair rider in a van without a bariatric lift', { mobility: 'wheelchair_xl' }, WHEELCHAIR_VAN, false],
    ['a bariatric wheelchair rider in a van with one', { mobility: 'wheelchair_xl' }, { ...WHEELCHAIR_VAN, bariatric: true }, true],
    ['a stretcher rider in a wheelchair van', { mobility: 'stretcher' }, WHEELCHAIR_VAN, false],
    ['a stretcher rider in a stretcher van', { mobility: 'stretcher' },
      { kind: 'stretcher_van', ambulatorySeats: 1, wheelchairPositions: 0, bariatric: false, stretcher: true, oxygen: false }, true],
    ['a rider on oxygen in a van without oxygen', { mobility: 'wheelchair', oxygen: true }, WHEELCHAIR_VAN, false],
    ['a rider on oxygen in a van with it', { mobility: 'wheelchair', oxygen: true }, { ...WHEELCHAIR_VAN, oxygen: true }, true],
  ];

  test.each(cases)('%s', async (_label, service, vehicle, served) => {
    const van = await createVehicle(db().owner, vehicle);
    const leg = await timedLeg(`${day()}T09:00:00Z`, 45, service);
    if (served) await assigned(leg, driver.id, van.id);
    else await expectSqlError(assign(leg, driver.id, van.id), LACKS_SERVICE);
  });

  test('the SQL rule and its cases agree: vehicle_serves() answers each case', async () => {
    for (const [label, service, vehicle, served] of cases) {
      const van = await createVehicle(db().owner, vehicle);
      const { rows } = await db().owner.query<{ serves: boolean }>(
        'SELECT vehicle_serves(v, $2, $3, $4) AS serves FROM vehicles v WHERE id = $1',
        [van.id, service.mobility ?? 'ambulatory', service.oxygen ?? false, service.companions ?? 0]);
      expect({ label, serves: rows[0]?.serves }).toEqual({ label, serves: served });
    }
  });
});

describe('only vehicles in service take legs (trip_legs_vehicle_in_service, 23514)', () => {
  test.each([['out of service', 'out_of_service'], ['retired', 'retired']] as const)('a vehicle %s is refused', async (_label, status) => {
    const van = await moveVehicle(db().owner, (await createVehicle(db().owner)).id, status);
    await expectSqlError(assign(await timedLeg(`${day()}T09:00:00Z`, 45), driver.id, van.id), NOT_IN_SERVICE);
  });

  test('a vehicle back in service takes legs again', async () => {
    const van = await createVehicle(db().owner);
    await moveVehicle(db().owner, van.id, 'out_of_service', 'Brakes');
    await moveVehicle(db().owner, van.id, 'in_service');
    await assigned(await timedLeg(`${day()}T09:00:00Z`, 45), driver.id, van.id);
  });

  test('a new assignment needs a vehicle, and unassigning clears both', async () => {
    const leg = await timedLeg(`${day()}T09:00:00Z`, 45);
    await expectSqlError(assign(leg, driver.id, null), { code: '23514', constraint: 'trip_legs_assignment_has_vehicle' });
    const van = await createVehicle(db().owner);
    await assigned(leg, driver.id, van.id);
    await expectSqlError(asDispatcher(`UPDATE trip_legs SET status = 'unassigned', driver_id = NULL WHERE id = $1`, [leg.id]),
      { code: '23514', constraint: 'trip_legs_vehicle_needs_driver' });
    await asDispatcher(`UPDATE trip_legs SET status = 'unassigned', driver_id = NULL, vehicle_id = NULL WHERE id = $1`, [leg.id]);
    expect(await getLeg(db().owner, leg.id)).toMatchObject({ status: 'unassigned', driverId: null, vehicleId: null });
  });

  test('a leg assigned before vehicles existed (no vehicle) still runs to completion', async () => {
    const leg = await timedLeg(`${day()}T09:00:00Z`, 45);
    // As the migration found it: assigned without a vehicle, written with the checks off.
    await db().owner.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2 WHERE id = $1`, [leg.id, driver.id]);
    });
    expect(await completeLeg(db().owner, leg.id, driver.id)).toMatchObject({ status: 'completed', vehicleId: null });
  });
});

describe('the level of service is frozen once the trip is scheduled', () => {
  test('a Dispatcher changes it while requested, not after', async () => {
    const owner = db().owner;
    const trip = await createTripRequest(owner, {
      facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id });
    const change = (values: [Mobility, boolean, number]) => asDispatcher(
      'UPDATE trip_requests SET mobility = $2, oxygen = $3, companions = $4 WHERE id = $1', [trip.id, ...values]);
    expect((await change(['wheelchair_xl', true, 1])).rowCount).toBe(1);
    await owner.query(`UPDATE trip_requests SET status = 'scheduled' WHERE id = $1`, [trip.id]);
    for (const values of [['stretcher', true, 1], ['wheelchair_xl', false, 1], ['wheelchair_xl', true, 2]] as [Mobility, boolean, number][]) {
      await expectSqlError(change(values), { code: '55000', message: /level of service can change only while it is requested/ });
    }
    const { rows } = await owner.query('SELECT mobility, oxygen, companions FROM trip_requests WHERE id = $1', [trip.id]);
    expect(rows[0]).toEqual({ mobility: 'wheelchair_xl', oxygen: true, companions: 1 });
  });

  test('companions are 0 to 3', async () => {
    await expectSqlError(createTripRequest(db().owner, {
      facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id, companions: 4 }),
    { code: '23514', constraint: 'trip_requests_companions_range' });
  });
});

describe('odometer continuity', () => {
  test('completion moves the vehicle\'s reading to the leg\'s end; a start below it is refused', async () => {
    const van = await createVehicle(db().owner, { odometer: 1000 });
    const date = day();
    const first = await timedLeg(`${date}T08:00:00Z`, 60);
    await assigned(first, driver.id, van.id);
    await completeLeg(db().owner, first.id, driver.id, defaultCompletion({ odometerStart: 1000, odometerEnd: 1012.5 }));
    expect((await getVehicle(db().owner, van.id)).odometer).toBe('1012.5');

    const second = await timedLeg(`${date}T10:00:00Z`, 60);
    await assigned(second, driver.id, van.id);
    await expectSqlError(completeLeg(db().owner, second.id, driver.id, defaultCompletion({ odometerStart: 1010, odometerEnd: 1020 })),
      BELOW_LAST_READING);
    expect(await getLeg(db().owner, second.id)).toMatchObject({ status: 'assigned' });
    await completeLeg(db().owner, second.id, driver.id, defaultCompletion({ odometerStart: 1012.5, odometerEnd: 1020 }));
    expect((await getVehicle(db().owner, van.id)).odometer).toBe('1020.0');
  });

  test('a vehicle without a reading takes the first leg\'s figures', async () => {
    const van = await createVehicle(db().owner);
    const leg = await timedLeg(`${day()}T08:00:00Z`, 60);
    await assigned(leg, driver.id, van.id);
    await completeLeg(db().owner, leg.id, driver.id, defaultCompletion({ odometerStart: 50, odometerEnd: 61 }));
    expect((await getVehicle(db().owner, van.id)).odometer).toBe('61.0');
  });

  test('a leg under way when its vehicle is retired still completes; the retired record stays as it was', async () => {
    const van = await createVehicle(db().owner, { odometer: 10 });
    const leg = await timedLeg(`${day()}T08:00:00Z`, 60);
    await assigned(leg, driver.id, van.id);
    await db().owner.transaction((tx) => tx.query(`UPDATE trip_legs SET status = 'en_route' WHERE id = $1`, [leg.id]),
      { settings: { 'app.role': 'Driver', 'app.sub': driver.id } });
    await moveVehicle(db().owner, van.id, 'retired');
    await completeLeg(db().owner, leg.id, driver.id, defaultCompletion({ odometerStart: 10, odometerEnd: 20 }));
    expect(await getVehicle(db().owner, van.id)).toMatchObject({ status: 'retired', odometer: '10.0' });
  });
});

describe('row-level security and guards on vehicles', () => {
  test('facility roles see no vehicles; staff see them', async () => {
    const van = await createVehicle(db().owner);
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility.id);
    const count = (actor: Parameters<typeof withActor>[1]) => withActor(db().as('api'), actor, async (tx) =>
      (await tx.query('SELECT id FROM vehicles WHERE id = $1', [van.id])).rowCount);
    expect(await count(facilityActor('FacilityAdmin', facility.id, admin.id))).toBe(0);
    expect(await count(facilityActor('FacilityUser', facility.id, admin.id))).toBe(0);
    expect(await count(staff('Dispatcher', dispatcher.id))).toBe(1);
    expect(await count(staff('Driver', driver.id))).toBe(1);
    expect(await count(staff('Billing', billing.id))).toBe(1);
  });

  test('drivers, billing and facility admins cannot create or change vehicles', async () => {
    const van = await createVehicle(db().owner);
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility.id);
    for (const actor of [staff('Driver', driver.id), staff('Billing', billing.id), facilityActor('FacilityAdmin', facility.id, admin.id)]) {
      await expectSqlError(withActor(db().as('api'), actor, (tx) => tx.query(
        `INSERT INTO vehicles (name, plate, kind, ambulatory_seats) VALUES ('Mine', $1, 'sedan', 3)`, [vehiclePlate()])),
      rlsRefusal('vehicles'));
      const updated = await withActor(db().as('api'), actor, (tx) =>
        tx.query('UPDATE vehicles SET odometer = 1 WHERE id = $1', [van.id]));
      expect(updated.rowCount).toBe(0);
    }
    await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) =>
      tx.query('DELETE FROM vehicles WHERE id = $1', [van.id])), privilegeRefusal('vehicles'));
    expect(await getVehicle(db().owner, van.id)).toMatchObject({ odometer: null, version: 1 });
  });

  test('a driver cannot move their leg to another vehicle', async () => {
    const van = await createVehicle(db().owner);
    const other = await createVehicle(db().owner);
    const leg = await timedLeg(`${day()}T09:00:00Z`, 45);
    await assigned(leg, driver.id, van.id);
    await expectSqlError(withActor(db().as('api'), staff('Driver', driver.id), (tx) =>
      tx.query('UPDATE trip_legs SET vehicle_id = $2 WHERE id = $1', [leg.id, other.id])),
    { code: '42501', message: 'drivers may record status and completion only' });
  });

  test('a Dispatcher cannot set a reading below zero, and the status follows the vehicle lifecycle', async () => {
    const van = await createVehicle(db().owner);
    await expectSqlError(asDispatcher('UPDATE vehicles SET odometer = -1 WHERE id = $1', [van.id]), { code: '23514' });
    await expectSqlError(asDispatcher(`UPDATE vehicles SET status = 'out_of_service' WHERE id = $1`, [van.id]),
      { code: '23514', constraint: 'vehicles_out_of_service_has_reason' });
    await moveVehicle(db().owner, van.id, 'retired');
    await expectSqlError(asDispatcher(`UPDATE vehicles SET status = 'in_service' WHERE id = $1`, [van.id]), { code: '55000' });
    await expectSqlError(asDispatcher(`UPDATE vehicles SET name = 'Renamed' WHERE id = $1`, [van.id]), { code: '55000' });
  });

  test('two live vehicles never share a plate; a retired one hands it on', async () => {
    const plate = vehiclePlate();
    const old = await createVehicle(db().owner, { plate });
    await expectSqlError(createVehicle(db().owner, { plate }), { code: '23505', constraint: 'vehicles_live_plate' });
    await moveVehicle(db().owner, old.id, 'retired');
    expect((await createVehicle(db().owner, { plate })).plate).toBe(plate);
  });
});

describe('leg_service_level (schema/0027): what a leg needs, told only to who may act on the leg', () => {
  test('a Dispatcher and the assigned Driver read it; another driver, Billing and the facility get nothing', async () => {
    const leg = await timedLeg(`${day()}T14:00:00Z`, 40, { mobility: 'stretcher', oxygen: true, companions: 2 });
    const van = await createVehicle(db().owner, { name: 'Stretcher 9', plate: vehiclePlate(), kind: 'stretcher_van',
      ambulatorySeats: 2, wheelchairPositions: 0, bariatric: false, stretcher: true, oxygen: true });
    await assigned(leg, driver.id, van.id);
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility.id);
    const serviceFor = async (actor: Parameters<typeof withActor>[1]) =>
      (await withActor(db().as('api'), actor, (tx) =>
        tx.query<{ service: unknown }>('SELECT leg_service_level($1) AS service', [leg.id]))).rows[0]?.service;
    const expected = { mobility: 'stretcher', oxygen: true, companions: 2 };
    expect(await serviceFor(staff('Dispatcher', dispatcher.id))).toEqual(expected);
    expect(await serviceFor(staff('Driver', driver.id))).toEqual(expected);
    expect(await serviceFor(staff('Driver', otherDriver.id))).toBeNull();
    expect(await serviceFor(staff('Billing', billing.id))).toBeNull();
    expect(await serviceFor(facilityActor('FacilityAdmin', facility.id, admin.id))).toBeNull();
  });
});
