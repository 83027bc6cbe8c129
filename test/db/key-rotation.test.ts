import { randomInt, randomUUID } from 'node:crypto';
import { verifyAuditChains } from '../../lambdas/shared/audit/verify';
import { readKeyRef } from '../../lambdas/shared/crypto/envelope';
import type { KeyProvider } from '../../lambdas/shared/crypto/key-provider';
import { createKmsKeyProvider } from '../../lambdas/shared/crypto/kms-key-provider';
import { createLocalKeyProvider } from '../../lambdas/shared/crypto/local-key-provider';
import { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import { createDataApiDatabase } from '../../lambdas/shared/db/data-api-adapter';
import type { Database } from '../../lambdas/shared/db/port';
import { asRotator, listTenants, type RotationOptions, TenantKeyRotation } from '../../scripts/tenant-key-rotation';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { installDataApiFake } from '../support/data-api-fake';
import { useTestDatabase } from '../support/database';
import {
  actorOf, createFacility, createFacilityUser, createRider, createStaffUser, defaultCompletion, driveLeg, expectSqlError, facilityActor, type UserRow,
} from '../support/fixtures';
import { openRiderField, TEST_MASTER_KEY, testPii } from '../support/keys';
import { createFakeKms, TEST_KEY_ARN } from '../support/kms';

/**
 * Tenant-key rotation (docs/security/key-rotation.md, scripts/tenant-key-rotation.ts) against the
 * real database, the real API handlers and the real key code: nothing written while it runs is
 * lost, every sealed field opens afterwards in a process with empty caches and in one whose cache
 * holds only the old version, lookups find riders during and after, an interrupted run resumes,
 * a rerun changes nothing, and the database refuses what would lose a key.
 */
const db = useTestDatabase();

/** A process that has seen nothing yet: its own caches, the same master key. */
const freshPii = () => new PiiCrypto({ provider: createLocalKeyProvider(TEST_MASTER_KEY) });
const phone = () => `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
const REQUEST_ID = 'keys-rotate:test';

let api: TestApi;
let dispatcher: UserRow;
let driver: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  dispatcher = await createStaffUser(db().owner, 'Dispatcher');
  driver = await createStaffUser(db().owner, 'Driver');
});

function ok<T = Record<string, unknown>>(answer: ApiAnswer<T>, status = 200): T {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
  return answer.body;
}

async function dbNow(): Promise<Date> {
  // The port answers timestamps in milliseconds: a millisecond later, so that what exists now was created before it.
  const { rows } = await db().owner.query<{ now: string }>("SELECT now() + interval '1 millisecond' AS now");
  return new Date((rows[0] as { now: string }).now);
}

function rotation(overrides: Partial<RotationOptions> & { olderThan: Date }): TenantKeyRotation {
  return new TenantKeyRotation({ db: db().owner, pii: freshPii(), batchSize: 5, graceMs: 0, requestId: REQUEST_ID, ...overrides });
}

interface KeyRow {
  version: number;
  retired: boolean;
  kept: boolean;
}

async function keyRows(facilityId: string): Promise<KeyRow[]> {
  const { rows } = await db().owner.query<KeyRow>(
    `SELECT version, retired_at IS NOT NULL AS retired, wrapped_key IS NOT NULL AS kept
       FROM tenant_keys WHERE facility_id = $1 ORDER BY version`, [facilityId]);
  return rows;
}

/** How many live riders of the tenant have their data key wrapped by each version. */
async function ridersByVersion(facilityId: string): Promise<Record<number, number>> {
  const { rows } = await db().owner.query<{ data_key: Buffer }>(
    'SELECT data_key FROM riders WHERE facility_id = $1 AND data_key IS NOT NULL', [facilityId]);
  const counts: Record<number, number> = {};
  for (const { data_key } of rows) {
    const { version } = readKeyRef(data_key);
    counts[version] = (counts[version] ?? 0) + 1;
  }
  return counts;
}

async function keyEvents(facilityId: string): Promise<{ action: string; details: Record<string, number> }[]> {
  const { rows } = await db().owner.query<{ action: string; details: Record<string, number> }>(
    `SELECT action, details FROM audit_events WHERE facility_id = $1 AND entity_type = 'tenant_key' ORDER BY seq`, [facilityId]);
  return rows;
}

async function findByPhone(through: TestApi, facilityId: string, value: string): Promise<string[]> {
  const page = ok(await through.call('GET', `/v1/riders?facilityId=${facilityId}&phone=${encodeURIComponent(value)}`,
    { as: actorOf(dispatcher) })) as { items: { id: string }[] };
  return page.items.map((item) => item.id);
}

async function findByEmail(through: TestApi, facilityId: string, value: string): Promise<string[]> {
  const page = ok(await through.call('GET', `/v1/riders?facilityId=${facilityId}&email=${encodeURIComponent(value)}`,
    { as: actorOf(dispatcher) })) as { items: { id: string }[] };
  return page.items.map((item) => item.id);
}

interface Expected {
  fullName: string;
  phone: string;
  email: string;
  careNotes: string;
}

describe('a tenant rotated while the API writes to it', () => {
  let facilityId: string;
  let otherFacilityId: string;
  let admin: UserRow;
  let user: UserRow;
  const riders = new Map<string, Expected>();
  let tripId: string;
  let legId: string;
  let idempotent: { key: string; body: unknown; payload: Record<string, unknown> };
  let untouchedRider: { id: string; version: number };
  let erasedRiderId: string;
  let otherTenantKeys: Buffer[];

  const values = (label: string): Expected => ({
    fullName: `Rider ${label} ${randomUUID().slice(0, 6)}`, phone: phone(), email: `${label}.${randomUUID().slice(0, 8)}@example.test`,
    careNotes: `Care ${label}`,
  });

  async function createViaApi(label: string): Promise<{ id: string; version: number }> {
    const expected = values(label);
    const rider = ok(await api.call('POST', '/v1/riders', { as: actorOf(admin), body: { ...expected, dateOfBirth: '1940-02-03' } }), 201) as
      { id: string; version: number };
    riders.set(rider.id, expected);
    return rider;
  }

  async function updateViaApi(riderId: string, label: string): Promise<void> {
    const current = ok(await api.call('GET', `/v1/riders/${riderId}`, { as: actorOf(admin) })) as { version: number };
    const next = values(label);
    ok(await api.call('PATCH', `/v1/riders/${riderId}`, {
      as: actorOf(admin), headers: { 'If-Match': `"${current.version}"` }, body: { phone: next.phone, email: next.email },
    }));
    const before = riders.get(riderId) as Expected;
    riders.set(riderId, { ...before, phone: next.phone, email: next.email });
  }

  beforeAll(async () => {
    facilityId = (await createFacility(db().owner, { name: 'Rotating Clinic' })).id;
    otherFacilityId = (await createFacility(db().owner, { name: 'Bystander Clinic' })).id;
    admin = await createFacilityUser(db().owner, 'FacilityAdmin', facilityId);
    user = await createFacilityUser(db().owner, 'FacilityUser', facilityId);
    for (let i = 0; i < 16; i += 1) await createViaApi(`before-${i}`);
    const ids = [...riders.keys()];
    untouchedRider = { id: ids[12] as string, version: 1 };

    // Clinical notes on a trip, completion notes on a finished leg: sealed under rider keys.
    const riderId = ids[0] as string;
    const trip = ok(await api.call('POST', '/v1/trip-requests', {
      as: actorOf(user), body: { riderId, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd',
        appointmentAt: '2031-04-01T15:00:00Z', clinicalNotes: 'Dizzy after dialysis' },
    }), 201) as { id: string; version: number };
    tripId = trip.id;
    ok(await api.call('POST', `/v1/trip-requests/${tripId}/schedule`, {
      as: actorOf(dispatcher), headers: { 'If-Match': `"${trip.version}"` },
      body: { outbound: { pickupAt: '2031-04-01T14:00:00Z', dropoffAt: '2031-04-01T14:40:00Z' } },
    }));
    const legs = ok(await api.call('GET', `/v1/legs?tripRequestId=${tripId}`, { as: actorOf(dispatcher) })) as { items: { id: string }[] };
    legId = legs.items[0]?.id as string;
    await driveLeg(db().owner, legId, 'completed', { driverId: driver.id, completion: defaultCompletion({
      actualPickupAt: new Date('2031-04-01T14:02:00Z'), actualDropoffAt: new Date('2031-04-01T14:38:00Z'),
      notes: 'Needed help on the stairs' }) });

    // A stored idempotent answer (sealed under the new rider's key) must replay after the rotation.
    const payload = { ...values('idempotent'), dateOfBirth: '1950-01-01' };
    const key = `rotation-${randomUUID()}`;
    const created = await api.call('POST', '/v1/riders', { as: actorOf(admin), headers: { 'Idempotency-Key': key }, body: payload });
    idempotent = { key, body: ok(created, 201), payload };
    riders.set((created.body as { id: string }).id, payload);

    // An erased rider holds no key: the rotation passes over it.
    const erased = await createViaApi('erased');
    ok(await api.call('POST', `/v1/riders/${erased.id}/erasure`, { as: actorOf(admin), headers: { 'If-Match': `"${erased.version}"` } }));
    riders.delete(erased.id);
    erasedRiderId = erased.id;

    await createRider(db().owner, { facilityId: otherFacilityId });
    await createRider(db().owner, { facilityId: otherFacilityId });
    otherTenantKeys = (await db().owner.query<{ data_key: Buffer }>('SELECT data_key FROM riders WHERE facility_id = $1 ORDER BY id',
      [otherFacilityId])).rows.map((row) => row.data_key);
  });

  test('rotation under concurrent writes loses nothing; lookups find riders during it; the old version goes', async () => {
    // A process whose cache holds only version 1 of the tenant key (and the rider keys under it).
    const stale = freshPii();
    const staleApi = createTestApi(db().as('api'), { pii: stale });
    ok(await staleApi.call('GET', `/v1/riders?facilityId=${facilityId}&limit=100`, { as: actorOf(dispatcher) }));

    const olderThan = await dbNow();
    let batches = 0;
    const duringRotation: Promise<void>[] = [];
    const midRotationLookups: { riderId: string; phone: string[]; email: string[] }[] = [];
    let rotating = true;

    // Writers that run beside the rotation, whatever the interleaving.
    const concurrentWriter = (async () => {
      for (let round = 0; rotating || round < 2; round += 1) {
        await createViaApi(`concurrent-${round}`);
        // Riders 0-7: the batch hook below reads and edits others, so no two writers race for one ETag.
        const someone = [...riders.keys()][round % 8] as string;
        await updateViaApi(someone, `concurrent-update-${round}`);
      }
    })();

    const results = await rotation({
      olderThan,
      afterBatch: async () => {
        batches += 1;
        if (batches !== 1) return;
        // Between two batches, for certain: half the tenant is under version 2, half under 1.
        const split = await ridersByVersion(facilityId);
        expect(Object.keys(split).sort()).toEqual(['1', '2']);
        // Riders 8-15 (the newest of them were in the first batch), whose details nothing else changes meanwhile.
        const wrappedBy = new Set<number>();
        for (const [riderId, expected] of [...riders.entries()].slice(8, 16)) {
          const { rows } = await db().owner.query<{ data_key: Buffer }>('SELECT data_key FROM riders WHERE id = $1', [riderId]);
          wrappedBy.add(readKeyRef((rows[0] as { data_key: Buffer }).data_key).version);
          midRotationLookups.push({ riderId, phone: await findByPhone(staleApi, facilityId, expected.phone),
            email: await findByEmail(api, facilityId, expected.email) });
        }
        expect([...wrappedBy].sort()).toEqual([1, 2]);
        duringRotation.push(createViaApi('between-batches').then(() => undefined));
        // A process that knew version 1 as current wraps under version 2 now: it asks which version is current.
        const staleWrite = values('stale-process');
        const created = ok(await staleApi.call('POST', '/v1/riders', { as: actorOf(admin), body: staleWrite }), 201) as { id: string };
        riders.set(created.id, staleWrite);
        const { rows: stored } = await db().owner.query<{ data_key: Buffer }>('SELECT data_key FROM riders WHERE id = $1', [created.id]);
        expect(readKeyRef((stored[0] as { data_key: Buffer }).data_key).version).toBe(2);
        await updateViaApi([...riders.keys()][8] as string, 'between-batches-update');
        await Promise.all(duringRotation);
      },
    }).run([facilityId]).finally(() => {
      rotating = false;
    });
    await concurrentWriter;

    expect(batches).toBeGreaterThan(1);
    for (const lookup of midRotationLookups) expect(lookup).toEqual({ riderId: lookup.riderId, phone: [lookup.riderId], email: [lookup.riderId] });
    expect(results).toEqual([expect.objectContaining({ facilityId, outcome: 'rotated', toVersion: 2, started: true, retired: [1],
      destroyed: [1], unreadable: [] })]);
    expect(await keyRows(facilityId)).toEqual([{ version: 1, retired: true, kept: false }, { version: 2, retired: false, kept: true }]);
    expect(await ridersByVersion(facilityId)).toEqual({ 2: riders.size });

    // Every rider's every field opens in a process that has seen nothing, as last written.
    const fresh = freshPii();
    for (const [riderId, expected] of riders) {
      expect({
        riderId,
        fullName: await openRiderField(db().owner, riderId, 'full_name_enc', fresh),
        phone: await openRiderField(db().owner, riderId, 'phone_enc', fresh),
        email: await openRiderField(db().owner, riderId, 'email_enc', fresh),
        careNotes: await openRiderField(db().owner, riderId, 'care_notes_enc', fresh),
      }).toEqual({ riderId, fullName: expected.fullName, phone: expected.phone, email: expected.email, careNotes: expected.careNotes });
    }
    // ...and through the API with empty caches, and with the stale one (it fetches version 2 by the number in the header).
    const freshApi = createTestApi(db().as('api'), { pii: freshPii() });
    for (const through of [freshApi, staleApi]) {
      for (const [riderId, expected] of riders) {
        expect(ok(await through.call('GET', `/v1/riders/${riderId}`, { as: actorOf(admin) }))).toMatchObject({ ...expected, erased: false });
        expect({ riderId, byPhone: await findByPhone(through, facilityId, expected.phone),
          byEmail: await findByEmail(through, facilityId, expected.email) })
          .toEqual({ riderId, byPhone: [riderId], byEmail: [riderId] });
      }
      const trip = ok(await through.call('GET', `/v1/trip-requests/${tripId}`, { as: actorOf(user) }));
      expect(trip).toMatchObject({ clinicalNotes: 'Dizzy after dialysis' });
      expect(trip).not.toHaveProperty('unavailable');
      const leg = ok(await through.call('GET', `/v1/legs/${legId}`, { as: actorOf(dispatcher) }));
      expect(leg).toMatchObject({ completionNotes: 'Needed help on the stairs' });
      expect(leg).not.toHaveProperty('unavailable');
      const replay = await through.call('POST', '/v1/riders', { as: actorOf(admin), headers: { 'Idempotency-Key': idempotent.key },
        body: idempotent.payload });
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(idempotent.body);
    }
    expect(ok(await freshApi.call('GET', `/v1/riders/${erasedRiderId}`, { as: actorOf(admin) }))).toMatchObject({ erased: true });

    // A re-wrap is not a change of the rider: its ETag holds.
    const untouched = await api.call('GET', `/v1/riders/${untouchedRider.id}`, { as: actorOf(admin) });
    expect(untouched.body.version).toBe(untouchedRider.version);

    // The bystander tenant is as it was.
    expect(await keyRows(otherFacilityId)).toEqual([{ version: 1, retired: false, kept: true }]);
    expect((await db().owner.query<{ data_key: Buffer }>('SELECT data_key FROM riders WHERE facility_id = $1 ORDER BY id',
      [otherFacilityId])).rows.map((row) => row.data_key)).toEqual(otherTenantKeys);

    // Audited on the tenant's chain, which still verifies.
    const events = await keyEvents(facilityId);
    expect(events[0]).toEqual({ action: 'tenant_key.rotation_started', details: { fromVersion: 1, toVersion: 2 } });
    expect(events.slice(-2)).toEqual([
      { action: 'tenant_key.retired', details: { version: 1, replacedBy: 2 } },
      { action: 'tenant_key.destroyed', details: { version: 1 } },
    ]);
    const rewrapEvents = events.filter((event) => event.action === 'tenant_key.riders_rewrapped');
    expect(rewrapEvents.length).toBe(batches);
    expect(rewrapEvents.reduce((sum, event) => sum + (event.details.riders ?? 0), 0)).toBe(results[0]?.rewrapped);
    expect(await verifyAuditChains(db().as('auditor'), { facilityId })).toMatchObject({ ok: true });
  });

  test('a rerun with the same cutoff changes nothing and records nothing', async () => {
    // The cutoff the first run printed would be just after version 2's creation; its creation time is the earliest such.
    const { rows: cutoff } = await db().owner.query<{ at: string }>(
      'SELECT created_at AS at FROM tenant_keys WHERE facility_id = $1 AND version = 2', [facilityId]);
    const olderThan = new Date((cutoff[0] as { at: string }).at);
    const snapshot = async () => ({
      keys: await db().owner.query('SELECT * FROM tenant_keys WHERE facility_id = $1 ORDER BY version', [facilityId]),
      riders: await db().owner.query('SELECT id, data_key, phone_index, email_index, version FROM riders WHERE facility_id = $1 ORDER BY id',
        [facilityId]),
      events: (await keyEvents(facilityId)).length,
    });
    const before = await snapshot();
    const results = await rotation({ olderThan }).run([facilityId]);
    expect(results).toEqual([expect.objectContaining({ outcome: 'current', started: false, rewrapped: 0, retired: [], destroyed: [] })]);
    expect((await snapshot()).keys.rows).toEqual(before.keys.rows);
    expect(await snapshot()).toEqual(before);
  });

  test('the rotator sees and changes one tenant at a time', async () => {
    await asRotator(db().owner, facilityId, REQUEST_ID, async (tx) => {
      const { rows } = await tx.query<{ n: number }>(
        'SELECT (SELECT count(*)::int4 FROM riders WHERE facility_id = $1) + (SELECT count(*)::int4 FROM tenant_keys WHERE facility_id = $1) AS n',
        [otherFacilityId]);
      expect(rows).toEqual([{ n: 0 }]);
      const updated = await tx.query('UPDATE riders SET phone_index = NULL WHERE facility_id = $1', [otherFacilityId]);
      expect(updated.rowCount).toBe(0);
    });
    await expectSqlError(asRotator(db().owner, facilityId, REQUEST_ID, (tx) => tx.query('SELECT full_name_enc FROM riders LIMIT 1')),
      { code: '42501' });
  });
});

describe('an interrupted rotation resumes', () => {
  test('a crash after the first batch: lookups still work, a rerun finishes without a third version', async () => {
    const facilityId = (await createFacility(db().owner, { name: 'Crashing Clinic' })).id;
    const created: { id: string; phone: string }[] = [];
    for (let i = 0; i < 12; i += 1) {
      const number = phone();
      created.push({ id: (await createRider(db().owner, { facilityId, phone: number })).id, phone: number });
    }
    const crash = new Error('killed after the first batch');
    await expect(rotation({ olderThan: await dbNow(), afterBatch: () => { throw crash; } }).run([facilityId])).rejects.toBe(crash);

    expect(await keyRows(facilityId)).toEqual([{ version: 1, retired: false, kept: true }, { version: 2, retired: false, kept: true }]);
    expect(await ridersByVersion(facilityId)).toEqual({ 1: 7, 2: 5 });
    for (const rider of created) expect(await findByPhone(api, facilityId, rider.phone)).toEqual([rider.id]);

    // A later cutoff: the tenant is mid-rotation, so it is finished, not rotated again.
    const results = await rotation({ olderThan: new Date((await dbNow()).getTime() + 60_000) }).run([facilityId]);
    expect(results).toEqual([expect.objectContaining({ outcome: 'rotated', toVersion: 2, started: false, rewrapped: 7, retired: [1],
      destroyed: [1] })]);
    expect(await keyRows(facilityId)).toEqual([{ version: 1, retired: true, kept: false }, { version: 2, retired: false, kept: true }]);
    expect(await ridersByVersion(facilityId)).toEqual({ 2: 12 });
    const fresh = createTestApi(db().as('api'), { pii: freshPii() });
    for (const rider of created) expect(await findByPhone(fresh, facilityId, rider.phone)).toEqual([rider.id]);
    expect((await keyEvents(facilityId)).map((event) => event.action).filter((action) => action === 'tenant_key.rotation_started'))
      .toHaveLength(1);
    expect(await verifyAuditChains(db().as('auditor'), { facilityId })).toMatchObject({ ok: true });
  });

  test('stopped while waiting to destroy: the old version is retired (it wraps nothing), a rerun destroys it', async () => {
    const facilityId = (await createFacility(db().owner, { name: 'Patient Clinic' })).id;
    const rider = await createRider(db().owner, { facilityId });
    const stopped = new Error('stopped while waiting');
    const run = rotation({ olderThan: await dbNow(), graceMs: 3_600_000, sleep: async () => { throw stopped; } }).run([facilityId]);
    // The first wait (before re-wrapping) is skipped only for versions older than the grace: this one is new.
    await expect(run).rejects.toBe(stopped);
    expect(await ridersByVersion(facilityId)).toEqual({ 1: 1 });

    let waits = 0;
    const sleepOnce = async () => {
      waits += 1;
      if (waits === 2) throw stopped;
    };
    await expect(rotation({ olderThan: await dbNow(), graceMs: 3_600_000, sleep: sleepOnce }).run([facilityId])).rejects.toBe(stopped);
    expect(await keyRows(facilityId)).toEqual([{ version: 1, retired: true, kept: true }, { version: 2, retired: false, kept: true }]);
    expect(await ridersByVersion(facilityId)).toEqual({ 2: 1 });

    // Retired: nothing can be wrapped under it any more, whoever writes.
    const pii = freshPii();
    const retired = await pii.tenantKeyVersion(db().owner, facilityId, 1);
    const late = pii.newRiderKey(retired, randomUUID());
    const adminActor = facilityActor('FacilityAdmin', facilityId, randomUUID());
    await expectSqlError(db().as('api').transaction(async (tx) => {
      await tx.query(`INSERT INTO riders (facility_id, id, data_key, full_name_enc) VALUES ($1, $2, $3, $3)`,
        [facilityId, late.key.riderId, late.wrapped]);
    }, { settings: { 'app.role': adminActor.role, 'app.sub': adminActor.sub, 'app.facility_id': facilityId } }),
    { code: '23514', message: /retired tenant key/ });
    await expectSqlError(db().owner.query('UPDATE riders SET data_key = $2 WHERE id = $1', [rider.id, late.wrapped]),
      { code: '23514' });

    const results = await rotation({ olderThan: await dbNow() }).run([facilityId]);
    expect(results).toEqual([expect.objectContaining({ outcome: 'rotated', started: false, rewrapped: 0, retired: [], destroyed: [1] })]);
    expect(await keyRows(facilityId)).toEqual([{ version: 1, retired: true, kept: false }, { version: 2, retired: false, kept: true }]);
    expect(await openRiderField(db().owner, rider.id, 'full_name_enc', freshPii())).toBe(rider.fullName);
  });
});

describe('the old version is retired only once nothing uses it', () => {
  test('a rider written under the old version meanwhile is re-wrapped in another pass before retirement', async () => {
    const facilityId = (await createFacility(db().owner, { name: 'Late Writer Clinic' })).id;
    for (let i = 0; i < 6; i += 1) await createRider(db().owner, { facilityId });
    let lateRider: { id: string; phone: string } | undefined;
    const results = await rotation({
      olderThan: await dbNow(),
      afterBatch: async () => {
        if (lateRider) return;
        // A writer whose transaction read the current version before version 2 existed.
        const pii = testPii();
        const old = await pii.tenantKeyVersion(db().owner, facilityId, 1);
        const id = randomUUID();
        const { key, wrapped } = pii.newRiderKey(old, id);
        const number = phone();
        const field = (column: string, value: string) => pii.sealField(key, { table: 'riders', column, rowId: id, facilityId }, value);
        await db().owner.query(
          `INSERT INTO riders (facility_id, id, data_key, full_name_enc, phone_enc, phone_index) VALUES ($1, $2, $3, $4, $5, $6)`,
          [facilityId, id, wrapped, field('full_name_enc', 'Late Rider'), field('phone_enc', number), pii.phoneIndex(old, number)]);
        lateRider = { id, phone: number };
      },
    }).run([facilityId]);
    expect(results).toEqual([expect.objectContaining({ outcome: 'rotated', rewrapped: 7, retired: [1], destroyed: [1] })]);
    expect(await ridersByVersion(facilityId)).toEqual({ 2: 7 });
    const late = lateRider as { id: string; phone: string };
    expect(await openRiderField(db().owner, late.id, 'full_name_enc', freshPii())).toBe('Late Rider');
    expect(await findByPhone(createTestApi(db().as('api'), { pii: freshPii() }), facilityId, late.phone)).toEqual([late.id]);
  });

  test('a transaction still storing a rider key holds retirement off (the shared lock of schema/0020)', async () => {
    const facilityId = (await createFacility(db().owner, { name: 'Locked Clinic' })).id;
    await createRider(db().owner, { facilityId });
    const holder = db().owner;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted: () => void = () => undefined;
    const insertedYet = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const writer = holder.transaction(async (tx) => {
      const pii = testPii();
      const current = await pii.currentTenantKey(tx, facilityId, { create: false });
      const { wrapped, key } = pii.newRiderKey(current as never, randomUUID());
      await tx.query('INSERT INTO riders (facility_id, id, data_key, full_name_enc) VALUES ($1, $2, $3, $3)',
        [facilityId, key.riderId, wrapped]);
      inserted();
      await released;
    });
    await insertedYet;
    await expectSqlError(asRotator(db().owner, facilityId, REQUEST_ID, async (tx) => {
      await tx.query("SET LOCAL lock_timeout = '50ms'");
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('tenant-key:' || $1::text, 0))`, [facilityId]);
    }), { code: '55P03' });
    release();
    await writer;
    await asRotator(db().owner, facilityId, REQUEST_ID, async (tx) => {
      await tx.query("SET LOCAL lock_timeout = '5s'");
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('tenant-key:' || $1::text, 0))`, [facilityId]);
    });
  });

  test('a key row changes only by retirement and then destruction; the newest version is never retired', async () => {
    const facilityId = (await createFacility(db().owner, { name: 'Immutable Clinic' })).id;
    await createRider(db().owner, { facilityId });
    const owner = db().owner;
    await expectSqlError(owner.query('UPDATE tenant_keys SET retired_at = now() WHERE facility_id = $1', [facilityId]),
      { code: '42501', message: /newest tenant key version/ });
    await expectSqlError(owner.query('UPDATE tenant_keys SET wrapped_key = NULL WHERE facility_id = $1', [facilityId]),
      { code: '42501' });
    await expectSqlError(owner.query(`UPDATE tenant_keys SET master_key_id = 'other' WHERE facility_id = $1`, [facilityId]),
      { code: '42501' });
    await expectSqlError(owner.query(`UPDATE tenant_keys SET wrapped_key = $2 WHERE facility_id = $1`, [facilityId, Buffer.alloc(64, 3)]),
      { code: '42501' });
    // The application's own roles have no UPDATE on keys at all.
    await expectSqlError(db().as('api').transaction((tx) => tx.query('UPDATE tenant_keys SET retired_at = now()'),
      { settings: { 'app.role': 'Dispatcher', 'app.sub': dispatcher.id } }), { code: '42501' });
  });
});

describe('every tenant, and a deployed database', () => {
  test('--all rotates every tenant with a key and passes over those without one', async () => {
    const withKey = (await createFacility(db().owner, { name: 'All A' })).id;
    const withoutKey = (await createFacility(db().owner, { name: 'All B' })).id;
    await createRider(db().owner, { facilityId: withKey });
    const olderThan = await dbNow();
    const ids = await listTenants(db().owner, REQUEST_ID);
    expect(ids).toEqual(expect.arrayContaining([withKey, withoutKey]));
    const results = await rotation({ olderThan }).run(ids);
    const byId = new Map(results.map((result) => [result.facilityId, result]));
    expect(byId.get(withKey)).toMatchObject({ outcome: 'rotated', retired: [1] });
    expect(byId.get(withoutKey)).toMatchObject({ outcome: 'no-key' });
    expect(results.filter((result) => result.outcome === 'incomplete')).toEqual([]);
    expect(await verifyAuditChains(db().as('auditor'))).toMatchObject({ ok: true });
  });

  test('through the RDS Data API and KMS (both faked at the SDK client), as a deployment runs it', async () => {
    const kms = createFakeKms();
    const kmsPii = () => new PiiCrypto({ provider: createKmsKeyProvider(kms.client, TEST_KEY_ARN) as KeyProvider });
    const kmsApi = createTestApi(db().as('api'), { pii: kmsPii() });
    const facilityId = (await createFacility(db().owner, { name: 'Deployed Clinic' })).id;
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facilityId);
    const created: { id: string; phone: string; fullName: string }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const body = { fullName: `Deployed ${i}`, phone: phone() };
      const rider = ok(await kmsApi.call('POST', '/v1/riders', { as: actorOf(admin), body }), 201) as { id: string };
      created.push({ id: rider.id, ...body });
    }
    const fake = installDataApiFake({ connectionString: db().url() });
    const dataApi: Database = createDataApiDatabase(fake.config);
    try {
      const results = await new TenantKeyRotation({ db: dataApi, pii: kmsPii(), olderThan: await dbNow(), batchSize: 3, graceMs: 0,
        requestId: REQUEST_ID }).run([facilityId]);
      expect(results).toEqual([expect.objectContaining({ outcome: 'rotated', rewrapped: 4, retired: [1], destroyed: [1] })]);
      expect(fake.openTransactions()).toBe(0);
    } finally {
      await dataApi.close();
      await fake.close();
    }
    expect(await ridersByVersion(facilityId)).toEqual({ 2: 4 });
    const after = createTestApi(db().as('api'), { pii: kmsPii() });
    for (const rider of created) {
      expect(ok(await after.call('GET', `/v1/riders/${rider.id}`, { as: actorOf(admin) }))).toMatchObject({ fullName: rider.fullName });
      expect(await findByPhone(after, facilityId, rider.phone)).toEqual([rider.id]);
    }
  });
});
