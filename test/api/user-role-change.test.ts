import { randomUUID } from 'node:crypto';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, countRows, createContact, createFacility, createFacilityUser, createLeg, createRider, createStaffUser,
  createTripRequest, expectSqlError, type UserRow,
} from '../support/fixtures';

/**
 * SECURITY S30: a Dispatcher changes a user's role, facility or contact (POST /v1/users/{id}/role).
 * The change is audited, moves the identity provider's group and attributes, and the user's
 * tokens issued before it are refused on their next request while a token with the new
 * assignment works.
 */
const db = useTestDatabase();
const owner = () => db().owner;
let api: TestApi;
let facilityA: string;
let facilityB: string;
let contactA: string;
let contactB: string;
let dispatcher: UserRow;

const NIL_CHAIN = '00000000-0000-0000-0000-000000000000';

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  facilityA = (await createFacility(owner())).id;
  facilityB = (await createFacility(owner())).id;
  contactA = (await createContact(owner(), { facilityId: facilityA })).id;
  contactB = (await createContact(owner(), { facilityId: facilityB })).id;
  dispatcher = await createStaffUser(owner(), 'Dispatcher');
});

function changeRole(userId: string, body: Record<string, unknown>, options: { as?: UserRow; version?: number | null } = {}) {
  const version = options.version === undefined ? 1 : options.version;
  return api.call('POST', `/v1/users/${userId}/role`, {
    as: actorOf(options.as ?? dispatcher), body, headers: version === null ? {} : { 'If-Match': `"${version}"` },
  });
}

async function auditFor(entityId: string) {
  const { rows } = await owner().query<{
    chain_key: string; action: string; actor_sub: string; from_state: string | null; to_state: string | null;
    details: Record<string, unknown>;
  }>(
    `SELECT chain_key, action, actor_sub, from_state, to_state, details FROM audit_events WHERE entity_id = $1 ORDER BY id`,
    [entityId],
  );
  return rows;
}

async function userRow(id: string) {
  const { rows } = await owner().query('SELECT role, facility_id, contact_id, version FROM users WHERE id = $1', [id]);
  return rows[0];
}

/** A user the API invited, so the local identity directory holds it as Cognito would. */
async function invite(body: Record<string, unknown>): Promise<UserRow> {
  const created = await api.call('POST', '/v1/users', {
    as: actorOf(dispatcher), headers: { 'Idempotency-Key': `invite-${randomUUID()}` },
    body: { email: `moved-${randomUUID().slice(0, 8)}@example.test`, displayName: 'Moved Colleague', ...body },
  });
  expect(created.status).toBe(201);
  const { id, role, facilityId, contactId, email, active } = created.body;
  return { id, role, facilityId, contactId, email, active };
}

describe('a change of role or facility (S30)', () => {
  test("moves the user, the identity provider's group and attributes, and is audited on the provider's and both tenants' chains", async () => {
    const user = await invite({ role: 'FacilityUser', facilityId: facilityA, contactId: contactA });
    const oldToken = api.issuer.mint(actorOf(user));
    expect((await api.call('GET', '/v1/me', { token: oldToken })).status).toBe(200);

    const answer = await changeRole(user.id, { role: 'FacilityAdmin', facilityId: facilityB });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: user.id, role: 'FacilityAdmin', facilityId: facilityB, contactId: null, version: 2 });
    expect(answer.headers.etag).toBe('"2"');
    expect(await userRow(user.id)).toEqual({ role: 'FacilityAdmin', facility_id: facilityB, contact_id: null, version: 2 });

    // The identity provider's copy follows: the user's next token carries the new group and tenant.
    expect(api.identity.directory.get(user.id)).toMatchObject({ role: 'FacilityAdmin', facilityId: facilityB });
    expect(api.identity.directory.get(user.id)?.contactId).toBeUndefined();

    const changes = (await auditFor(user.id)).filter((event) => event.action === 'user.role_changed');
    expect(changes.map((event) => event.chain_key).sort()).toEqual([NIL_CHAIN, facilityA, facilityB].sort());
    for (const event of changes) {
      expect(event).toMatchObject({ actor_sub: dispatcher.id, from_state: 'FacilityUser', to_state: 'FacilityAdmin', details: {
        fromFacilityId: facilityA, toFacilityId: facilityB, fromContactId: contactA, toContactId: null } });
    }
    const verification = await api.call('GET', '/v1/audit/verification', { as: actorOf(dispatcher) });
    expect(verification.status).toBe(200);
    expect(verification.body.ok).toBe(true);

    // The token from before the change is refused on its next request; one with the new claims works.
    const refused = await api.call('GET', '/v1/me', { token: oldToken });
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect((await api.call('GET', '/v1/riders?limit=5', { token: oldToken })).status).toBe(401);
    const newToken = api.issuer.mint({ role: 'FacilityAdmin', sub: user.id, facilityId: facilityB });
    const me = await api.call('GET', '/v1/me', { token: newToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: user.id, role: 'FacilityAdmin', facilityId: facilityB });
  });

  test('between staff roles only the provider chain records it; the old role token is refused, the new one works', async () => {
    const driver = await invite({ role: 'Driver' });
    const oldToken = api.issuer.mint(actorOf(driver));
    const answer = await changeRole(driver.id, { role: 'Billing' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ role: 'Billing', facilityId: null, contactId: null });
    expect(api.identity.directory.get(driver.id)).toMatchObject({ role: 'Billing' });
    expect((await auditFor(driver.id)).filter((event) => event.action === 'user.role_changed').map((event) =>
      [event.chain_key, event.from_state, event.to_state])).toEqual([[NIL_CHAIN, 'Driver', 'Billing']]);
    expect((await api.call('GET', '/v1/legs?limit=5', { token: oldToken })).status).toBe(401);
    expect((await api.call('GET', '/v1/billing-records?limit=5', { as: { role: 'Billing', sub: driver.id } })).status).toBe(200);
  });

  test("a new contact for a FacilityUser refuses the token naming the old one; a move to staff leaves the tenant", async () => {
    const user = await createFacilityUser(owner(), 'FacilityUser', facilityA, { contactId: contactA });
    const oldToken = api.issuer.mint(actorOf(user));
    const otherContact = (await createContact(owner(), { facilityId: facilityA })).id;
    const answer = await changeRole(user.id, { role: 'FacilityUser', facilityId: facilityA, contactId: otherContact });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ role: 'FacilityUser', facilityId: facilityA, contactId: otherContact });
    expect((await api.call('GET', '/v1/me', { token: oldToken })).status).toBe(401);
    expect((await api.call('GET', '/v1/me', { as: { role: 'FacilityUser', sub: user.id, facilityId: facilityA, contactId: otherContact } }))
      .status).toBe(200);

    const promoted = await changeRole(user.id, { role: 'Dispatcher' }, { version: 2 });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ role: 'Dispatcher', facilityId: null, contactId: null, version: 3 });
    // Leaving the tenant for the staff: recorded on the tenant's chain and the provider's.
    expect((await auditFor(user.id)).filter((event) => event.to_state === 'Dispatcher').map((event) => event.chain_key).sort())
      .toEqual([NIL_CHAIN, facilityA].sort());
  });

  test('the same assignment again changes nothing: no new version, no event, no call to the identity provider', async () => {
    const user = await createFacilityUser(owner(), 'FacilityAdmin', facilityA);
    const spy = jest.spyOn(api.identity, 'changeAssignment');
    try {
      const answer = await changeRole(user.id, { role: 'FacilityAdmin', facilityId: facilityA });
      expect(answer.status).toBe(200);
      expect(answer.body.version).toBe(1);
      expect(spy).not.toHaveBeenCalled();
      expect(await auditFor(user.id)).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('refusals change nothing', () => {
  async function expectUnchanged(userId: string, answer: { status: number; body: { type?: string } }, status: number, type?: string) {
    expect(answer.status).toBe(status);
    if (type) expect(answer.body.type).toBe(`urn:nemt:problem:${type}`);
    expect((await userRow(userId))?.version).toBe(1);
    expect(await auditFor(userId)).toEqual([]);
  }

  test('assignments users.create would refuse, and a contact for anyone but a FacilityUser, are 422 / 404', async () => {
    const user = await createFacilityUser(owner(), 'FacilityUser', facilityA);
    const errorsOf = async (body: Record<string, unknown>) => {
      const answer = await changeRole(user.id, body);
      await expectUnchanged(user.id, answer, 422);
      return answer.body.errors.map((error: { path: string }) => error.path);
    };
    expect(await errorsOf({ role: 'Driver', facilityId: facilityA })).toEqual(['facilityId']);
    expect(await errorsOf({ role: 'Billing', contactId: contactA })).toEqual(['contactId']);
    expect(await errorsOf({ role: 'FacilityUser' })).toEqual(['facilityId']);
    expect(await errorsOf({ role: 'FacilityAdmin', facilityId: facilityA, contactId: contactA })).toEqual(['contactId']);
    expect(await errorsOf({ role: 'Superuser' })).toEqual(['role']);
    expect(await errorsOf({ role: 'Driver', active: false })).not.toEqual([]);
    // A contact of another facility, or a facility that does not exist: not found, as for users.create.
    await expectUnchanged(user.id, await changeRole(user.id, { role: 'FacilityUser', facilityId: facilityA, contactId: contactB }), 404);
    await expectUnchanged(user.id, await changeRole(user.id, { role: 'FacilityUser', facilityId: randomUUID() }), 404);
  });

  test('If-Match is required and must be current (428, 412)', async () => {
    const user = await createFacilityUser(owner(), 'FacilityUser', facilityA);
    await expectUnchanged(user.id, await changeRole(user.id, { role: 'Driver' }, { version: null }), 428);
    await expectUnchanged(user.id, await changeRole(user.id, { role: 'Driver' }, { version: 7 }), 412, 'stale-version');
  });

  test('a Dispatcher cannot change their own role (409), so one active Dispatcher always remains; another Dispatcher may be moved', async () => {
    const onlyOne = await createStaffUser(owner(), 'Dispatcher');
    await expectUnchanged(onlyOne.id, await changeRole(onlyOne.id, { role: 'Billing' }, { as: onlyOne }), 409, 'self-role-change');
    const colleague = await createStaffUser(owner(), 'Dispatcher');
    expect((await changeRole(colleague.id, { role: 'Driver' }, { as: onlyOne })).status).toBe(200);
    expect((await api.call('GET', '/v1/me', { as: actorOf(onlyOne) })).status).toBe(200);
  });

  test('a Driver with legs still to drive keeps the role until they are handed over (409)', async () => {
    const driver = await createStaffUser(owner(), 'Driver');
    const rider = await createRider(owner(), { facilityId: facilityA });
    const trip = await createTripRequest(owner(), { facilityId: facilityA, riderId: rider.id, source: 'dispatcher',
      submittedBy: dispatcher.id, status: 'scheduled' });
    await assignLeg(owner(), (await createLeg(owner(), trip)).id, driver.id);
    await expectUnchanged(driver.id, await changeRole(driver.id, { role: 'Billing' }), 409, 'driver-has-open-legs');
  });

  test("a refusal at the identity provider rolls the change back (503): the user keeps the role the provider still has", async () => {
    const user = await createFacilityUser(owner(), 'FacilityUser', facilityA);
    const token = api.issuer.mint(actorOf(user));
    const spy = jest.spyOn(api.identity, 'changeAssignment')
      .mockRejectedValueOnce(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' }));
    try {
      const answer = await changeRole(user.id, { role: 'FacilityAdmin', facilityId: facilityA });
      await expectUnchanged(user.id, answer, 503);
      expect(spy).toHaveBeenCalledTimes(1);
      expect((await api.call('GET', '/v1/me', { token })).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the database holds the rule (schema/0026)', () => {
  test("only a Dispatcher's transaction may change a user's role, facility or contact; id and created_at never change", async () => {
    const admin = await createFacilityUser(owner(), 'FacilityAdmin', facilityA);
    const user = await createFacilityUser(owner(), 'FacilityUser', facilityA);
    // The FacilityAdmin's row-level policy admits this row, and its role stays a facility role: the guard refuses.
    await expectSqlError(withActor(db().as('api'), actorOf(admin), (tx) =>
      tx.query(`UPDATE users SET role = 'FacilityAdmin' WHERE id = $1`, [user.id])), {
      code: '42501', message: "only a Dispatcher changes a user's role, facility or contact" });
    await expectSqlError(withActor(db().as('api'), actorOf(admin), (tx) =>
      tx.query('UPDATE users SET contact_id = $2 WHERE id = $1', [user.id, contactA])), { code: '42501' });
    await expectSqlError(withActor(db().as('api'), actorOf(dispatcher), (tx) =>
      tx.query(`UPDATE users SET created_at = now() - interval '1 day' WHERE id = $1`, [user.id])), {
      code: '42501', message: 'id and created_at of a user cannot change' });
    // What a FacilityAdmin does change (disable) still works.
    await withActor(db().as('api'), actorOf(admin), (tx) => tx.query('UPDATE users SET active = false WHERE id = $1', [user.id]));
    expect(await countRows(owner(), `SELECT 1 FROM users WHERE id = '${user.id}' AND role = 'FacilityUser' AND NOT active`)).toBe(1);
  });
});
