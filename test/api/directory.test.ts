import { randomUUID } from 'node:crypto';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { openRiderField } from '../support/keys';
import {
  actorOf, countRows, createContact, createFacility, createFacilityUser, createRider, createStaffUser, phoneNumber,
  type UserRow,
} from '../support/fixtures';

const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let contactA: string;
let contactB: string;
let dispatcher: UserRow;
let adminA: UserRow;
let userA: UserRow;
let adminB: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityA = (await createFacility(owner)).id;
  facilityB = (await createFacility(owner)).id;
  contactA = (await createContact(owner, { facilityId: facilityA })).id;
  contactB = (await createContact(owner, { facilityId: facilityB })).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  adminA = await createFacilityUser(owner, 'FacilityAdmin', facilityA);
  userA = await createFacilityUser(owner, 'FacilityUser', facilityA, { contactId: contactA });
  adminB = await createFacilityUser(owner, 'FacilityAdmin', facilityB);
});

const NIL_CHAIN = '00000000-0000-0000-0000-000000000000';

/** Row counts of everything these routes can write; compared before and after a refused request. */
async function written() {
  const owner = db().owner;
  return {
    facilities: await countRows(owner, 'SELECT 1 FROM facilities'),
    riders: await countRows(owner, 'SELECT 1 FROM riders'),
    users: await countRows(owner, 'SELECT 1 FROM users'),
    audit: await countRows(owner, 'SELECT 1 FROM audit_events'),
    identities: api.identity.directory.size,
  };
}

async function auditFor(entityId: string) {
  const { rows } = await db().owner.query<{
    chain_key: string; facility_id: string | null; action: string; actor_sub: string; from_state: string | null;
    to_state: string | null; details: Record<string, unknown>;
  }>(
    `SELECT chain_key, facility_id, action, actor_sub, from_state, to_state, details FROM audit_events
      WHERE entity_id = $1 ORDER BY id`,
    [entityId],
  );
  return rows;
}

const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.test`;

describe('facilities', () => {
  test('a dispatcher creates a tenant; its audit chain starts with its creation', async () => {
    const created = await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), body: { kind: 'facility', name: 'Riverside Dialysis' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'facility', name: 'Riverside Dialysis', notifyDriverEnRoute: false,
      notifyRideReminder: false, active: true });
    expect(created.headers.etag).toBe('"1"');
    const events = await auditFor(created.body.id);
    expect(events).toEqual([expect.objectContaining({
      chain_key: created.body.id, facility_id: created.body.id, action: 'facility.created', actor_sub: dispatcher.id,
    })]);
    const { rows } = await db().owner.query<{ seq: string }>('SELECT seq FROM audit_events WHERE chain_key = $1', [created.body.id]);
    expect(rows).toEqual([{ seq: '1' }]);
  });

  test("a facility's address: set at creation, read by its own people, changed and removed; an individual tenant never has one", async () => {
    const created = await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), body: { kind: 'facility', name: 'Hillside Clinic', address: '9 Hill Road, Springfield' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ address: '9 Hill Road, Springfield' });
    const url = `/v1/facilities/${created.body.id}`;
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', created.body.id);
    expect((await api.call('GET', url, { as: actorOf(admin) })).body).toMatchObject({ address: '9 Hill Road, Springfield' });

    const moved = await api.call('PATCH', url, { as: actorOf(dispatcher), body: { address: '10 Hill Road, Springfield' },
      headers: { 'If-Match': '"1"' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ address: '10 Hill Road, Springfield', version: 2 });
    expect((await auditFor(created.body.id)).at(-1)).toMatchObject({ action: 'facility.updated', details: { fields: ['address'] } });
    const removed = await api.call('PATCH', url, { as: actorOf(dispatcher), body: { address: null }, headers: { 'If-Match': '"2"' } });
    expect(removed.body).toMatchObject({ address: null, version: 3 });

    const before = await written();
    const individual = await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), body: { kind: 'individual', name: 'Private pay', address: '12 Elm Street' },
    });
    expect(individual.status).toBe(422);
    expect(individual.body.errors).toEqual([{ path: 'address', message: expect.stringContaining('Only a facility has an address') }]);
    const tooLong = await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), body: { kind: 'facility', name: 'Long', address: 'x'.repeat(501) },
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors).toEqual([expect.objectContaining({ path: 'address' })]);
    const individualId = (await createFacility(db().owner, { kind: 'individual' })).id;
    const refused = await api.call('PATCH', `/v1/facilities/${individualId}`, { as: actorOf(dispatcher), body: { address: '12 Elm Street' },
      headers: { 'If-Match': '"1"' } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ path: 'address', message: expect.stringContaining('Only a facility has an address') }]);
    expect(await written()).toEqual({ ...before, facilities: before.facilities + 1 });
  });

  test('the database refuses an address on an individual tenant whatever the code does', async () => {
    const individualId = (await createFacility(db().owner, { kind: 'individual' })).id;
    await expect(db().owner.query('UPDATE facilities SET address = $1 WHERE id = $2', ['12 Elm Street', individualId]))
      .rejects.toMatchObject({ code: '23514', constraint: 'facilities_address_check' });
  });

  test('facility roles may not create or change tenants (403) and nothing is written', async () => {
    const before = await written();
    for (const user of [adminA, userA]) {
      const create = await api.call('POST', '/v1/facilities', { as: actorOf(user), body: { kind: 'facility', name: 'Mine now' } });
      expect(create.status).toBe(403);
      const update = await api.call('PATCH', `/v1/facilities/${facilityA}`, {
        as: actorOf(user), body: { active: false }, headers: { 'If-Match': '"1"' },
      });
      expect(update.status).toBe(403);
    }
    expect(await written()).toEqual(before);
    const { rows } = await db().owner.query<{ active: boolean }>('SELECT active FROM facilities WHERE id = $1', [facilityA]);
    expect(rows[0]?.active).toBe(true);
  });

  test('a facility role reads only its own tenant; another id is 404', async () => {
    const own = await api.call('GET', `/v1/facilities/${facilityA}`, { as: actorOf(userA) });
    expect(own.status).toBe(200);
    expect(own.body.id).toBe(facilityA);
    expect((await api.call('GET', `/v1/facilities/${facilityB}`, { as: actorOf(adminA) })).status).toBe(404);
    expect((await api.call('GET', `/v1/facilities/${facilityB}`, { as: actorOf(dispatcher) })).status).toBe(200);
    expect((await api.call('GET', '/v1/facilities', { as: actorOf(adminA) })).status).toBe(403);
  });

  test('list filters by kind and pages newest first', async () => {
    const individual = await createFacility(db().owner, { kind: 'individual' });
    const seen: { id: string; kind: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string; kind: string }[]; nextCursor: string | null } } = await api.call(
        'GET', `/v1/facilities?kind=individual&limit=1${cursor ? `&cursor=${cursor}` : ''}`, { as: actorOf(dispatcher) },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((item) => item.id)).toContain(individual.id);
    expect(seen.every((item) => item.kind === 'individual')).toBe(true);
    expect(seen.map((item) => item.id)).not.toContain(facilityA);
  });

  test('a tenant switched off locks out its users at once, tokens and all, until it is switched on again', async () => {
    const facility = await createFacility(db().owner);
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility.id);
    const token = api.issuer.mint(actorOf(admin));
    const otherToken = api.issuer.mint(actorOf(adminA));
    expect((await api.call('GET', '/v1/riders', { token })).status).toBe(200);

    const url = `/v1/facilities/${facility.id}`;
    const off = await api.call('PATCH', url, { as: actorOf(dispatcher), body: { active: false }, headers: { 'If-Match': '"1"' } });
    expect(off.status).toBe(200);
    for (const [method, path] of [['GET', '/v1/me'], ['GET', '/v1/riders'], ['GET', url]] as const) {
      const refused = await api.call(method, path, { token });
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toBe('application/problem+json');
    }
    // Other tenants and staff carry on.
    expect((await api.call('GET', '/v1/riders', { token: otherToken })).status).toBe(200);
    expect((await api.call('GET', url, { as: actorOf(dispatcher) })).status).toBe(200);

    const on = await api.call('PATCH', url, { as: actorOf(dispatcher), body: { active: true }, headers: { 'If-Match': '"2"' } });
    expect(on.status).toBe(200);
    expect((await api.call('GET', '/v1/riders', { token })).status).toBe(200);
  });

  test('ride reminders are a tenant opt-in: off unless asked for, switched on and off by a dispatcher', async () => {
    const created = await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), body: { kind: 'facility', name: 'Lakeside Therapy', notifyRideReminder: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ notifyRideReminder: true, notifyDriverEnRoute: false });
    const url = `/v1/facilities/${created.body.id}`;
    const updated = await api.call('PATCH', url, {
      as: actorOf(dispatcher), body: { notifyRideReminder: false }, headers: { 'If-Match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ notifyRideReminder: false, version: 2 });
    const { rows } = await db().owner.query('SELECT notify_ride_reminder FROM facilities WHERE id = $1', [created.body.id]);
    expect(rows).toEqual([{ notify_ride_reminder: false }]);
  });

  test('update needs If-Match, audits the changed field names and refuses unknown fields', async () => {
    const facility = await createFacility(db().owner);
    const url = `/v1/facilities/${facility.id}`;
    expect((await api.call('PATCH', url, { as: actorOf(dispatcher), body: { notifyDriverEnRoute: true } })).status).toBe(428);
    expect((await api.call('PATCH', url, {
      as: actorOf(dispatcher), body: { notifyDriverEnRoute: true }, headers: { 'If-Match': '"5"' },
    })).status).toBe(412);
    for (const extra of [{ kind: 'individual' }, { id: randomUUID() }, { version: 9 }]) {
      expect((await api.call('PATCH', url, { as: actorOf(dispatcher), body: extra, headers: { 'If-Match': '"1"' } })).status).toBe(422);
    }
    const updated = await api.call('PATCH', url, {
      as: actorOf(dispatcher), body: { notifyDriverEnRoute: true, active: false, name: facility.name }, headers: { 'If-Match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ notifyDriverEnRoute: true, active: false, version: 2 });
    expect(updated.headers.etag).toBe('"2"');
    expect(await auditFor(facility.id)).toEqual([expect.objectContaining({
      action: 'facility.updated', from_state: 'active', to_state: 'inactive',
      details: { fields: ['active', 'notify_driver_en_route'] },
    })]);
  });
});

describe('riders', () => {
  const riderBody = (extra: Record<string, unknown> = {}) => ({
    fullName: 'Maria Lopez', phone: phoneNumber(), dateOfBirth: '1950-04-02', careNotes: 'Oxygen tank', mobility: 'wheelchair',
    ...extra,
  });

  test('a facility user registers a rider in its own facility; the audit names fields, never values', async () => {
    const body = riderBody();
    const created = await api.call('POST', '/v1/riders', { as: actorOf(userA), body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      facilityId: facilityA, fullName: 'Maria Lopez', phone: body.phone, dateOfBirth: '1950-04-02', mobility: 'wheelchair',
      notifyChannel: 'sms', notifyConsent: false, smsOptedOut: false,
    });
    const [event, ...rest] = await auditFor(created.body.id);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ facility_id: facilityA, action: 'rider.created', actor_sub: userA.id });
    expect(event?.details).toEqual({
      fields: ['careNotes', 'dateOfBirth', 'fullName', 'mobility', 'notifyChannel', 'notifyConsent', 'phone'],
    });
    const serialised = JSON.stringify(event);
    for (const value of ['Maria', body.phone, '1950', 'Oxygen']) expect(serialised).not.toContain(value);
  });

  test('a dispatcher must name an existing tenant', async () => {
    expect((await api.call('POST', '/v1/riders', { as: actorOf(dispatcher), body: riderBody() })).status).toBe(422);
    expect((await api.call('POST', '/v1/riders', { as: actorOf(dispatcher), body: riderBody({ facilityId: randomUUID() }) })).status)
      .toBe(404);
    const created = await api.call('POST', '/v1/riders', { as: actorOf(dispatcher), body: riderBody({ facilityId: facilityB }) });
    expect(created.status).toBe(201);
    expect(created.body.facilityId).toBe(facilityB);
  });

  test.each([
    ['facilityId (own)', () => ({ facilityId: facilityA })],
    ['facilityId (other)', () => ({ facilityId: facilityB })],
    ['id', () => ({ id: randomUUID() })],
    ['smsOptedOut', () => ({ smsOptedOut: true })],
    ['version', () => ({ version: 3 })],
    ['active', () => ({ active: false })],
  ])('create: a facility role sending %s is refused (422) and nothing is written', async (_field, extra) => {
    const before = await written();
    for (const user of [adminA, userA]) {
      const answer = await api.call('POST', '/v1/riders', { as: actorOf(user), body: riderBody(extra()) });
      expect(answer.status).toBe(422);
      expect(answer.headers['content-type']).toBe('application/problem+json');
    }
    expect(await written()).toEqual(before);
  });

  test.each([
    ['facilityId', () => ({ facilityId: facilityB })],
    ['id', () => ({ id: randomUUID() })],
    ['smsOptedOut', () => ({ smsOptedOut: true })],
    ['createdAt', () => ({ createdAt: '2020-01-01T00:00:00Z' })],
  ])('update: a facility role sending %s is refused (422) and nothing changes', async (_field, extra) => {
    const rider = await createRider(db().owner, { facilityId: facilityA });
    const before = await written();
    for (const user of [adminA, userA]) {
      const answer = await api.call('PATCH', `/v1/riders/${rider.id}`, {
        as: actorOf(user), body: { fullName: 'Someone Else', ...extra() }, headers: { 'If-Match': '"1"' },
      });
      expect(answer.status).toBe(422);
    }
    expect(await written()).toEqual(before);
    const { rows } = await db().owner.query<{ version: number; facility_id: string }>(
      'SELECT version, facility_id FROM riders WHERE id = $1', [rider.id],
    );
    expect(rows[0]).toEqual({ version: 1, facility_id: facilityA });
    expect(await openRiderField(db().owner, rider.id, 'full_name_enc')).toBe(rider.fullName);
  });

  test('update: own facility only, If-Match required, only changed fields audited', async () => {
    const rider = await createRider(db().owner, { facilityId: facilityA, notifyConsent: false });
    const foreign = await createRider(db().owner, { facilityId: facilityB });
    const url = `/v1/riders/${rider.id}`;
    expect((await api.call('PATCH', `/v1/riders/${foreign.id}`, {
      as: actorOf(userA), body: { notifyConsent: true }, headers: { 'If-Match': '"1"' },
    })).status).toBe(404);
    expect((await api.call('PATCH', url, { as: actorOf(userA), body: { notifyConsent: true } })).status).toBe(428);
    expect((await api.call('PATCH', url, {
      as: actorOf(userA), body: { notifyConsent: true }, headers: { 'If-Match': '"2"' },
    })).status).toBe(412);

    const newPhone = phoneNumber();
    const updated = await api.call('PATCH', url, {
      as: actorOf(userA), body: { notifyConsent: true, phone: newPhone, fullName: rider.fullName, email: null },
      headers: { 'If-Match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ notifyConsent: true, phone: newPhone, fullName: rider.fullName, version: 2 });
    const events = await auditFor(rider.id);
    expect(events).toEqual([expect.objectContaining({ action: 'rider.updated', details: { fields: ['notifyConsent', 'phone'] } })]);
    expect(JSON.stringify(events)).not.toContain(newPhone);

    const unchanged = await api.call('PATCH', url, { as: actorOf(adminA), body: { notifyConsent: true }, headers: { 'If-Match': '"2"' } });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.version).toBe(2);
    expect(await auditFor(rider.id)).toHaveLength(1);
  });

  test('list and get stay inside the tenant; phone is an exact filter', async () => {
    const phone = phoneNumber();
    const mine = await createRider(db().owner, { facilityId: facilityA, phone });
    const theirs = await createRider(db().owner, { facilityId: facilityB, phone });
    const byPhone = await api.call('GET', `/v1/riders?phone=${encodeURIComponent(phone)}`, { as: actorOf(adminA) });
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.items.map((item: { id: string }) => item.id)).toEqual([mine.id]);
    // Blind indexes are keyed per tenant, so a dispatcher names the facility to search in.
    const staffByPhone = await api.call('GET', `/v1/riders?phone=${encodeURIComponent(phone)}`, { as: actorOf(dispatcher) });
    expect(staffByPhone.status).toBe(400);
    expect(staffByPhone.body.errors).toEqual([{ path: 'phone', message: expect.stringContaining('facility') }]);
    const staffInB = await api.call('GET', `/v1/riders?facilityId=${facilityB}&phone=${encodeURIComponent(phone)}`, {
      as: actorOf(dispatcher),
    });
    expect(staffInB.body.items.map((item: { id: string }) => item.id)).toEqual([theirs.id]);
    const all = await api.call('GET', '/v1/riders?limit=100', { as: actorOf(userA) });
    expect(all.body.items.every((item: { facilityId: string }) => item.facilityId === facilityA)).toBe(true);
    expect((await api.call('GET', `/v1/riders?facilityId=${facilityB}`, { as: actorOf(userA) })).status).toBe(400);
    expect((await api.call('GET', `/v1/riders/${theirs.id}`, { as: actorOf(userA) })).status).toBe(404);
    const own = await api.call('GET', `/v1/riders/${mine.id}`, { as: actorOf(userA) });
    expect(own.status).toBe(200);
    expect(own.headers.etag).toBe('"1"');
  });
});

describe('contacts', () => {
  test('a FacilityAdmin adds a contact, links a facility user to it, and that user then sees the trips booked for the contact', async () => {
    const created = await api.call('POST', '/v1/contacts', {
      as: actorOf(adminA), body: { fullName: 'Casey Manager', phone: '+15550104242', email: 'casey@clinic.test' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ facilityId: facilityA, fullName: 'Casey Manager', phone: '+15550104242', version: 1 });
    const contactId = created.body.id as string;
    const events = await auditFor(contactId);
    expect(events).toEqual([expect.objectContaining({ action: 'contact.created', facility_id: facilityA,
      details: { fields: ['email', 'fullName', 'phone'] } })]);
    expect(JSON.stringify(events)).not.toContain('Casey');

    const linked = await api.call('POST', '/v1/users', {
      as: actorOf(adminA), body: { email: uniqueEmail('casey'), displayName: 'Casey', role: 'FacilityUser', contactId },
    });
    expect(linked.status).toBe(201);
    const rider = await createRider(db().owner, { facilityId: facilityA });
    const trip = await api.call('POST', '/v1/trip-requests', {
      as: actorOf(adminA),
      body: { riderId: rider.id, contactId, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd', appointmentAt: '2031-06-01T10:00:00Z' },
    });
    expect(trip.status).toBe(201);
    const casey = { role: 'FacilityUser' as const, facilityId: facilityA, contactId, sub: linked.body.id as string };
    const seen = await api.call('GET', '/v1/trip-requests?limit=100', { as: casey });
    expect((seen.body.items as { id: string }[]).map((item) => item.id)).toContain(trip.body.id);
    expect((await api.call('GET', `/v1/contacts/${contactId}`, { as: casey })).status).toBe(200);
  });

  test('update: If-Match, only changed fields audited, null clears; other tenants answer 404 and nothing changes', async () => {
    const contact = await createContact(db().owner, { facilityId: facilityA, phone: '+15550101010' });
    const url = `/v1/contacts/${contact.id}`;
    expect((await api.call('PATCH', url, { as: actorOf(adminA), body: { phone: null } })).status).toBe(428);
    expect((await api.call('PATCH', url, { as: actorOf(adminB), body: { phone: null }, headers: { 'If-Match': '"1"' } })).status)
      .toBe(404);
    expect((await api.call('GET', url, { as: actorOf(adminB) })).status).toBe(404);
    for (const bad of [{ phone: '555-0100' }, { facilityId: facilityB }, { fullName: '' }, {}]) {
      expect((await api.call('PATCH', url, { as: actorOf(adminA), body: bad, headers: { 'If-Match': '"1"' } })).status).toBe(422);
    }
    const updated = await api.call('PATCH', url, {
      as: actorOf(dispatcher), body: { email: 'new@clinic.test', phone: null }, headers: { 'If-Match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ email: 'new@clinic.test', phone: null, version: 2 });
    expect(await auditFor(contact.id)).toEqual([expect.objectContaining({ action: 'contact.updated', details: { fields: ['email', 'phone'] } })]);
    // The same values again: nothing written, nothing audited.
    const same = await api.call('PATCH', url, { as: actorOf(adminA), body: { phone: null }, headers: { 'If-Match': '"2"' } });
    expect(same.body).toMatchObject({ version: 2 });
    expect(await auditFor(contact.id)).toHaveLength(1);
  });

  test('list: a facility role sees its own tenant only; a dispatcher filters by facility; facility users may not create', async () => {
    const mine = await createContact(db().owner, { facilityId: facilityA });
    const theirs = await createContact(db().owner, { facilityId: facilityB });
    const ids = async (as: UserRow, query = '') =>
      ((await api.call('GET', `/v1/contacts?limit=100${query}`, { as: actorOf(as) })).body.items as { id: string }[]).map((item) => item.id);
    expect(await ids(userA)).toContain(mine.id);
    expect(await ids(userA)).not.toContain(theirs.id);
    expect(await ids(dispatcher, `&facilityId=${facilityB}`)).toEqual(expect.arrayContaining([theirs.id]));
    expect(await ids(dispatcher, `&facilityId=${facilityB}`)).not.toContain(mine.id);
    expect((await api.call('GET', `/v1/contacts?facilityId=${facilityB}`, { as: actorOf(adminA) })).status).toBe(400);
    const before = await countRows(db().owner, 'SELECT 1 FROM contacts');
    expect((await api.call('POST', '/v1/contacts', { as: actorOf(userA), body: { fullName: 'Not Allowed' } })).status).toBe(403);
    expect(await countRows(db().owner, 'SELECT 1 FROM contacts')).toBe(before);
  });
});

describe('users', () => {
  test('a dispatcher creates a staff user: identity first, then the row (id = sub), audited on the provider chain', async () => {
    const email = uniqueEmail('driver');
    const created = await api.call('POST', '/v1/users', {
      as: actorOf(dispatcher), body: { email, displayName: 'Dan Driver', role: 'Driver' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, role: 'Driver', facilityId: null, contactId: null, active: true });
    const identity = api.identity.directory.get(created.body.id);
    expect(identity).toMatchObject({ email, role: 'Driver', enabled: true });
    expect(identity?.facilityId).toBeUndefined();
    expect(await auditFor(created.body.id)).toEqual([expect.objectContaining({
      chain_key: NIL_CHAIN, facility_id: null, action: 'user.created', to_state: 'active', details: { role: 'Driver' },
    })]);
  });

  test('a dispatcher creates a facility user with its tenant and contact, audited in that tenant', async () => {
    const email = uniqueEmail('nurse');
    const created = await api.call('POST', '/v1/users', {
      as: actorOf(dispatcher), body: { email, displayName: 'Nina Nurse', role: 'FacilityUser', facilityId: facilityA, contactId: contactA },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ role: 'FacilityUser', facilityId: facilityA, contactId: contactA });
    expect(api.identity.directory.get(created.body.id)).toMatchObject({ role: 'FacilityUser', facilityId: facilityA, contactId: contactA });
    expect(await auditFor(created.body.id)).toEqual([expect.objectContaining({ chain_key: facilityA, action: 'user.created' })]);
  });

  test.each([
    ['a staff role with a facility', () => ({ role: 'Billing', facilityId: facilityA }), 422],
    ['a staff role with a contact', () => ({ role: 'Billing', contactId: contactA }), 422],
    ['a facility role without a facility', () => ({ role: 'FacilityUser' }), 422],
    ['an unknown facility', () => ({ role: 'FacilityAdmin', facilityId: randomUUID() }), 404],
    ['a contact of another facility', () => ({ role: 'FacilityUser', facilityId: facilityA, contactId: contactB }), 404],
  ])('a dispatcher naming %s is refused and no identity is created', async (_case, extra, status) => {
    const before = await written();
    const answer = await api.call('POST', '/v1/users', {
      as: actorOf(dispatcher), body: { email: uniqueEmail('refused'), displayName: 'Refused', ...extra() },
    });
    expect(answer.status).toBe(status);
    expect(await written()).toEqual(before);
  });

  test('a FacilityAdmin creates users of its own facility, with or without naming it', async () => {
    const implicit = await api.call('POST', '/v1/users', {
      as: actorOf(adminA), body: { email: uniqueEmail('fu'), displayName: 'Front Desk', role: 'FacilityUser', contactId: contactA },
    });
    expect(implicit.status).toBe(201);
    expect(implicit.body).toMatchObject({ facilityId: facilityA, role: 'FacilityUser', contactId: contactA });
    const named = await api.call('POST', '/v1/users', {
      as: actorOf(adminA), body: { email: uniqueEmail('fa'), displayName: 'Second Admin', role: 'FacilityAdmin', facilityId: facilityA },
    });
    expect(named.status).toBe(201);
    expect(named.body.facilityId).toBe(facilityA);
    expect(await auditFor(named.body.id)).toEqual([expect.objectContaining({ chain_key: facilityA, actor_sub: adminA.id })]);
  });

  // Choice: naming any facility but its own is 403 for a FacilityAdmin, whether that facility
  // exists or not, so the answer says "not yours" without disclosing what exists.
  test.each([
    ['escalate to Dispatcher', () => ({ role: 'Dispatcher' })],
    ['create a Driver', () => ({ role: 'Driver' })],
    ['create a Billing user', () => ({ role: 'Billing' })],
    ['create a user for another facility', () => ({ role: 'FacilityUser', facilityId: facilityB })],
    ['create an admin for another facility', () => ({ role: 'FacilityAdmin', facilityId: facilityB })],
    ['create a user for a facility that does not exist', () => ({ role: 'FacilityUser', facilityId: randomUUID() })],
  ])('a FacilityAdmin may not %s (403) and nothing is written', async (_case, extra) => {
    const before = await written();
    const answer = await api.call('POST', '/v1/users', {
      as: actorOf(adminA), body: { email: uniqueEmail('escalate'), displayName: 'Nope', ...extra() },
    });
    expect(answer.status).toBe(403);
    expect(await written()).toEqual(before);
  });

  test.each([
    ['id', () => ({ id: randomUUID() })],
    ['active', () => ({ active: false })],
    ['sub', () => ({ sub: randomUUID() })],
    ['groups', () => ({ groups: ['Dispatcher'] })],
  ])('mass assignment of %s on create is refused (422) and nothing is written', async (_field, extra) => {
    const before = await written();
    for (const user of [adminA, dispatcher]) {
      const answer = await api.call('POST', '/v1/users', {
        as: actorOf(user), body: { email: uniqueEmail('mass'), displayName: 'Mass', role: 'FacilityUser', ...extra() },
      });
      expect(answer.status).toBe(422);
    }
    expect(await written()).toEqual(before);
  });

  test('facility users and drivers cannot manage users (403)', async () => {
    const driver = await createStaffUser(db().owner, 'Driver');
    for (const user of [userA, driver]) {
      expect((await api.call('POST', '/v1/users', {
        as: actorOf(user), body: { email: uniqueEmail('x'), displayName: 'X', role: 'FacilityUser' },
      })).status).toBe(403);
      expect((await api.call('GET', '/v1/users', { as: actorOf(user) })).status).toBe(403);
    }
  });

  test('an email already in use is 409, case-insensitively, and leaves no identity behind', async () => {
    const email = uniqueEmail('dup');
    const first = await api.call('POST', '/v1/users', { as: actorOf(dispatcher), body: { email, displayName: 'One', role: 'Billing' } });
    expect(first.status).toBe(201);
    const before = await written();
    const again = await api.call('POST', '/v1/users', {
      as: actorOf(dispatcher), body: { email: email.toUpperCase(), displayName: 'Two', role: 'Billing' },
    });
    expect(again.status).toBe(409);
    expect(await written()).toEqual(before);
  });

  test('when the database refuses the row, the identity already created is deleted again', async () => {
    // A creation racing this one takes the address between the check and the insert: only the
    // unique index finds the clash, after the identity provider has issued a sub.
    const email = uniqueEmail('race');
    const before = await written();
    const create = api.identity.createUser.bind(api.identity);
    const created = jest.spyOn(api.identity, 'createUser').mockImplementationOnce(async (identity) => {
      await db().owner.query(`INSERT INTO users (id, role, email, display_name) VALUES ($1, 'Billing', $2, 'Racer')`, [randomUUID(), email]);
      return create(identity);
    });
    const deleted = jest.spyOn(api.identity, 'deleteUser');
    try {
      const answer = await api.call('POST', '/v1/users', { as: actorOf(dispatcher), body: { email, displayName: 'Race', role: 'Billing' } });
      expect(answer.status).toBe(409);
      expect(answer.body.type).toBe('urn:nemt:problem:email-taken');
      expect(created).toHaveBeenCalledTimes(1);
      const issued = await (created.mock.results[0]?.value as Promise<{ sub: string }>);
      expect(deleted).toHaveBeenCalledWith(issued.sub);
    } finally {
      created.mockRestore();
      deleted.mockRestore();
    }
    expect(await written()).toEqual({ ...before, users: before.users + 1 });
    expect([...api.identity.directory.values()].some((identity) => identity.email === email)).toBe(false);
  });

  describe("another tenant's users and staff stay invisible to a FacilityAdmin", () => {
    const invite = (email: string) => ({ email, displayName: 'Probe', role: 'FacilityUser' });
    /** What a client can compare between two answers: status, header names, body keys and value types. */
    const shapeOf = (answer: { status: number; headers: Record<string, string>; body: Record<string, unknown> }) => ({
      status: answer.status,
      headers: Object.keys(answer.headers).filter((name) => name !== 'x-request-id').sort(),
      body: Object.fromEntries(Object.entries(answer.body).map(([key, value]) => [key, value === null ? 'null' : typeof value])),
      etag: answer.headers.etag,
    });

    test.each([
      ["another tenant's admin", () => adminB.email],
      ["another tenant's admin, in capitals", () => adminB.email.toUpperCase()],
      ['a dispatcher (staff)', () => dispatcher.email],
    ])('an address of %s is answered as a creation is; nothing is created, nothing is sent, the attempt is audited', async (_, email) => {
      const created = jest.spyOn(api.identity, 'createUser');
      const fresh = await api.call('POST', '/v1/users', { as: actorOf(adminA), body: invite(uniqueEmail('fresh')) });
      const before = await written();
      let probe: ApiAnswer;
      try {
        probe = await api.call('POST', '/v1/users', { as: actorOf(adminA), body: invite(email()) });
        expect(created).toHaveBeenCalledTimes(1);
      } finally {
        created.mockRestore();
      }
      expect(fresh.status).toBe(201);
      expect(shapeOf(probe)).toEqual(shapeOf(fresh));
      expect(probe.body).toMatchObject({ email: email(), displayName: 'Probe', role: 'FacilityUser', facilityId: facilityA,
        contactId: null, active: true, version: 1 });
      expect(probe.body.id).not.toBe(fresh.body.id);
      // Only the audit event: no user row, no identity (so no invitation mail).
      expect(await written()).toEqual({ ...before, audit: before.audit + 1 });
      expect(await auditFor(probe.body.id)).toEqual([expect.objectContaining({
        chain_key: facilityA, actor_sub: adminA.id, action: 'user.create_withheld',
        details: { role: 'FacilityUser', reason: 'address-registered' },
      })]);
      // The owner of the address is untouched.
      const { rows } = await db().owner.query<{ facility_id: string | null; role: string }>(
        'SELECT facility_id, role FROM users WHERE lower(email) = lower($1)', [email()]);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.facility_id).not.toBe(facilityA);
    });

    test("an address of the FacilityAdmin's own tenant is 409 email-taken, as it sees that user anyway", async () => {
      const before = await written();
      const answer = await api.call('POST', '/v1/users', { as: actorOf(adminA), body: invite(userA.email.toUpperCase()) });
      expect(answer.status).toBe(409);
      expect(answer.body.type).toBe('urn:nemt:problem:email-taken');
      expect(await written()).toEqual(before);
    });

    test('a Dispatcher, who administers every account, gets 409 for an address taken in any tenant', async () => {
      for (const email of [adminB.email, userA.email]) {
        const answer = await api.call('POST', '/v1/users', { as: actorOf(dispatcher), body: { ...invite(email), facilityId: facilityA } });
        expect(answer.status).toBe(409);
      }
    });

    test('an address the identity provider already holds without a database row: 201 as above for a FacilityAdmin, 409 for a Dispatcher', async () => {
      const email = uniqueEmail('orphan');
      const orphan = await api.identity.createUser({ email, role: 'Billing' });
      try {
        const before = await written();
        const probe = await api.call('POST', '/v1/users', { as: actorOf(adminA), body: invite(email) });
        expect(probe.status).toBe(201);
        expect(probe.body.id).not.toBe(orphan.sub);
        expect(await written()).toEqual({ ...before, audit: before.audit + 1 });
        expect(await auditFor(probe.body.id)).toEqual([expect.objectContaining({ action: 'user.create_withheld' })]);
        const staff = await api.call('POST', '/v1/users', { as: actorOf(dispatcher), body: { email, displayName: 'X', role: 'Billing' } });
        expect(staff.status).toBe(409);
      } finally {
        await api.identity.deleteUser(orphan.sub);
      }
    });

    test('the database answers "is this address registered" only while a role that creates users acts', async () => {
      const registered = async (role: string) => (await db().as('api').transaction(async (tx) => {
        await tx.query(`SELECT set_config('app.role', $1, true)`, [role]);
        return (await tx.query<{ registered: boolean }>('SELECT user_email_registered($1) AS registered', [adminB.email])).rows[0]?.registered;
      }));
      expect(await registered('FacilityAdmin')).toBe(true);
      expect(await registered('FacilityUser')).toBe(false);
      expect(await registered('Driver')).toBe(false);
    });
  });

  test('an identity provider outage is 503 and writes nothing', async () => {
    const before = await written();
    const spy = jest.spyOn(api.identity, 'createUser').mockRejectedValueOnce(Object.assign(new Error('down'), { name: 'InternalErrorException' }));
    try {
      const answer = await api.call('POST', '/v1/users', {
        as: actorOf(dispatcher), body: { email: uniqueEmail('outage'), displayName: 'Outage', role: 'Billing' },
      });
      expect(answer.status).toBe(503);
    } finally {
      spy.mockRestore();
    }
    expect(await written()).toEqual(before);
  });

  test('list: dispatcher filters by facility and role; a FacilityAdmin sees its own facility only', async () => {
    const byFacility = await api.call('GET', `/v1/users?facilityId=${facilityB}&limit=100`, { as: actorOf(dispatcher) });
    expect(byFacility.status).toBe(200);
    expect(byFacility.body.items.map((item: { id: string }) => item.id)).toContain(adminB.id);
    expect(byFacility.body.items.every((item: { facilityId: string }) => item.facilityId === facilityB)).toBe(true);
    const dispatchers = await api.call('GET', '/v1/users?role=Dispatcher&limit=100', { as: actorOf(dispatcher) });
    expect(dispatchers.body.items.map((item: { id: string }) => item.id)).toContain(dispatcher.id);
    expect(dispatchers.body.items.every((item: { role: string }) => item.role === 'Dispatcher')).toBe(true);

    const ownIds: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string; facilityId: string }[]; nextCursor: string | null } } = await api.call(
        'GET', `/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { as: actorOf(adminA) },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.every((item) => item.facilityId === facilityA)).toBe(true);
      ownIds.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ownIds).toEqual(expect.arrayContaining([adminA.id, userA.id]));
    expect(ownIds).not.toContain(dispatcher.id);
    expect((await api.call('GET', `/v1/users?facilityId=${facilityB}`, { as: actorOf(adminA) })).status).toBe(400);
  });

  test('disable: the user is refused at once with the token it already holds, and signed out everywhere', async () => {
    const target = await api.call('POST', '/v1/users', {
      as: actorOf(dispatcher), body: { email: uniqueEmail('leaver'), displayName: 'Leaver', role: 'FacilityUser', facilityId: facilityA },
    });
    const leaver = { role: 'FacilityUser' as const, facilityId: facilityA, sub: target.body.id as string };
    const token = api.issuer.mint(leaver);
    expect((await api.call('GET', '/v1/me', { token })).status).toBe(200);

    const disabled = await api.call('POST', `/v1/users/${leaver.sub}/disable`, { as: actorOf(adminA), body: {} });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: leaver.sub, active: false, version: 2 });
    expect(api.identity.directory.get(leaver.sub)).toMatchObject({ enabled: false, signedOutAt: expect.any(Date) });
    expect(await auditFor(leaver.sub)).toEqual([
      expect.objectContaining({ action: 'user.created' }),
      expect.objectContaining({ action: 'user.disabled', from_state: 'active', to_state: 'disabled', facility_id: facilityA }),
    ]);

    const repeated = await api.call('POST', `/v1/users/${leaver.sub}/disable`, { as: actorOf(dispatcher), body: {} });
    expect(repeated.status).toBe(200);
    expect(repeated.body).toMatchObject({ active: false, version: 2 });
    expect(await auditFor(leaver.sub)).toHaveLength(2);

    const refused = await api.call('GET', '/v1/me', { token });
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect((await api.call('GET', `/v1/riders`, { token })).status).toBe(401);
  });

  test('disable: a failure at the identity provider rolls the disable back (503)', async () => {
    const user = await createFacilityUser(db().owner, 'FacilityUser', facilityA);
    const spy = jest.spyOn(api.identity, 'disableUser').mockRejectedValueOnce(Object.assign(new Error('down'), { name: 'TooManyRequestsException' }));
    try {
      const answer = await api.call('POST', `/v1/users/${user.id}/disable`, { as: actorOf(dispatcher), body: {} });
      expect(answer.status).toBe(503);
      expect(spy).toHaveBeenCalledWith(user.id);
    } finally {
      spy.mockRestore();
    }
    const { rows } = await db().owner.query<{ active: boolean }>('SELECT active FROM users WHERE id = $1', [user.id]);
    expect(rows[0]?.active).toBe(true);
    expect(await auditFor(user.id)).toEqual([]);
    expect((await api.call('GET', '/v1/me', { as: actorOf(user) })).status).toBe(200);
  });

  test('disable: a FacilityAdmin reaches only its own facility (404), nobody disables themselves (409)', async () => {
    const foreign = await createFacilityUser(db().owner, 'FacilityUser', facilityB);
    const before = await written();
    expect((await api.call('POST', `/v1/users/${foreign.id}/disable`, { as: actorOf(adminA), body: {} })).status).toBe(404);
    expect((await api.call('POST', `/v1/users/${dispatcher.id}/disable`, { as: actorOf(adminA), body: {} })).status).toBe(404);
    expect((await api.call('POST', `/v1/users/${adminA.id}/disable`, { as: actorOf(adminA), body: {} })).status).toBe(409);
    expect((await api.call('POST', `/v1/users/${dispatcher.id}/disable`, { as: actorOf(dispatcher), body: {} })).status).toBe(409);
    expect((await api.call('POST', `/v1/users/${foreign.id}/disable`, {
      as: actorOf(adminB), body: { active: true },
    })).status).toBe(422);
    expect((await api.call('POST', `/v1/users/${foreign.id}/disable`, { as: actorOf(userA), body: {} })).status).toBe(403);
    expect(await written()).toEqual(before);
    const { rows } = await db().owner.query<{ id: string }>(
      'SELECT id FROM users WHERE id = ANY($1::uuid[]) AND NOT active', [`{${foreign.id},${dispatcher.id},${adminA.id}}`],
    );
    expect(rows).toEqual([]);
  });

  test('enable: refused (409) while tokens from before the disable may live, then the user is back, audited, with a new sign-in', async () => {
    const target = await api.call('POST', '/v1/users', {
      as: actorOf(dispatcher), body: { email: uniqueEmail('returner'), displayName: 'Returner', role: 'FacilityUser', facilityId: facilityA },
    });
    const sub = target.body.id as string;
    const oldToken = api.issuer.mint({ role: 'FacilityUser', facilityId: facilityA, sub });
    expect((await api.call('POST', `/v1/users/${sub}/disable`, { as: actorOf(adminA), body: {} })).status).toBe(200);

    // Just disabled: a token from before the disable could still be valid for up to an hour.
    const early = await api.call('POST', `/v1/users/${sub}/enable`, { as: actorOf(adminA), body: {} });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ type: 'urn:nemt:problem:disabled-too-recently', status: 409 });
    expect((await api.call('GET', '/v1/me', { token: oldToken })).status).toBe(401);
    expect(api.identity.directory.get(sub)).toMatchObject({ enabled: false });

    // An hour later, every token from before the disable has expired.
    await db().owner.query("UPDATE users SET disabled_at = now() - interval '61 minutes' WHERE id = $1", [sub]);
    const enabled = await api.call('POST', `/v1/users/${sub}/enable`, { as: actorOf(adminA), body: {} });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ id: sub, active: true });
    expect(api.identity.directory.get(sub)).toMatchObject({ enabled: true });
    expect((await auditFor(sub)).map((event) => event.action)).toEqual(['user.created', 'user.disabled', 'user.enabled']);
    expect((await api.call('GET', '/v1/me', { token: api.issuer.mint({ role: 'FacilityUser', facilityId: facilityA, sub }) })).status)
      .toBe(200);

    // Enabling an active user changes nothing and audits nothing.
    const again = await api.call('POST', `/v1/users/${sub}/enable`, { as: actorOf(dispatcher), body: {} });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ active: true, version: enabled.body.version });
    expect(await auditFor(sub)).toHaveLength(3);
  });

  test('enable: a user disabled before disabled_at existed counts from its last update; tenants and roles as for disable', async () => {
    const legacy = await createFacilityUser(db().owner, 'FacilityUser', facilityA, { active: false });
    await db().owner.query('UPDATE users SET disabled_at = NULL WHERE id = $1', [legacy.id]);
    const foreign = await createFacilityUser(db().owner, 'FacilityUser', facilityB, { active: false, disabledAt: new Date(0) });
    const before = await written();
    expect((await api.call('POST', `/v1/users/${foreign.id}/enable`, { as: actorOf(adminA), body: {} })).status).toBe(404);
    expect((await api.call('POST', `/v1/users/${foreign.id}/enable`, { as: actorOf(userA), body: {} })).status).toBe(403);
    // Its row was written a moment ago (the disable, as far as the database can tell): too soon.
    expect((await api.call('POST', `/v1/users/${legacy.id}/enable`, { as: actorOf(adminA), body: {} })).status).toBe(409);
    expect(await written()).toEqual(before);
  });

  test('enable: a failure at the identity provider leaves the user disabled (503)', async () => {
    const user = await createFacilityUser(db().owner, 'FacilityUser', facilityA, { active: false, disabledAt: new Date(Date.now() - 7_200_000) });
    const spy = jest.spyOn(api.identity, 'enableUser').mockRejectedValueOnce(Object.assign(new Error('down'), { name: 'TooManyRequestsException' }));
    try {
      expect((await api.call('POST', `/v1/users/${user.id}/enable`, { as: actorOf(dispatcher), body: {} })).status).toBe(503);
    } finally {
      spy.mockRestore();
    }
    const { rows } = await db().owner.query<{ active: boolean }>('SELECT active FROM users WHERE id = $1', [user.id]);
    expect(rows[0]?.active).toBe(false);
    expect(await auditFor(user.id)).toEqual([]);
  });
});
