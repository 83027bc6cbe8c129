import type { QueryResult, SqlParam } from '../../lambdas/shared/db/port';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import {
  assignLeg, billingRecordsForLeg, cancelLeg, completeLeg, countRows, createCancellationRequest, createFacility, createLeg,
  createRider, createStaffUser, createTripRequest, decideCancellationRequest, driveLeg, expectSqlError, type FacilityRow,
  getBillingRecord, getLeg, getTripRequest, type LegRow, moveBillingRecord, moveTripRequest, type RiderRow, staff,
  type TripRequestRow, type UserRow,
} from '../support/fixtures';

/**
 * SECURITY S5 and PRODUCT §4–5: lifecycles are enforced by the database for every role, the
 * owner included. Final rows refuse UPDATE, only listed transitions happen, rows are born in
 * their initial state, identity never changes, and the derived effects (billing record, trip
 * status) follow the legs.
 */
const db = useTestDatabase();

let facility: FacilityRow;
let otherFacility: FacilityRow;
let rider: RiderRow;
let dispatcher: UserRow;
let driver: UserRow;
let billing: UserRow;

beforeAll(async () => {
  const owner = db().owner;
  facility = await createFacility(owner);
  otherFacility = await createFacility(owner);
  rider = await createRider(owner, { facilityId: facility.id });
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  billing = await createStaffUser(owner, 'Billing');
});

function newTrip(status: TripRequestRow['status'] = 'requested'): Promise<TripRequestRow> {
  return createTripRequest(db().owner, {
    facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id, status,
  });
}

type Run = (sql: string, params: SqlParam[]) => Promise<QueryResult<Record<string, unknown>>>;

const runners: [string, () => Run][] = [
  ['nemt_api as a Dispatcher', () => (sql, params) => withActor(db().as('api'), staff('Dispatcher', dispatcher.id),
    (tx) => tx.query(sql, params))],
  ['the owner', () => (sql, params) => db().owner.query(sql, params)],
];

describe.each(runners)('as %s', (who, runner) => {
  let completedLeg: LegRow;
  let noShowLeg: LegRow;
  let cancelledLeg: LegRow;
  let unassignedLeg: LegRow;
  let assignedLeg: LegRow;
  let requestedTrip: TripRequestRow;
  const finalTrips = new Map<string, TripRequestRow>();
  const finalCancellations = new Map<string, string>();

  beforeAll(async () => {
    const owner = db().owner;
    const scheduled = await newTrip('scheduled');
    completedLeg = await completeLeg(owner, (await createLeg(owner, scheduled, { kind: 'outbound' })).id, driver.id);
    noShowLeg = await driveLeg(owner, (await createLeg(owner, await newTrip('scheduled'))).id, 'no_show', { driverId: driver.id });
    cancelledLeg = await cancelLeg(owner, (await createLeg(owner, await newTrip('scheduled'))).id);
    requestedTrip = await newTrip();
    unassignedLeg = await createLeg(owner, requestedTrip);
    assignedLeg = await assignLeg(owner, (await createLeg(owner, await newTrip('scheduled'))).id, driver.id);
    for (const status of ['completed', 'rejected', 'cancelled'] as const) finalTrips.set(status, await newTrip(status));
    for (const decision of ['approved', 'denied'] as const) {
      const request = await createCancellationRequest(owner, { trip: await newTrip(), requestedBy: dispatcher.id });
      await decideCancellationRequest(owner, request.id, { decision, decidedBy: dispatcher.id });
      finalCancellations.set(decision, request.id);
    }
  });

  const legs = () => ({ completed: completedLeg, no_show: noShowLeg, cancelled: cancelledLeg });

  test.each(['completed', 'no_show', 'cancelled'] as const)('a %s leg refuses any UPDATE (55000)', async (status) => {
    const leg = legs()[status];
    expect(leg.status).toBe(status);
    const refusal = { code: '55000', message: `trip_leg ${leg.id} is ${status} and can no longer change` };
    await expectSqlError(runner()(`UPDATE trip_legs SET pickup_address = 'Rewritten' WHERE id = $1`, [leg.id]), refusal);
    await expectSqlError(runner()(`UPDATE trip_legs SET status = 'unassigned', driver_id = NULL WHERE id = $1`, [leg.id]), refusal);
    expect((await getLeg(db().owner, leg.id)).version).toBe(leg.version);
  });

  test.each(['completed', 'rejected', 'cancelled'] as const)('a %s trip request refuses any UPDATE (55000)', async (status) => {
    const trip = finalTrips.get(status) as TripRequestRow;
    expect(trip.status).toBe(status);
    const refusal = { code: '55000', message: `trip_request ${trip.id} is ${status} and can no longer change` };
    await expectSqlError(runner()(`UPDATE trip_requests SET pickup_address = 'Rewritten' WHERE id = $1`, [trip.id]), refusal);
    await expectSqlError(runner()(`UPDATE trip_requests SET status = 'requested', rejection_reason = NULL WHERE id = $1`,
      [trip.id]), refusal);
    expect((await getTripRequest(db().owner, trip.id)).version).toBe(trip.version);
  });

  test.each(['approved', 'denied'] as const)('an %s cancellation request refuses any UPDATE (55000)', async (status) => {
    const id = finalCancellations.get(status) as string;
    await expectSqlError(runner()(`UPDATE cancellation_requests SET reason_text = 'Rewritten' WHERE id = $1`, [id]),
      { code: '55000', message: `cancellation_request ${id} is ${status} and can no longer change` });
  });

  test.each([
    ['trip request requested → completed', 'trip_requests', () => requestedTrip.id, `status = 'completed'`,
      'trip_request cannot move from requested to completed'],
    ['trip request requested → in_progress', 'trip_requests', () => requestedTrip.id, `status = 'in_progress'`,
      'trip_request cannot move from requested to in_progress'],
    ['leg unassigned → completed', 'trip_legs', () => unassignedLeg.id, `status = 'completed'`,
      'trip_leg cannot move from unassigned to completed'],
    ['leg assigned → picked_up', 'trip_legs', () => assignedLeg.id, `status = 'picked_up'`,
      'trip_leg cannot move from assigned to picked_up'],
    ['leg assigned → no_show', 'trip_legs', () => assignedLeg.id, `status = 'no_show', no_show_reason = 'x'`,
      'trip_leg cannot move from assigned to no_show'],
  ])('refuses the invalid transition %s (55000)', async (_name, table, id, set, message) => {
    await expectSqlError(runner()(`UPDATE ${table} SET ${set} WHERE id = $1`, [id()]), { code: '55000', message });
  });

  test('refuses rows inserted in a non-initial state (55000)', async () => {
    await expectSqlError(runner()(
      `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, status, pickup_address, dropoff_address,
                                  appointment_at)
       VALUES ($1, $2, 'dispatcher', $3, 'scheduled', 'a', 'b', '2030-09-01T10:00:00Z')`, [facility.id, rider.id, dispatcher.id]),
    { code: '55000', message: 'trip_request must start in its initial state, not scheduled' });
    await expectSqlError(runner()(
      `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, status, driver_id, pickup_address, dropoff_address,
                              scheduled_pickup_at, scheduled_dropoff_at)
       VALUES ($1, $2, $3, 'return', 'assigned', $4, 'a', 'b', '2030-09-01T12:00:00Z', '2030-09-01T12:30:00Z')`,
      [facility.id, requestedTrip.id, rider.id, driver.id]),
    { code: '55000', message: 'trip_leg must start in its initial state, not assigned' });
    await expectSqlError(runner()(
      `INSERT INTO cancellation_requests (facility_id, trip_request_id, status, reason_code, requested_by, decided_by)
       VALUES ($1, $2, 'approved', 'changed_plans', $3, $3)`, [facility.id, requestedTrip.id, dispatcher.id]),
    { code: '55000', message: 'cancellation_request must start in its initial state, not approved' });
  });

  test.each([
    ['facility_id', () => `facility_id = '${otherFacility.id}'`],
    ['id', () => 'id = gen_random_uuid()'],
    ['created_at', () => `created_at = created_at - interval '1 day'`],
  ])('%s of a live row cannot change (42501)', async (_column, set) => {
    const targets: [string, string][] = [
      ['trip_requests', requestedTrip.id],
      ['trip_legs', unassignedLeg.id],
      ['riders', rider.id],
    ];
    for (const [table, id] of targets) {
      await expectSqlError(runner()(`UPDATE ${table} SET ${set()} WHERE id = $1`, [id]),
        { code: '42501', message: `id, facility_id and created_at of ${table} cannot change` });
    }
  });

  // A user's facility changes with its role, by a Dispatcher's audited action (schema/0026, S30):
  // for anyone else it is as fixed as any row's; for a Dispatcher the role's tenant rule still holds.
  test.each([
    ['id', () => 'id = gen_random_uuid()', 'id and created_at of a user cannot change'],
    ['created_at', () => `created_at = created_at - interval '1 day'`, 'id and created_at of a user cannot change'],
  ])("a user's %s never changes (42501)", async (_column, set, message) => {
    await expectSqlError(runner()(`UPDATE users SET ${set()} WHERE id = $1`, [dispatcher.id]), { code: '42501', message });
  });

  test("a user's facility changes only with a role that has one, and only while a Dispatcher acts", async () => {
    const refusal = await expectSqlError(runner()(`UPDATE users SET facility_id = $2 WHERE id = $1`, [dispatcher.id, otherFacility.id]),
      { code: who === 'the owner' ? '42501' : '23514' });
    if (who !== 'the owner') expect(refusal.constraint).toBe('users_tenant_matches_role');
  });
});

describe('billing records', () => {
  async function freshRecord(): Promise<string> {
    const owner = db().owner;
    const leg = await completeLeg(owner, (await createLeg(owner, await newTrip('scheduled'))).id, driver.id);
    const [record] = await billingRecordsForLeg(owner, leg.id);
    if (!record) throw new Error('no billing record');
    return record.id;
  }

  const asBilling = (sql: string, params: SqlParam[]) => withActor(db().as('api'), staff('Billing', billing.id),
    (tx) => tx.query(sql, params));

  test.each(['paid', 'written_off'] as const)('a %s record refuses UPDATE as Billing and as the owner (55000)', async (status) => {
    const id = await freshRecord();
    const path: Record<typeof status, Parameters<typeof moveBillingRecord>[2][]> = {
      paid: ['ready', 'invoiced', 'paid'],
      written_off: ['written_off'],
    };
    for (const step of path[status]) await moveBillingRecord(db().owner, id, step);
    const refusal = { code: '55000', message: `billing_record ${id} is ${status} and can no longer change` };
    await expectSqlError(asBilling(`UPDATE billing_records SET note = 'x' WHERE id = $1`, [id]), refusal);
    await expectSqlError(db().owner.query(`UPDATE billing_records SET status = 'ready' WHERE id = $1`, [id]), refusal);
  });

  test('on_hold returns only to the state it was held from', async () => {
    const id = await freshRecord();
    const hold = `UPDATE billing_records SET status = 'on_hold', held_from = status WHERE id = $1`;
    const release = (to: string) => asBilling('UPDATE billing_records SET status = $2, held_from = NULL WHERE id = $1', [id, to]);
    expect((await asBilling(hold, [id])).rowCount).toBe(1);
    expect(await getBillingRecord(db().owner, id)).toMatchObject({ status: 'on_hold', heldFrom: 'pending' });
    await expectSqlError(release('ready'), { code: '55000', message: 'a held billing record returns to pending, not ready' });
    await expectSqlError(release('invoiced'), { code: '55000', message: 'a held billing record returns to pending, not invoiced' });
    expect((await release('pending')).rowCount).toBe(1);
    expect((await asBilling(`UPDATE billing_records SET status = 'ready' WHERE id = $1`, [id])).rowCount).toBe(1);
    expect((await asBilling(hold, [id])).rowCount).toBe(1);
    expect(await getBillingRecord(db().owner, id)).toMatchObject({ status: 'on_hold', heldFrom: 'ready' });
    expect((await release('ready')).rowCount).toBe(1);
    expect(await getBillingRecord(db().owner, id)).toMatchObject({ status: 'ready', heldFrom: null });
  });

  test('a hold must record where the record really was, and cannot be rewritten while held (55000)', async () => {
    const id = await freshRecord();
    const refusal = { code: '55000', message: 'a billing record is held from the state it was in' };
    await expectSqlError(asBilling(`UPDATE billing_records SET status = 'on_hold', held_from = 'invoiced' WHERE id = $1`, [id]),
      refusal);
    await moveBillingRecord(db().owner, id, 'on_hold');
    await expectSqlError(asBilling(`UPDATE billing_records SET held_from = 'invoiced' WHERE id = $1`, [id]), refusal);
    expect(await getBillingRecord(db().owner, id)).toMatchObject({ status: 'on_hold', heldFrom: 'pending' });
    expect((await asBilling(`UPDATE billing_records SET status = 'written_off', held_from = NULL WHERE id = $1`, [id])).rowCount)
      .toBe(1);
  });

  test('refuses the invalid transition pending → paid (55000)', async () => {
    const id = await freshRecord();
    await expectSqlError(asBilling(`UPDATE billing_records SET status = 'paid' WHERE id = $1`, [id]),
      { code: '55000', message: 'billing_record cannot move from pending to paid' });
  });
});

describe('effects the database derives from legs', () => {
  async function tripAudit(tripId: string): Promise<{ action: string; from_state: string | null; to_state: string | null }[]> {
    const { rows } = await db().owner.query<{ action: string; from_state: string | null; to_state: string | null }>(
      `SELECT action, from_state, to_state FROM audit_events WHERE entity_type = 'trip_request' AND entity_id = $1 ORDER BY seq`,
      [tripId]);
    return rows;
  }

  test('completing a leg creates exactly one pending billing record and its audit event', async () => {
    const owner = db().owner;
    const trip = await newTrip('scheduled');
    const leg = await completeLeg(owner, (await createLeg(owner, trip)).id, driver.id);
    const records = await billingRecordsForLeg(owner, leg.id);
    expect(records).toEqual([expect.objectContaining({
      facilityId: facility.id, tripRequestId: trip.id, status: 'pending', heldFrom: null, legOutcome: 'completed', mileage: '12.5',
    })]);
    const { rows } = await owner.query<{ action: string; actor_role: string; actor_sub: string; to_state: string }>(
      `SELECT action, actor_role, actor_sub, to_state FROM audit_events WHERE entity_type = 'billing_record' AND entity_id = $1`,
      [records[0]?.id ?? null]);
    expect(rows).toEqual([{ action: 'billing_record.created', actor_role: 'System', actor_sub: driver.id, to_state: 'pending' }]);
  });

  test('completing all legs moves the trip scheduled → in_progress → completed, each step audited', async () => {
    const owner = db().owner;
    const trip = await newTrip('scheduled');
    const outbound = await createLeg(owner, trip, { kind: 'outbound' });
    const inbound = await createLeg(owner, trip, { kind: 'return' });
    await driveLeg(owner, outbound.id, 'en_route', { driverId: driver.id });
    expect((await getTripRequest(owner, trip.id)).status).toBe('in_progress');
    await completeLeg(owner, outbound.id, driver.id);
    expect((await getTripRequest(owner, trip.id)).status).toBe('in_progress');
    await completeLeg(owner, inbound.id, driver.id);
    expect((await getTripRequest(owner, trip.id)).status).toBe('completed');
    expect(await tripAudit(trip.id)).toEqual([
      { action: 'trip_request.in_progress', from_state: 'scheduled', to_state: 'in_progress' },
      { action: 'trip_request.completed', from_state: 'in_progress', to_state: 'completed' },
    ]);
    expect(await countRows(owner, 'SELECT 1 FROM billing_records WHERE trip_request_id = $1', [trip.id])).toBe(2);
  });

  test('a trip still scheduled when its last leg ends passes through in_progress to completed', async () => {
    const owner = db().owner;
    const trip = await newTrip();
    const leg = await driveLeg(owner, (await createLeg(owner, trip)).id, 'picked_up', { driverId: driver.id });
    await moveTripRequest(owner, trip.id, 'scheduled');
    await completeLeg(owner, leg.id, driver.id);
    expect((await getTripRequest(owner, trip.id)).status).toBe('completed');
    expect(await tripAudit(trip.id)).toEqual([
      { action: 'trip_request.completed', from_state: 'in_progress', to_state: 'completed' },
    ]);
  });

  test('a trip whose legs are all cancelled is cancelled; one with a no-show is completed', async () => {
    const owner = db().owner;
    const cancelledTrip = await newTrip('scheduled');
    const outbound = await createLeg(owner, cancelledTrip, { kind: 'outbound' });
    const willCall = await createLeg(owner, cancelledTrip, { kind: 'return', willCall: true });
    await cancelLeg(owner, outbound.id);
    expect((await getTripRequest(owner, cancelledTrip.id)).status).toBe('scheduled');
    await cancelLeg(owner, willCall.id);
    expect((await getTripRequest(owner, cancelledTrip.id)).status).toBe('cancelled');
    const noShowTrip = await newTrip('scheduled');
    await driveLeg(owner, (await createLeg(owner, noShowTrip)).id, 'no_show', { driverId: driver.id });
    expect((await getTripRequest(owner, noShowTrip.id)).status).toBe('completed');
  });
});

describe('a caller cannot redefine the lifecycle for its own session', () => {
  test('temp tables named like the lifecycle tables do not reopen a completed leg', async () => {
    const owner = db().owner;
    const leg = await completeLeg(owner, (await createLeg(owner, await newTrip('scheduled'))).id, driver.id);
    await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), async (tx) => {
      await tx.query('CREATE TEMP TABLE lifecycle_states (entity text, state text, is_initial boolean, is_final boolean)');
      await tx.query('CREATE TEMP TABLE lifecycle_transitions (entity text, from_state text, to_state text)');
      await tx.query(`INSERT INTO lifecycle_transitions VALUES ('trip_leg', 'completed', 'cancelled')`);
      return tx.query(`UPDATE trip_legs SET status = 'cancelled' WHERE id = $1`, [leg.id]);
    }), { code: '55000', message: `trip_leg ${leg.id} is completed and can no longer change` });
    expect((await getLeg(owner, leg.id)).status).toBe('completed');
  });

  test('nor let a temp table skip a transition of a live trip request', async () => {
    const trip = await newTrip();
    await expectSqlError(withActor(db().as('api'), staff('Dispatcher', dispatcher.id), async (tx) => {
      await tx.query('CREATE TEMP TABLE lifecycle_transitions (entity text, from_state text, to_state text)');
      await tx.query(`INSERT INTO lifecycle_transitions VALUES ('trip_request', 'requested', 'completed')`);
      return tx.query(`UPDATE trip_requests SET status = 'completed' WHERE id = $1`, [trip.id]);
    }), { code: '55000', message: 'trip_request cannot move from requested to completed' });
  });
});
