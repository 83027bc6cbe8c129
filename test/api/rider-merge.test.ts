import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, createFacility, createFacilityUser, createRider, createStaffUser, expectSqlError, phoneNumber, type UserRow,
} from '../support/fixtures';
import { createTestIntake, type IntakeRider, intakeDuplicates, type TestIntake } from '../support/intake';

/**
 * Duplicates and merge (SECURITY S28, the takeover fix): the public intake makes every request its
 * own rider, so one person asking twice is two riders with the same provider-level phone index. A
 * Dispatcher lists them and links a duplicate to the rider it repeats: a link recorded on the
 * duplicate (If-Match on it), audited in both tenants' chains; nothing moves.
 */
const db = useTestDatabase();
let api: TestApi;
let intake: TestIntake;
let dispatcher: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  intake = createTestIntake(db().as('intake'));
  dispatcher = await createStaffUser(db().owner, 'Dispatcher');
});

const pair = async () => (await intakeDuplicates(intake, db().owner, phoneNumber())) as [IntakeRider, IntakeRider];
/** `ifMatch: null` sends none. */
const merge = (duplicate: IntakeRider, intoRiderId: string, ifMatch: string | null = `"${duplicate.version}"`) =>
  api.call('POST', `/v1/riders/${duplicate.id}/merge`, { as: actorOf(dispatcher), body: { intoRiderId },
    headers: ifMatch === null ? {} : { 'If-Match': ifMatch } });

test('lists the other private-pay riders with the same phone, with their trip counts, not itself and not other phones', async () => {
  const phone = phoneNumber();
  const [first, second, third] = (await intakeDuplicates(intake, db().owner, phone, 3)) as [IntakeRider, IntakeRider, IntakeRider];
  await intakeDuplicates(intake, db().owner, phoneNumber());
  const answer = await api.call('GET', `/v1/riders/${second.id}/duplicates`, { as: actorOf(dispatcher) });
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ items: [
    { id: first.id, facilityId: first.facilityId, createdAt: expect.any(String), tripCount: 1 },
    { id: third.id, facilityId: third.facilityId, createdAt: expect.any(String), tripCount: 1 },
  ] });
});

test("a facility's rider with the same phone is never a duplicate (facility tenants carry no intake index)", async () => {
  const phone = phoneNumber();
  const facility = await createFacility(db().owner);
  const clinicRider = await createRider(db().owner, { facilityId: facility.id, phone });
  const [only] = await intakeDuplicates(intake, db().owner, phone, 1);
  expect((await api.call('GET', `/v1/riders/${only?.id}/duplicates`, { as: actorOf(dispatcher) })).body).toEqual({ items: [] });
  expect((await api.call('GET', `/v1/riders/${clinicRider.id}/duplicates`, { as: actorOf(dispatcher) })).body).toEqual({ items: [] });
  const refused = await api.call('POST', `/v1/riders/${only?.id}/merge`, { as: actorOf(dispatcher), body: { intoRiderId: clinicRider.id },
    headers: { 'If-Match': `"${only?.version}"` } });
  expect([refused.status, refused.body.type]).toEqual([409, 'urn:nemt:problem:not-a-duplicate']);
});

test('merge records the link on the duplicate, audited in both chains, and moves nothing', async () => {
  const [original, duplicate] = await pair();
  const tripsBefore = await db().owner.query('SELECT id, facility_id, rider_id FROM trip_requests WHERE rider_id IN ($1, $2) ORDER BY id',
    [original.id, duplicate.id]);
  const answer = await merge(duplicate, original.id);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ id: duplicate.id, facilityId: duplicate.facilityId, mergedIntoRiderId: original.id,
    version: duplicate.version + 1 });
  expect(answer.headers.etag).toBe(`"${duplicate.version + 1}"`);

  const { rows: audit } = await db().owner.query<{ facility_id: string; entity_id: string; action: string; details: unknown }>(
    `SELECT facility_id, entity_id, action, details FROM audit_events WHERE action IN ('rider.merged', 'rider.merge_received')
      AND entity_id IN ($1, $2) ORDER BY action`, [original.id, duplicate.id]);
  expect(audit).toEqual([
    { facility_id: original.facilityId, entity_id: original.id, action: 'rider.merge_received',
      details: { duplicateRiderId: duplicate.id, duplicateFacilityId: duplicate.facilityId } },
    { facility_id: duplicate.facilityId, entity_id: duplicate.id, action: 'rider.merged',
      details: { intoRiderId: original.id, intoFacilityId: original.facilityId } },
  ]);
  const tripsAfter = await db().owner.query('SELECT id, facility_id, rider_id FROM trip_requests WHERE rider_id IN ($1, $2) ORDER BY id',
    [original.id, duplicate.id]);
  expect(tripsAfter.rows).toEqual(tripsBefore.rows);
  // The merged rider is no longer offered as a duplicate; reading it shows the link.
  expect((await api.call('GET', `/v1/riders/${original.id}/duplicates`, { as: actorOf(dispatcher) })).body).toEqual({ items: [] });
  expect((await api.call('GET', `/v1/riders/${duplicate.id}`, { as: actorOf(dispatcher) })).body)
    .toMatchObject({ mergedIntoRiderId: original.id });
  expect((await api.call('GET', '/v1/audit/verification', { as: actorOf(dispatcher) })).body).toMatchObject({ ok: true });
});

test('If-Match is required (428) and must be current (412); nothing changes', async () => {
  const [original, duplicate] = await pair();
  expect((await merge(duplicate, original.id, null)).status).toBe(428);
  expect((await merge(duplicate, original.id, '"99"')).status).toBe(412);
  expect((await api.call('GET', `/v1/riders/${duplicate.id}`, { as: actorOf(dispatcher) })).body)
    .toMatchObject({ mergedIntoRiderId: null, version: duplicate.version });
});

test('refused: into itself (422), twice (409), into a merged rider (409), into an unknown rider (409)', async () => {
  const [original, duplicate, third] = (await intakeDuplicates(intake, db().owner, phoneNumber(), 3)) as
    [IntakeRider, IntakeRider, IntakeRider];
  const self = await merge(duplicate, duplicate.id);
  expect([self.status, self.body.errors?.[0]?.path]).toEqual([422, 'intoRiderId']);
  expect((await merge(duplicate, original.id)).status).toBe(200);
  const again = await merge({ ...duplicate, version: duplicate.version + 1 }, third.id);
  expect([again.status, again.body.type]).toEqual([409, 'urn:nemt:problem:rider-already-merged']);
  const intoMerged = await merge(third, duplicate.id);
  expect([intoMerged.status, intoMerged.body.type]).toEqual([409, 'urn:nemt:problem:not-a-duplicate']);
  const unknown = await merge(third, '6f1c7a52-0f4e-4c7e-9d7a-3f0f3b1c2d4e');
  expect([unknown.status, unknown.body.type]).toEqual([409, 'urn:nemt:problem:not-a-duplicate']);
});

test('the database keeps a merge a Dispatcher\'s, and final, whatever the code does', async () => {
  const [original, duplicate] = await pair();
  const facility = await createFacility(db().owner);
  const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility.id);
  const clinicRider = await createRider(db().owner, { facilityId: facility.id });
  await expectSqlError(withActor(db().as('api'), actorOf(admin), (tx) =>
    tx.query('UPDATE riders SET merged_into_rider_id = $2 WHERE id = $1', [clinicRider.id, original.id])),
  { code: '42501', message: 'only a dispatcher merges riders' });
  expect((await merge(duplicate, original.id)).status).toBe(200);
  await expectSqlError(withActor(db().as('api'), actorOf(dispatcher), (tx) =>
    tx.query('UPDATE riders SET merged_into_rider_id = NULL WHERE id = $1', [duplicate.id])),
  { code: '42501', message: "a rider's merge cannot change once recorded" });
});
