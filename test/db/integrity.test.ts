import { useTestDatabase } from '../support/database';
import { createTestIntake, intakeBody } from '../support/intake';
import { createFacility, createLeg, createRider, createStaffUser, createTripRequest, expectSqlError, phoneNumber } from '../support/fixtures';

const db = useTestDatabase();

describe('cross-row integrity the database keeps on its own', () => {
  test('a facility never changes kind (the intake attaches riders to individual tenants by phone)', async () => {
    const clinic = await createFacility(db().owner, { kind: 'facility' });
    await expectSqlError(db().owner.query(`UPDATE facilities SET kind = 'individual' WHERE id = $1`, [clinic.id]), {
      code: '42501',
      message: 'id, kind and created_at of a facility cannot change',
    });
  });

  test("a leg's rider is always its trip's rider", async () => {
    const facility = await createFacility(db().owner);
    const dispatcher = await createStaffUser(db().owner, 'Dispatcher');
    const rider = await createRider(db().owner, { facilityId: facility.id });
    const otherRider = await createRider(db().owner, { facilityId: facility.id });
    const trip = await createTripRequest(db().owner, {
      facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id,
    });
    await expectSqlError(createLeg(db().owner, { ...trip, riderId: otherRider.id }), { code: '23503' });
    expect((await createLeg(db().owner, trip)).riderId).toBe(rider.id);
  });

  test('an audit event that names a trip must name its tenant', async () => {
    const facility = await createFacility(db().owner);
    const dispatcher = await createStaffUser(db().owner, 'Dispatcher');
    const rider = await createRider(db().owner, { facilityId: facility.id });
    const trip = await createTripRequest(db().owner, {
      facilityId: facility.id, riderId: rider.id, source: 'dispatcher', submittedBy: dispatcher.id,
    });
    await expectSqlError(
      db().owner.query(
        `INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id, action, prev_hash, hash)
         VALUES (NULL, $1, $2, 'Dispatcher', 'trip_request', $1, 'x', '', '')`,
        [trip.id, dispatcher.id],
      ),
      { code: '23514', constraint: 'audit_events_trip_has_tenant' },
    );
  });

  test('simultaneous intakes from one phone: each its own tenant and rider, all sharing the phone index', async () => {
    const phone = phoneNumber();
    const intake = createTestIntake(db().as('intake'));
    const answers = await Promise.all(Array.from({ length: 4 }, () => intake.submit({ body: intakeBody({ phone }) })));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202]);
    const { rows } = await db().owner.query<{ tenants: string; riders: string; trips: string }>(
      `SELECT count(DISTINCT t.facility_id)::text AS tenants, count(DISTINCT t.rider_id)::text AS riders, count(t.id)::text AS trips
         FROM trip_requests t WHERE t.reference_code = ANY($1::text[])`,
      [`{${answers.map((answer) => answer.body.receiptCode).join(',')}}`],
    );
    expect(rows[0]).toEqual({ tenants: '4', riders: '4', trips: '4' });
    const { rows: indexes } = await db().owner.query<{ n: number }>(
      `SELECT count(DISTINCT r.intake_phone_index)::int AS n FROM trip_requests t JOIN riders r ON r.id = t.rider_id
        WHERE t.reference_code = ANY($1::text[])`,
      [`{${answers.map((answer) => answer.body.receiptCode).join(',')}}`],
    );
    expect(indexes[0]?.n).toBe(1);
  });
});
