import { randomUUID } from 'node:crypto';
import type { Database, Queryable, SqlParam } from '../../lambdas/shared/db/port';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { InvalidActorError, withActor } from '../../lambdas/shared/tenancy/with-actor';
import { useTestDatabase } from '../support/database';
import { createTestIntake, intakeBody } from '../support/intake';
import { openRiderField, testPii } from '../support/keys';
import {
  actorOf, assignLeg, type BillingRecordRow, billingRecordsForLeg, type ContactRow, completeLeg, countRows,
  createAuditEvent, createCancellationRequest, createContact, createFacility, createFacilityUser, createLeg,
  createOutboxRow, createRider, createStaffUser, createTripRequest, driveLeg, expectSqlError, facilityActor,
  type FacilityRow, getLeg, type LegRow, privilegeRefusal, type RiderRow, rlsRefusal, staff, type TripRequestRow,
  type UserRow, withActorRolledBack,
} from '../support/fixtures';

/**
 * SECURITY S4–S6 at the database: what each application role sees and may change, proven as
 * the real login users, so the policies hold even if a handler forgets its own checks.
 */
const db = useTestDatabase();
const api = (): Database => db().as('api');

async function idsSeen(actor: Actor, sql: string, params: SqlParam[] = []): Promise<string[]> {
  return withActor(api(), actor, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(sql, params);
    return rows.map((row) => row.id).sort();
  });
}

function sorted(...ids: string[]): string[] {
  return [...ids].sort();
}

interface World {
  facilityA: FacilityRow;
  facilityB: FacilityRow;
  contact1: ContactRow;
  contact2: ContactRow;
  admin: UserRow;
  user1: UserRow;
  user2: UserRow;
  adminB: UserRow;
  dispatcher: UserRow;
  billing: UserRow;
  driver1: UserRow;
  driver2: UserRow;
  riderA1: RiderRow;
  riderA2: RiderRow;
  riderB: RiderRow;
  /** Submitted by user1. */
  t1: TripRequestRow;
  /** Submitted by user2 for contact1 (user1's contact). */
  t2: TripRequestRow;
  /** Submitted by user2 for contact2. */
  t3: TripRequestRow;
  /** Submitted by the admin, no contact. */
  t4: TripRequestRow;
  tB: TripRequestRow;
  /** Assigned to driver1 (t1, rider A1). */
  legA1: LegRow;
  /** Assigned to driver1 (tenant B). */
  legB: LegRow;
  /** Assigned to driver2 (t3, rider A2). */
  legA3: LegRow;
  /** Unassigned (t4). */
  legA4: LegRow;
}

let w: World;

beforeAll(async () => {
  const owner = db().owner;
  const facilityA = await createFacility(owner, { name: 'Clinic A' });
  const facilityB = await createFacility(owner, { name: 'Clinic B' });
  const contact1 = await createContact(owner, { facilityId: facilityA.id });
  const contact2 = await createContact(owner, { facilityId: facilityA.id });
  const admin = await createFacilityUser(owner, 'FacilityAdmin', facilityA.id);
  const user1 = await createFacilityUser(owner, 'FacilityUser', facilityA.id, { contactId: contact1.id });
  const user2 = await createFacilityUser(owner, 'FacilityUser', facilityA.id, { contactId: contact2.id });
  const adminB = await createFacilityUser(owner, 'FacilityAdmin', facilityB.id);
  const dispatcher = await createStaffUser(owner, 'Dispatcher');
  const billing = await createStaffUser(owner, 'Billing');
  const driver1 = await createStaffUser(owner, 'Driver');
  const driver2 = await createStaffUser(owner, 'Driver');
  const riderA1 = await createRider(owner, { facilityId: facilityA.id });
  const riderA2 = await createRider(owner, { facilityId: facilityA.id });
  const riderB = await createRider(owner, { facilityId: facilityB.id });
  const trip = (submittedBy: UserRow, rider: RiderRow, contact?: ContactRow) => createTripRequest(owner, {
    facilityId: rider.facilityId, riderId: rider.id, source: 'facility', submittedBy: submittedBy.id, contactId: contact?.id,
  });
  const t1 = await trip(user1, riderA1);
  const t2 = await trip(user2, riderA1, contact1);
  const t3 = await trip(user2, riderA2, contact2);
  const t4 = await trip(admin, riderA2);
  const tB = await trip(adminB, riderB);
  const legA1 = await assignLeg(owner, (await createLeg(owner, t1)).id, driver1.id);
  const legB = await assignLeg(owner, (await createLeg(owner, tB)).id, driver1.id);
  const legA3 = await assignLeg(owner, (await createLeg(owner, t3)).id, driver2.id);
  const legA4 = await createLeg(owner, t4);
  await createCancellationRequest(owner, { trip: t3, requestedBy: user2.id });
  await createAuditEvent(owner, { facilityId: facilityA.id, tripRequestId: t3.id, actorSub: user2.id, actorRole: 'FacilityUser' });
  await createAuditEvent(owner, { facilityId: facilityA.id, tripRequestId: t1.id, actorSub: user1.id, actorRole: 'FacilityUser' });
  w = {
    facilityA, facilityB, contact1, contact2, admin, user1, user2, adminB, dispatcher, billing, driver1, driver2, riderA1,
    riderA2, riderB, t1, t2, t3, t4, tB, legA1, legB, legA3, legA4,
  };
});

describe('FacilityUser sees only requests it submitted or whose contact is its own', () => {
  test('with its contact claim: exactly its own request and the one for its contact', async () => {
    expect(await idsSeen(actorOf(w.user1), 'SELECT id FROM trip_requests')).toEqual(sorted(w.t1.id, w.t2.id));
  });

  test('without a contact claim: only what it submitted', async () => {
    const actor = facilityActor('FacilityUser', w.facilityA.id, w.user1.id);
    expect(await idsSeen(actor, 'SELECT id FROM trip_requests')).toEqual([w.t1.id]);
  });

  test('a FacilityAdmin of the same facility sees all four, and none of tenant B', async () => {
    expect(await idsSeen(actorOf(w.admin), 'SELECT id FROM trip_requests')).toEqual(sorted(w.t1.id, w.t2.id, w.t3.id, w.t4.id));
  });

  test('legs, cancellations and audit events follow the visible requests', async () => {
    const actor = actorOf(w.user1);
    expect(await idsSeen(actor, 'SELECT id FROM trip_legs')).toEqual([w.legA1.id]);
    expect(await idsSeen(actor, 'SELECT id FROM cancellation_requests')).toEqual([]);
    expect(await idsSeen(actor, 'SELECT trip_request_id AS id FROM audit_events')).toEqual([w.t1.id]);
    expect(await idsSeen(actorOf(w.user2), 'SELECT trip_request_id AS id FROM cancellation_requests')).toEqual([w.t3.id]);
  });

  test('cannot update another user\'s request of its own facility (0 rows) but can update its own', async () => {
    const update = 'UPDATE trip_requests SET pickup_address = $2 WHERE id = $1';
    const other = await withActorRolledBack(api(), actorOf(w.user1), (tx) => tx.query(update, [w.t3.id, 'Elsewhere']));
    expect(other.rowCount).toBe(0);
    const own = await withActorRolledBack(api(), actorOf(w.user1), (tx) => tx.query(update, [w.t1.id, 'Elsewhere']));
    expect(own.rowCount).toBe(1);
  });

  test('cannot ask to cancel a request it cannot see, nor submit a request in someone else\'s name', async () => {
    await expectSqlError(withActor(api(), actorOf(w.user1), (tx) => tx.query(
      `INSERT INTO cancellation_requests (facility_id, trip_request_id, reason_code, requested_by)
       VALUES ($1, $2, 'changed_plans', $3)`, [w.facilityA.id, w.t4.id, w.user1.id])), rlsRefusal('cancellation_requests'));
    await expectSqlError(withActor(api(), actorOf(w.user1), (tx) => tx.query(
      `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, pickup_address, dropoff_address, appointment_at)
       VALUES ($1, $2, 'facility', $3, 'a', 'b', '2030-04-01T10:00:00Z')`, [w.facilityA.id, w.riderA1.id, w.user2.id])),
    rlsRefusal('trip_requests'));
  });

  test('cannot change a request\'s status (guard 42501)', async () => {
    await expectSqlError(withActor(api(), actorOf(w.user1), (tx) => tx.query(
      `UPDATE trip_requests SET status = 'cancelled' WHERE id = $1`, [w.t1.id])),
    { code: '42501', message: 'facility roles cannot change a trip request\'s status' });
  });

  test('sees only its own user row; a FacilityAdmin may not create staff users', async () => {
    expect(await idsSeen(actorOf(w.user1), 'SELECT id FROM users')).toEqual([w.user1.id]);
    await expectSqlError(withActor(api(), actorOf(w.admin), (tx) => tx.query(
      `INSERT INTO users (id, role, facility_id, email, display_name) VALUES (gen_random_uuid(), 'Dispatcher', $1, $2, 'X')`,
      [w.facilityA.id, 'promoted@example.test'])), rlsRefusal('users'));
  });
});

describe('Driver sees only legs assigned to it', () => {
  test('legs: exactly its assigned ones, across tenants', async () => {
    expect(await idsSeen(actorOf(w.driver1), 'SELECT id FROM trip_legs')).toEqual(sorted(w.legA1.id, w.legB.id));
    expect(await idsSeen(actorOf(w.driver2), 'SELECT id FROM trip_legs')).toEqual([w.legA3.id]);
  });

  test('riders: only those of its legs', async () => {
    expect(await idsSeen(actorOf(w.driver1), 'SELECT id FROM riders')).toEqual(sorted(w.riderA1.id, w.riderB.id));
  });

  test('sees no trip requests, contacts, billing records or audit events, and of users only itself', async () => {
    const actor = actorOf(w.driver1);
    for (const table of ['trip_requests', 'contacts', 'billing_records', 'audit_events', 'facilities', 'cancellation_requests']) {
      expect({ table, ids: await idsSeen(actor, `SELECT id::text FROM ${table}`) }).toEqual({ table, ids: [] });
    }
    expect(await idsSeen(actor, 'SELECT id FROM users')).toEqual([w.driver1.id]);
  });

  test('cannot update someone else\'s leg (0 rows), can record status on its own', async () => {
    const update = `UPDATE trip_legs SET status = 'en_route' WHERE id = $1`;
    expect((await withActorRolledBack(api(), actorOf(w.driver1), (tx) => tx.query(update, [w.legA3.id]))).rowCount).toBe(0);
    expect((await withActorRolledBack(api(), actorOf(w.driver1), (tx) => tx.query(update, [w.legA4.id]))).rowCount).toBe(0);
    expect((await withActorRolledBack(api(), actorOf(w.driver1), (tx) => tx.query(update, [w.legA1.id]))).rowCount).toBe(1);
  });

  test.each([
    ['scheduled_pickup_at', `scheduled_pickup_at = scheduled_pickup_at - interval '10 minutes'`],
    ['scheduled_dropoff_at', `scheduled_dropoff_at = scheduled_dropoff_at + interval '10 minutes'`],
    ['pickup_address', `pickup_address = 'Somewhere else'`],
  ])('cannot change %s of its own leg (guard 42501)', async (_column, set) => {
    await expectSqlError(withActor(api(), actorOf(w.driver1), (tx) => tx.query(`UPDATE trip_legs SET ${set} WHERE id = $1`,
      [w.legA1.id])), { code: '42501', message: 'drivers may record status and completion only' });
  });

  test('cannot hand its leg to another driver or unassign it (guard 42501)', async () => {
    await expectSqlError(withActor(api(), actorOf(w.driver1), (tx) => tx.query(
      'UPDATE trip_legs SET driver_id = $2 WHERE id = $1', [w.legA1.id, w.driver2.id])),
    { code: '42501', message: 'drivers may record status and completion only' });
    await expectSqlError(withActor(api(), actorOf(w.driver1), (tx) => tx.query(
      `UPDATE trip_legs SET status = 'unassigned', driver_id = NULL WHERE id = $1`, [w.legA1.id])),
    { code: '42501', message: 'drivers may record status and completion only' });
  });

  test('cannot cancel its leg: cancelling is a dispatch decision (guard 42501)', async () => {
    await expectSqlError(withActor(api(), actorOf(w.driver1), (tx) => tx.query(
      `UPDATE trip_legs SET status = 'cancelled' WHERE id = $1`, [w.legA1.id])),
    { code: '42501', message: 'drivers may not move a leg to cancelled' });
  });

  test('a Dispatcher cannot submit completion data for the driver (guard 42501)', async () => {
    await expectSqlError(withActor(api(), actorOf(w.dispatcher), (tx) => tx.query(
      'UPDATE trip_legs SET odometer_start = 10, odometer_end = 20 WHERE id = $1', [w.legA1.id])),
    { code: '42501', message: 'only the assigned driver submits completion data' });
  });
});

describe('Billing', () => {
  let completedLeg: LegRow;
  let record: BillingRecordRow;

  beforeAll(async () => {
    const owner = db().owner;
    const trip = await createTripRequest(owner, {
      facilityId: w.facilityB.id, riderId: w.riderB.id, source: 'dispatcher', submittedBy: w.dispatcher.id, status: 'scheduled',
    });
    completedLeg = await completeLeg(owner, (await createLeg(owner, trip)).id, w.driver2.id);
    const [created] = await billingRecordsForLeg(owner, completedLeg.id);
    if (!created) throw new Error('no billing record');
    record = created;
  });

  test('reads trip requests and legs of every tenant', async () => {
    const trips = await idsSeen(actorOf(w.billing), 'SELECT id FROM trip_requests');
    expect(trips).toEqual(expect.arrayContaining([w.t1.id, w.t2.id, w.t3.id, w.t4.id, w.tB.id]));
    const legs = await idsSeen(actorOf(w.billing), 'SELECT id FROM trip_legs');
    expect(legs).toEqual(expect.arrayContaining([w.legA1.id, w.legA3.id, w.legA4.id, w.legB.id, completedLeg.id]));
  });

  test('cannot update legs or trip requests (0 rows), including completion data', async () => {
    const actor = actorOf(w.billing);
    for (const sql of [
      `UPDATE trip_legs SET pickup_address = 'x' WHERE id = $1`,
      'UPDATE trip_legs SET odometer_end = odometer_end + 100 WHERE id = $1',
      `UPDATE trip_requests SET pickup_address = 'x' WHERE id = (SELECT trip_request_id FROM trip_legs WHERE id = $1)`,
    ]) {
      expect({ sql, rows: (await withActorRolledBack(api(), actor, (tx) => tx.query(sql, [completedLeg.id]))).rowCount })
        .toEqual({ sql, rows: 0 });
    }
  });

  test('cannot change a billing record\'s completion figures (guard 42501)', async () => {
    await expectSqlError(withActor(api(), actorOf(w.billing), (tx) => tx.query(
      'UPDATE billing_records SET mileage = mileage + 50 WHERE id = $1', [record.id])),
    { code: '42501', message: 'a billing record\'s leg and completion figures cannot change' });
  });

  test('moves billing records; no other role can (0 rows), and none can create them', async () => {
    const move = `UPDATE billing_records SET status = 'ready' WHERE id = $1`;
    for (const user of [w.dispatcher, w.driver2, w.adminB]) {
      const result = await withActorRolledBack(api(), actorOf(user), (tx) => tx.query(move, [record.id]));
      expect({ role: user.role, rows: result.rowCount }).toEqual({ role: user.role, rows: 0 });
    }
    const moved = await withActorRolledBack(api(), actorOf(w.billing), (tx) => tx.query(move, [record.id]));
    expect(moved.rowCount).toBe(1);
    await expectSqlError(withActor(api(), actorOf(w.billing), (tx) => tx.query(
      `INSERT INTO billing_records (facility_id, trip_leg_id, trip_request_id, leg_outcome)
       VALUES ($1, $2, $3, 'completed')`, [w.facilityA.id, w.legA4.id, w.t4.id])), privilegeRefusal('billing_records'));
  });
});

describe('the public intake role', () => {
  const RECEIPT = /^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}$/;
  const SUBMIT_SIGNATURE = `intake_submit_trip_request($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
    $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)`;

  /** A submission through the real intake handler, connected as the intake login. */
  async function submit(phone: string): Promise<{ keys: string[]; receipt: string }> {
    const answer = await createTestIntake(db().as('intake')).submit({
      body: intakeBody({ fullName: 'Pat Rider', phone, dateOfBirth: '1950-02-03', pickupAddress: '10 Home Lane',
        dropoffAddress: '20 Dialysis Way', appointmentAt: '2030-07-01T14:00:00Z', requestedPickupAt: '2030-07-01T13:15:00Z',
        returnTrip: 'will_call', mobility: 'wheelchair', notes: 'Needs a ramp' }),
    });
    expect(answer.status).toBe(202);
    return { keys: Object.keys(answer.body), receipt: answer.body.receiptCode };
  }

  async function tripOf(receipt: string) {
    const { rows } = await db().owner.query<{ facility_id: string; rider_id: string; kind: string; status: string;
      source: string; submitted_by: string | null; id: string }>(
      `SELECT t.id, t.facility_id, t.rider_id, f.kind, t.status, t.source, t.submitted_by
       FROM trip_requests t JOIN facilities f ON f.id = t.facility_id WHERE t.reference_code = $1`, [receipt]);
    expect(rows).toHaveLength(1);
    return rows[0] as (typeof rows)[number];
  }

  test('cannot SELECT any table in schema public (42501)', async () => {
    const { rows } = await db().owner.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const { relname } of rows) {
      await expectSqlError(db().as('intake').query(`SELECT 1 FROM ${relname} LIMIT 1`), privilegeRefusal(relname));
    }
  });

  test('cannot INSERT into the tables its functions write (42501)', async () => {
    const intake = db().as('intake');
    await expectSqlError(intake.query(`INSERT INTO facilities (kind, name) VALUES ('individual', 'x')`), privilegeRefusal('facilities'));
    await expectSqlError(intake.query(`INSERT INTO riders (facility_id, data_key, full_name_enc) VALUES ($1, $2, $2)`,
      [w.facilityA.id, Buffer.alloc(64, 1)]), privilegeRefusal('riders'));
    await expectSqlError(intake.query(
      `INSERT INTO tenant_keys (facility_id, version, wrapped_key, key_provider, master_key_id) VALUES ($1, 9, $2, 'local', 'x')`,
      [w.facilityA.id, Buffer.alloc(64, 1)]), privilegeRefusal('tenant_keys'));
    await expectSqlError(intake.query(
      `INSERT INTO trip_requests (facility_id, rider_id, source, pickup_address, dropoff_address, appointment_at)
       VALUES ($1, $2, 'intake', 'a', 'b', now())`, [w.facilityA.id, w.riderA1.id]), privilegeRefusal('trip_requests'));
  });

  test('the API role cannot call the intake functions that write riders or spend challenges (42501)', async () => {
    await expectSqlError(api().query(`SELECT ${SUBMIT_SIGNATURE}`, Array.from({ length: 27 }, () => null)),
      { code: '42501', message: 'permission denied for function intake_submit_trip_request' });
    await expectSqlError(api().query('SELECT intake_spend_challenge($1, now())', [Buffer.alloc(32)]),
      { code: '42501', message: 'permission denied for function intake_spend_challenge' });
  });

  test('creates an individual tenant with its key, a sealed rider, a requested trip, audit events and an outbox row', async () => {
    const phone = '+15550002222';
    const answer = await submit(phone);
    expect(answer).toEqual({ keys: ['receiptCode'], receipt: expect.stringMatching(RECEIPT) });
    const trip = await tripOf(answer.receipt);
    expect(trip).toMatchObject({ kind: 'individual', status: 'requested', source: 'intake', submitted_by: null });
    const owner = db().owner;
    expect(await openRiderField(owner, trip.rider_id, 'phone_enc')).toBe(phone);
    expect(await countRows(owner, 'SELECT 1 FROM tenant_keys WHERE facility_id = $1', [trip.facility_id])).toBe(1);
    const { rows: audit } = await owner.query<{ action: string; actor_role: string; entity_id: string; request_id: string }>(
      `SELECT action, actor_role, entity_id, request_id FROM audit_events WHERE facility_id = $1 ORDER BY seq`, [trip.facility_id]);
    expect(audit).toEqual([
      { action: 'rider.created', actor_role: 'Public', entity_id: trip.rider_id, request_id: expect.any(String) },
      { action: 'trip_request.created', actor_role: 'Public', entity_id: trip.id, request_id: expect.any(String) },
    ]);
    const { rows: outbox } = await owner.query<{ event_type: string; rider_id: string; trip_request_id: string; reference: string }>(
      `SELECT event_type, rider_id, trip_request_id, payload->>'referenceCode' AS reference FROM notification_outbox
       WHERE facility_id = $1`, [trip.facility_id]);
    expect(outbox).toEqual([{ event_type: 'request_received', rider_id: trip.rider_id, trip_request_id: trip.id,
      reference: answer.receipt }]);
  });

  test('a known phone never reuses the stored rider: a new tenant and rider, and the answer has the same shape', async () => {
    const phone = '+15550003333';
    const first = await submit(phone);
    const second = await submit(phone);
    expect(second.keys).toEqual(first.keys);
    expect(second.receipt).toMatch(RECEIPT);
    expect(second.receipt).not.toBe(first.receipt);
    const [one, two] = [await tripOf(first.receipt), await tripOf(second.receipt)];
    expect(two.facility_id).not.toBe(one.facility_id);
    expect(two.rider_id).not.toBe(one.rider_id);
    expect(await countRows(db().owner, 'SELECT 1 FROM riders WHERE facility_id = $1', [one.facility_id])).toBe(1);
  });

  test('cannot submit into an existing tenant: the function always creates the tenant it is given', async () => {
    const phone = '+15550003334';
    const existing = await tripOf((await submit(phone)).receipt);
    const intake = db().as('intake');
    const index = await intake.transaction((tx) => testPii().intakePhoneIndex(tx, phone));
    const args: unknown[] = Array.from({ length: 27 }, () => null);
    Object.assign(args, { 0: existing.facility_id, 1: randomUUID(), 2: randomUUID(), 3: index, 4: Buffer.alloc(64, 1), 5: 'local',
      6: 'x', 7: Buffer.alloc(64, 1), 8: Buffer.alloc(40, 1), 14: 'a', 15: 'b', 16: '2030-01-01T00:00:00Z', 18: 'none',
      20: 'ambulatory', 22: 'none', 23: false, 26: 3 });
    await expectSqlError(intake.query(`SELECT ${SUBMIT_SIGNATURE}`, args as never), { code: '23505' });
  });

  test('a facility\'s rider with the same phone is never reused: the intake cannot write into a facility', async () => {
    const phone = '+15550004444';
    const clinicRider = await createRider(db().owner, { facilityId: w.facilityA.id, phone });
    const { receipt } = await submit(phone);
    const trip = await tripOf(receipt);
    expect(trip.kind).toBe('individual');
    expect(trip.facility_id).not.toBe(w.facilityA.id);
    expect(trip.rider_id).not.toBe(clinicRider.id);
  });
});

describe('the notifier role', () => {
  let notifiedRider: RiderRow;
  let silentRider: RiderRow;

  beforeAll(async () => {
    notifiedRider = await createRider(db().owner, { facilityId: w.facilityB.id });
    silentRider = await createRider(db().owner, { facilityId: w.facilityB.id });
    await createOutboxRow(db().owner, { facilityId: w.facilityB.id, riderId: notifiedRider.id, tripRequestId: w.tB.id });
  });

  test('sees every outbox row (it works without a tenant context)', async () => {
    const all = await countRows(db().owner, 'SELECT 1 FROM notification_outbox');
    expect(all).toBeGreaterThan(0);
    expect(await countRows(db().as('notifier'), 'SELECT 1 FROM notification_outbox')).toBe(all);
  });

  test('reads only the contact columns of riders it has something to send to', async () => {
    const notifier = db().as('notifier');
    const { rows } = await notifier.query<{ id: string }>(
      `SELECT id, facility_id, data_key, phone_enc, email_enc, erased_at, notify_channel, notify_consent, sms_opted_out
         FROM riders WHERE id = ANY($1::uuid[])`,
      [`{${notifiedRider.id},${silentRider.id}}`]);
    expect(rows.map((row) => row.id)).toEqual([notifiedRider.id]);
    for (const column of ['full_name_enc', 'date_of_birth_enc', 'home_address_enc', 'care_notes_enc', 'phone_index', '*']) {
      await expectSqlError(notifier.query(`SELECT ${column} FROM riders WHERE id = $1`, [notifiedRider.id]), privilegeRefusal('riders'));
    }
  });

  test('may record an SMS opt-out and nothing else about a rider', async () => {
    const notifier = db().as('notifier');
    const optOut = await notifier.query('UPDATE riders SET sms_opted_out = true WHERE id = $1', [notifiedRider.id]);
    expect(optOut.rowCount).toBe(1);
    await expectSqlError(notifier.query('UPDATE riders SET phone_enc = NULL WHERE id = $1', [notifiedRider.id]),
      privilegeRefusal('riders'));
    await expectSqlError(notifier.query('UPDATE riders SET data_key = NULL WHERE id = $1', [notifiedRider.id]),
      privilegeRefusal('riders'));
  });

  test('cannot create or delete outbox rows, nor read trip data', async () => {
    const notifier = db().as('notifier');
    await expectSqlError(notifier.query(
      `INSERT INTO notification_outbox (facility_id, rider_id, event_type) VALUES ($1, $2, 'trip_scheduled')`,
      [w.facilityB.id, notifiedRider.id]), privilegeRefusal('notification_outbox'));
    await expectSqlError(notifier.query('DELETE FROM notification_outbox'), privilegeRefusal('notification_outbox'));
    await expectSqlError(notifier.query('SELECT 1 FROM trip_requests'), privilegeRefusal('trip_requests'));
  });
});

describe('the auditor role', () => {
  test('reads every audit event and nothing else', async () => {
    const all = await countRows(db().owner, 'SELECT 1 FROM audit_events');
    expect(all).toBeGreaterThan(0);
    expect(await countRows(db().as('auditor'), 'SELECT 1 FROM audit_events')).toBe(all);
    await expectSqlError(db().as('auditor').query('SELECT 1 FROM riders'), privilegeRefusal('riders'));
    await expectSqlError(db().as('auditor').query(
      `INSERT INTO audit_events (actor_role, entity_type, entity_id, action) VALUES ('System', 'x', gen_random_uuid(), 'x')`),
    privilegeRefusal('audit_events'));
  });
});

describe('withActor refuses contradictory claims before touching the database', () => {
  const invalid: [string, () => Actor][] = [
    ['a staff role with a facility claim', () => ({ ...staff('Dispatcher', w.dispatcher.id), facilityId: w.facilityA.id }) as unknown as Actor],
    ['a staff role with a contact claim', () => ({ ...staff('Driver', w.driver1.id), contactId: w.contact1.id }) as unknown as Actor],
    ['a facility role without a facility', () => ({ role: 'FacilityUser', sub: w.user1.id }) as unknown as Actor],
    ['a facility role with an empty facility', () => facilityActor('FacilityAdmin', '', w.admin.id)],
    ['a facility that is not a UUID', () => facilityActor('FacilityAdmin', `${w.facilityA.id}' OR true --`, w.admin.id)],
    ['an unknown role', () => ({ role: 'Auditor', sub: w.admin.id }) as unknown as Actor],
  ];

  test.each(invalid)('%s', async (_what, actor) => {
    const work = jest.fn(async (tx: Queryable) => tx.query('SELECT 1'));
    await expect(Promise.resolve().then(() => withActor(api(), actor(), work))).rejects.toThrow(InvalidActorError);
    expect(work).not.toHaveBeenCalled();
  });
});

describe('a driver completes its leg through the API role', () => {
  test('the database creates the billing record and moves the trip, though the driver may do neither itself', async () => {
    const owner = db().owner;
    const trip = await createTripRequest(owner, {
      facilityId: w.facilityA.id, riderId: w.riderA1.id, source: 'dispatcher', submittedBy: w.dispatcher.id, status: 'scheduled',
    });
    const leg = await assignLeg(owner, (await createLeg(owner, trip)).id, w.driver2.id);
    await withActor(api(), actorOf(w.driver2), async (tx) => {
      for (const status of ['en_route', 'arrived', 'picked_up']) {
        await tx.query('UPDATE trip_legs SET status = $2 WHERE id = $1', [leg.id, status]);
      }
      await tx.query(
        `UPDATE trip_legs SET status = 'completed', actual_pickup_at = '2031-01-01T10:00:00Z',
                actual_dropoff_at = '2031-01-01T10:30:00Z', odometer_start = 500, odometer_end = 507.5
         WHERE id = $1`, [leg.id]);
    });
    expect((await getLeg(owner, leg.id)).status).toBe('completed');
    expect((await billingRecordsForLeg(owner, leg.id)).map((r) => ({ status: r.status, mileage: r.mileage })))
      .toEqual([{ status: 'pending', mileage: '7.5' }]);
    const { rows } = await owner.query<{ status: string }>('SELECT status FROM trip_requests WHERE id = $1', [trip.id]);
    expect(rows).toEqual([{ status: 'completed' }]);
  });

  test('a driver may record a no-show on its leg, which is billed as such', async () => {
    const owner = db().owner;
    const trip = await createTripRequest(owner, {
      facilityId: w.facilityA.id, riderId: w.riderA2.id, source: 'dispatcher', submittedBy: w.dispatcher.id, status: 'scheduled',
    });
    const leg = await driveLeg(owner, (await createLeg(owner, trip)).id, 'no_show', { driverId: w.driver2.id });
    expect(leg.status).toBe('no_show');
    expect((await billingRecordsForLeg(owner, leg.id)).map((r) => r.legOutcome)).toEqual(['no_show']);
  });
});
