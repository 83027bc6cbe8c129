import type { QueryResult } from '../../lambdas/shared/db/port';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import {
  cancelLeg, completeLeg, createFacility, createFacilityUser, createLeg, createRider, createStaffUser, createTripRequest, createVehicle,
  expectSqlError, type FacilityRow, getLeg, type LegRow, legWindow, type RiderRow, staff, type UserRow,
} from '../support/fixtures';

/**
 * PRODUCT §4: a driver can never hold two legs whose windows overlap, enforced by the
 * trip_legs_driver_no_overlap exclusion constraint whatever the code does; and only active
 * drivers can be assigned. Assignments run as a Dispatcher through nemt_api, as the API would.
 */
const db = useTestDatabase();

let facility: FacilityRow;
let rider: RiderRow;
let dispatcher: UserRow;
let driver: UserRow;
let otherDriver: UserRow;

const OVERLAP = { code: '23P01', constraint: 'trip_legs_driver_no_overlap' };
const NOT_A_DRIVER = { code: '23514', message: 'legs are assigned to active drivers only' };

beforeAll(async () => {
  const owner = db().owner;
  facility = await createFacility(owner);
  rider = await createRider(owner, { facilityId: facility.id });
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  otherDriver = await createStaffUser(owner, 'Driver');
});

/** An unassigned outbound leg of a fresh scheduled trip, in the window given (UTC). */
async function timedLeg(start: string, minutes: number): Promise<LegRow> {
  const owner = db().owner;
  const trip = await createTripRequest(owner, {
    facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id, status: 'scheduled',
  });
  return createLeg(owner, trip, { window: legWindow(start, minutes) });
}

async function willCallLeg(): Promise<LegRow> {
  const owner = db().owner;
  const trip = await createTripRequest(owner, {
    facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id, status: 'scheduled',
    returnTrip: 'will_call',
  });
  return createLeg(owner, trip, { kind: 'return', willCall: true });
}

/** With a vehicle of its own each time (schema/0022), so only the driver can clash. */
async function assign(leg: LegRow, driverId: string): Promise<QueryResult<Record<string, unknown>>> {
  const vehicle = await createVehicle(db().owner);
  return withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) =>
    tx.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2, vehicle_id = $3 WHERE id = $1`, [leg.id, driverId, vehicle.id]));
}

async function assigned(leg: LegRow, driverId: string): Promise<void> {
  expect((await assign(leg, driverId)).rowCount).toBe(1);
  expect(await getLeg(db().owner, leg.id)).toMatchObject({ status: 'assigned', driverId });
}

test('overlapping windows for one driver are refused by the exclusion constraint (23P01)', async () => {
  const first = await timedLeg('2032-01-05T09:00:00Z', 60);
  const overlapping = await timedLeg('2032-01-05T09:30:00Z', 60);
  const inside = await timedLeg('2032-01-05T09:10:00Z', 20);
  await assigned(first, driver.id);
  await expectSqlError(assign(overlapping, driver.id), OVERLAP);
  await expectSqlError(assign(inside, driver.id), OVERLAP);
  expect(await getLeg(db().owner, overlapping.id)).toMatchObject({ status: 'unassigned', driverId: null });
  await assigned(overlapping, otherDriver.id);
});

test('adjacent windows are allowed (a window ends where the next begins)', async () => {
  const middle = await timedLeg('2032-01-06T10:00:00Z', 60);
  const before = await timedLeg('2032-01-06T09:00:00Z', 60);
  const after = await timedLeg('2032-01-06T11:00:00Z', 45);
  await assigned(middle, driver.id);
  await assigned(before, driver.id);
  await assigned(after, driver.id);
});

test('rescheduling an assigned leg into another of the driver\'s windows is refused (23P01)', async () => {
  const morning = await timedLeg('2032-01-07T08:00:00Z', 60);
  const noon = await timedLeg('2032-01-07T12:00:00Z', 60);
  await assigned(morning, driver.id);
  await assigned(noon, driver.id);
  await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) => tx.query(
    `UPDATE trip_legs SET scheduled_pickup_at = '2032-01-07T08:30:00Z', scheduled_dropoff_at = '2032-01-07T09:30:00Z'
     WHERE id = $1`, [noon.id])), OVERLAP);
});

test('a cancelled leg frees its window', async () => {
  const cancelled = await timedLeg('2032-01-08T09:00:00Z', 60);
  const replacement = await timedLeg('2032-01-08T09:00:00Z', 60);
  await assigned(cancelled, driver.id);
  await expectSqlError(assign(replacement, driver.id), OVERLAP);
  await withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) =>
    tx.query(`UPDATE trip_legs SET status = 'cancelled' WHERE id = $1`, [cancelled.id]));
  expect(await getLeg(db().owner, cancelled.id)).toMatchObject({ status: 'cancelled', driverId: driver.id });
  await assigned(replacement, driver.id);
});

test('a completed leg keeps its window: the driver was really there', async () => {
  const done = await timedLeg('2032-01-09T09:00:00Z', 60);
  await completeLeg(db().owner, done.id, driver.id);
  await expectSqlError(assign(await timedLeg('2032-01-09T09:15:00Z', 30), driver.id), OVERLAP);
});

test('a will-call leg without times blocks nothing, until it is given an overlapping time', async () => {
  const timed = await timedLeg('2032-01-10T14:00:00Z', 60);
  const willCall = await willCallLeg();
  const secondWillCall = await willCallLeg();
  expect(willCall).toMatchObject({ willCall: true, scheduledPickupAt: null, scheduledDropoffAt: null });
  await assigned(willCall, driver.id);
  await assigned(secondWillCall, driver.id);
  await assigned(timed, driver.id);
  await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) => tx.query(
    `UPDATE trip_legs SET scheduled_pickup_at = '2032-01-10T14:30:00Z', scheduled_dropoff_at = '2032-01-10T15:00:00Z'
     WHERE id = $1`, [willCall.id])), OVERLAP);
  const later = await withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) => tx.query(
    `UPDATE trip_legs SET scheduled_pickup_at = '2032-01-10T15:00:00Z', scheduled_dropoff_at = '2032-01-10T15:30:00Z'
     WHERE id = $1`, [willCall.id]));
  expect(later.rowCount).toBe(1);
});

test('of two concurrent overlapping assignments, exactly one commits', async () => {
  const first = await timedLeg('2032-01-11T09:00:00Z', 60);
  const second = await timedLeg('2032-01-11T09:20:00Z', 60);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let firstAssigned: () => void = () => undefined;
  const firstDone = new Promise<void>((resolve) => {
    firstAssigned = resolve;
  });
  const vehicle = await createVehicle(db().owner);
  const winner = withActor(db().as('api'), staff('Dispatcher', dispatcher.id), async (tx) => {
    const result = await tx.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2, vehicle_id = $3 WHERE id = $1`,
      [first.id, driver.id, vehicle.id]);
    firstAssigned();
    await gate;
    return result.rowCount;
  });
  await firstDone;
  // Waits on the first transaction's uncommitted row, then sees it commit.
  const loser = assign(second, driver.id);
  release();
  expect(await winner).toBe(1);
  await expectSqlError(loser, OVERLAP);
  expect((await getLeg(db().owner, second.id)).driverId).toBeNull();
});

describe('only active drivers can be assigned', () => {
  test.each([
    ['a Dispatcher', () => dispatcher.id],
    ['a Billing user', async () => (await createStaffUser(db().owner, 'Billing')).id],
    ['a FacilityAdmin', async () => (await createFacilityUser(db().owner, 'FacilityAdmin', facility.id)).id],
    ['an inactive driver', async () => (await createStaffUser(db().owner, 'Driver', { active: false })).id],
  ])('assigning %s is refused (23514)', async (_who, userId) => {
    const leg = await timedLeg('2032-02-01T09:00:00Z', 30);
    await expectSqlError(assign(leg, await userId()), NOT_A_DRIVER);
  });

  test('a leg cannot be born with a driver (it starts unassigned)', async () => {
    const leg = await timedLeg('2032-02-02T09:00:00Z', 30);
    await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), (tx) => tx.query(
      `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, driver_id, pickup_address, dropoff_address,
                              scheduled_pickup_at, scheduled_dropoff_at)
       VALUES ($1, $2, $3, 'return', $4, 'a', 'b', '2032-02-02T12:00:00Z', '2032-02-02T12:30:00Z')`,
      [facility.id, leg.tripRequestId, rider.id, dispatcher.id])), { code: '23514', constraint: 'trip_legs_assigned_has_driver' });
  });

  test('a temp table named users cannot vouch for a non-driver', async () => {
    const leg = await timedLeg('2032-02-03T09:00:00Z', 30);
    await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), async (tx) => {
      await tx.query('CREATE TEMP TABLE users (id uuid, role text, active boolean)');
      await tx.query(`INSERT INTO users VALUES ($1, 'Driver', true)`, [dispatcher.id]);
      return tx.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2 WHERE id = $1`, [leg.id, dispatcher.id]);
    }), NOT_A_DRIVER);
  });

  test('cancelling an assigned leg keeps the record of who held it but frees the driver', async () => {
    const leg = await timedLeg('2032-02-04T09:00:00Z', 30);
    await assigned(leg, otherDriver.id);
    const cancelled = await cancelLeg(db().owner, leg.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', driverId: otherDriver.id });
    await assigned(await timedLeg('2032-02-04T09:00:00Z', 30), otherDriver.id);
  });
});
