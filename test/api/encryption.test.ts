import { randomInt, randomUUID } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, KMSInternalException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { deliverOutboxRows } from '../../lambdas/notify/notifier';
import { createKmsKeyProvider } from '../../lambdas/shared/crypto/kms-key-provider';
import { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Queryable } from '../../lambdas/shared/db/port';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, createFacility, createFacilityUser, createRider, createStaffUser, createTripRequest, driveLeg,
  setClinicalNotes, type UserRow,
} from '../support/fixtures';
import { createTestIntake } from '../support/intake';
import { testPii } from '../support/keys';
import { createFakeKms, TEST_KEY_ARN } from '../support/kms';
import { captureLogs } from '../support/logs';

/**
 * SECURITY S25: rider PII is sealed by the application before it reaches Postgres. Everything
 * here goes through the real handlers, the real database and the real key code (the local master
 * key, or KMS faked at the client boundary).
 */
const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let dispatcher: UserRow;
let driver: UserRow;
let adminA: UserRow;
let userA: UserRow;
let adminB: UserRow;

const tag = randomUUID().slice(0, 8);
const phone = () => `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityA = (await createFacility(owner, { name: 'Clinic A' })).id;
  facilityB = (await createFacility(owner, { name: 'Clinic B' })).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  adminA = await createFacilityUser(owner, 'FacilityAdmin', facilityA);
  userA = await createFacilityUser(owner, 'FacilityUser', facilityA);
  adminB = await createFacilityUser(owner, 'FacilityAdmin', facilityB);
});

function ok<T = Record<string, unknown>>(answer: ApiAnswer<T>, status = 200): T {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
  return answer.body;
}

const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });

// ---- a scan of every column of every table, as the owner ------------------------------------------

interface Finding {
  column: string;
  value: string;
}

/**
 * Every column of every table, bytea searched as bytes (the UTF-8 of each value anywhere inside),
 * everything else as its text form (jsonb audit details and outbox payloads included).
 */
async function scanForPlaintext(owner: Queryable, values: readonly string[]): Promise<Finding[]> {
  const { rows: columns } = await owner.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      ORDER BY 1, 2`,
  );
  expect(columns.length).toBeGreaterThan(150);
  const findings: Finding[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    const predicate = type === 'bytea' ? `position(convert_to(v, 'UTF8') IN t."${column}") > 0` : `position(v IN t."${column}"::text) > 0`;
    const { rows } = await owner.query<{ v: string }>(
      `SELECT DISTINCT v FROM "${table}" t, jsonb_array_elements_text($1::jsonb) AS v WHERE ${predicate}`,
      [JSON.stringify(values)],
    );
    for (const row of rows) findings.push({ column: `${table}.${column}`, value: row.v });
  }
  return findings;
}

describe('no plaintext anywhere in the database', () => {
  const known = {
    fullName: `Quintessa Marlowe ${tag}`,
    phone: phone(),
    email: `q.marlowe.${tag}@zephyr-mail.example`,
    dateOfBirth: '1937-06-15',
    homeAddress: `77 Vellichor Lane ${tag}`,
    careNotes: `Needs an oxygen concentrator ${tag}`,
    clinicalNotes: `Post-dialysis dizziness ${tag}`,
    completionNotes: `Nauseous on arrival ${tag}`,
    renamed: `Quintessa Okonkwo ${tag}`,
    newPhone: phone(),
    newEmail: `quintessa.${tag}@halcyon.example`,
    newAddress: `12 Petrichor Court ${tag}`,
    newCareNotes: `Hard of hearing, left side ${tag}`,
    newClinicalNotes: `Bring the portable oximeter ${tag}`,
    privateName: `Leopold Brightwater ${tag}`,
    privatePhone: phone(),
    intakeNotes: `Second request: walker needed ${tag}`,
    intakeName: `Oberon Fairweather ${tag}`,
    intakePhone: phone(),
    intakeEmail: `oberon.${tag}@sollicit.example`,
    intakeDateOfBirth: '1941-11-03',
    intakeClinical: `Intake: insulin dependent ${tag}`,
  };
  /** The values, and the forms they might leak in: a phone's bare digits, an email's lower case. */
  const searched = () => [
    ...Object.values(known),
    ...[known.phone, known.newPhone, known.privatePhone, known.intakePhone].map((value) => value.slice(2)),
  ];
  let riderId: string;
  let tripId: string;
  let legId: string;
  let privateRider: { id: string; facilityId: string };

  beforeAll(async () => {
    const rider = ok(await api.call('POST', '/v1/riders', {
      as: actorOf(adminA), headers: { 'Idempotency-Key': `rider-${tag}` },
      body: { fullName: known.fullName, phone: known.phone, email: known.email, dateOfBirth: known.dateOfBirth,
        homeAddress: known.homeAddress, careNotes: known.careNotes, notifyChannel: 'sms', notifyConsent: true },
    }), 201) as { id: string; version: number };
    riderId = rider.id;
    const trip = ok(await api.call('POST', '/v1/trip-requests', {
      as: actorOf(userA), headers: { 'Idempotency-Key': `trip-${tag}` },
      body: { riderId, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd', appointmentAt: '2031-04-01T15:00:00Z',
        clinicalNotes: known.clinicalNotes },
    }), 201) as { id: string; version: number };
    tripId = trip.id;
    const edited = ok(await api.call('PATCH', `/v1/trip-requests/${tripId}`, {
      as: actorOf(userA), headers: ifMatch(trip.version), body: { clinicalNotes: known.newClinicalNotes },
    })) as { version: number };
    ok(await api.call('POST', `/v1/trip-requests/${tripId}/schedule`, {
      as: actorOf(dispatcher), headers: ifMatch(edited.version),
      body: { outbound: { pickupAt: '2031-04-01T14:00:00Z', dropoffAt: '2031-04-01T14:40:00Z' } },
    }));
    const legs = ok(await api.call('GET', `/v1/legs?tripRequestId=${tripId}`, { as: actorOf(dispatcher) })) as { items: { id: string }[] };
    legId = legs.items[0]?.id as string;
    await driveLeg(db().owner, legId, 'picked_up', { driverId: driver.id });
    const picked = ok(await api.call('GET', `/v1/legs/${legId}`, { as: actorOf(driver) })) as { version: number };
    ok(await api.call('POST', `/v1/legs/${legId}/completion`, {
      as: actorOf(driver), headers: ifMatch(picked.version),
      body: { actualPickupAt: '2031-04-01T14:02:00Z', actualDropoffAt: '2031-04-01T14:38:00Z', odometerStart: 10,
        odometerEnd: 22.5, notes: known.completionNotes },
    }));
    ok(await api.call('PATCH', `/v1/riders/${riderId}`, {
      as: actorOf(adminA), headers: ifMatch(rider.version),
      body: { fullName: known.renamed, phone: known.newPhone, email: known.newEmail, homeAddress: known.newAddress,
        careNotes: known.newCareNotes },
    }));

    // A private-pay rider registered by dispatch; the intake with the same phone becomes its duplicate, never it.
    const individual = ok(await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), body: { kind: 'individual', name: 'Private-pay rider' },
    }), 201) as { id: string };
    privateRider = ok(await api.call('POST', '/v1/riders', {
      as: actorOf(dispatcher), body: { facilityId: individual.id, fullName: known.privateName, phone: known.privatePhone },
    }), 201) as { id: string; facilityId: string };
    const intake = createTestIntake(db().as('intake'));
    ok(await intake.submit({ body: { fullName: known.privateName, phone: known.privatePhone, pickupAddress: '3 Oak St',
      dropoffAddress: '4 Dialysis Way', appointmentAt: '2031-05-01T15:00:00Z', notes: known.intakeNotes, notifyConsent: true } }), 202);
    ok(await intake.submit({ body: { fullName: known.intakeName, phone: known.intakePhone, email: known.intakeEmail,
      dateOfBirth: known.intakeDateOfBirth, pickupAddress: '5 Pine St', dropoffAddress: '6 Clinic Rd',
      appointmentAt: '2031-05-02T15:00:00Z', notes: known.intakeClinical, notifyChannel: 'email', notifyConsent: true } }), 202);

    // The export is audited; the notifier records its outcomes on the outbox rows.
    ok(await api.call('GET', `/v1/riders/${riderId}/export`, { as: actorOf(adminA) }));
    const { rows: pending } = await db().owner.query<{ id: string }>(`SELECT id FROM notification_outbox WHERE status = 'pending'`);
    const sent = { sendSms: async () => ({ ok: true as const, messageId: `sms-${randomUUID()}` }),
      sendEmail: async () => ({ ok: true as const, messageId: `email-${randomUUID()}` }) };
    await deliverOutboxRows({ db: db().as('notifier'), pii: testPii(), sms: sent, email: sent,
      settings: { providerName: 'Test Transport', timeZone: 'America/New_York' } }, pending.map((row) => row.id));
  });

  test('after riders, trips, legs, intake, export and notifications, no column of any table holds any of the values', async () => {
    expect(await scanForPlaintext(db().owner, searched())).toEqual([]);
  });

  test('the scan finds what is there: a plaintext in text, jsonb and bytea columns is reported', async () => {
    const control = `CONTROL ${tag}`;
    ok(await api.call('POST', '/v1/facilities', {
      as: actorOf(dispatcher), headers: { 'Idempotency-Key': `control-${tag}` }, body: { kind: 'facility', name: control },
    }), 201);
    await db().owner.query('INSERT INTO riders (facility_id, data_key, full_name_enc) VALUES ($1, $2, $3)',
      [facilityB, Buffer.alloc(64, 7), Buffer.from(`xx${control}yy`, 'utf8')]);
    const findings = await scanForPlaintext(db().owner, [control]);
    expect(findings.map((finding) => finding.column).sort())
      .toEqual(['facilities.name', 'idempotency_keys.response_body', 'riders.full_name_enc']);
  });

  test('every sealed field reads back through the API as written', async () => {
    expect(ok(await api.call('GET', `/v1/riders/${riderId}`, { as: actorOf(userA) }))).toMatchObject({
      fullName: known.renamed, phone: known.newPhone, email: known.newEmail, dateOfBirth: known.dateOfBirth,
      homeAddress: known.newAddress, careNotes: known.newCareNotes, erased: false, erasedAt: null,
    });
    expect(ok(await api.call('GET', `/v1/trip-requests/${tripId}`, { as: actorOf(adminA) })))
      .toMatchObject({ clinicalNotes: known.newClinicalNotes });
    expect(ok(await api.call('GET', `/v1/legs/${legId}`, { as: actorOf(dispatcher) })))
      .toMatchObject({ completionNotes: known.completionNotes });
    expect(ok(await api.call('GET', `/v1/legs/${legId}`, { as: actorOf(driver) })))
      .toMatchObject({ riderName: known.renamed, riderPhone: known.newPhone });

    const { rows } = await db().owner.query<{ rider_id: string; trip_id: string }>(
      `SELECT t.rider_id, t.id AS trip_id FROM trip_requests t WHERE t.source = 'intake' AND t.appointment_at = '2031-05-02T15:00:00Z'`);
    const [submitted] = rows;
    if (!submitted) throw new Error('the intake recorded no trip');
    expect(ok(await api.call('GET', `/v1/riders/${submitted.rider_id}`, { as: actorOf(dispatcher) }))).toMatchObject({
      fullName: known.intakeName, phone: known.intakePhone, email: known.intakeEmail, dateOfBirth: known.intakeDateOfBirth,
    });
    expect(ok(await api.call('GET', `/v1/trip-requests/${submitted.trip_id}`, { as: actorOf(dispatcher) })))
      .toMatchObject({ clinicalNotes: known.intakeClinical });
  });

  test('the intake never attaches to the private-pay rider registered by dispatch; the provider-level phone index makes it a duplicate', async () => {
    const { rows } = await db().owner.query<{ facility_id: string; rider_id: string }>(
      `SELECT facility_id, rider_id FROM trip_requests WHERE appointment_at = '2031-05-01T15:00:00Z'`);
    const [submitted] = rows;
    if (!submitted) throw new Error('the intake recorded no trip');
    expect(submitted.rider_id).not.toBe(privateRider.id);
    expect(submitted.facility_id).not.toBe(privateRider.facilityId);
    expect(ok(await api.call('GET', `/v1/riders/${privateRider.id}/duplicates`, { as: actorOf(dispatcher) })))
      .toEqual({ items: [expect.objectContaining({ id: submitted.rider_id, facilityId: submitted.facility_id, tripCount: 1 })] });
    expect(ok(await api.call('GET', `/v1/trip-requests?facilityId=${submitted.facility_id}`, { as: actorOf(dispatcher) })))
      .toMatchObject({ items: [{ riderId: submitted.rider_id, clinicalNotes: known.intakeNotes }] });
  });

  test('an idempotent replay answers the sealed answer it stored, decrypted', async () => {
    const body = { fullName: `Replay ${tag}`, phone: phone(), careNotes: `Replay notes ${tag}` };
    const first = ok(await api.call('POST', '/v1/riders', { as: actorOf(adminA), headers: { 'Idempotency-Key': `replay-${tag}` }, body }), 201);
    const again = await api.call('POST', '/v1/riders', { as: actorOf(adminA), headers: { 'Idempotency-Key': `replay-${tag}` }, body });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first);
    const { rows } = await db().owner.query<{ body: string }>(
      'SELECT response_body::text AS body FROM idempotency_keys WHERE idempotency_key = $1', [`replay-${tag}`]);
    expect(rows[0]?.body).toMatch(/"sealed"/);
    expect(rows[0]?.body).not.toContain('Replay');
  });
});

describe('ciphertext moved anywhere else does not open', () => {
  const logs = () => captureLogs();

  async function sealedRider(facilityId: string, name: string) {
    return createRider(db().owner, { facilityId, fullName: name, phone: phone(), careNotes: `Notes of ${name}` });
  }

  test("a name copied onto another rider's row, or another tenant's rider, reads as unreadable (200), and is logged with ids only", async () => {
    const source = await sealedRider(facilityA, `Source ${tag}`);
    const sameTenant = await sealedRider(facilityA, `Neighbour ${tag}`);
    const otherTenant = await sealedRider(facilityB, `Stranger ${tag}`);
    for (const target of [sameTenant, otherTenant]) {
      await db().owner.query(
        'UPDATE riders SET full_name_enc = (SELECT full_name_enc FROM riders WHERE id = $1) WHERE id = $2', [source.id, target.id]);
    }
    const capture = logs();
    let answers: ApiAnswer[];
    try {
      answers = [
        await api.call('GET', `/v1/riders/${sameTenant.id}`, { as: actorOf(adminA) }),
        await api.call('GET', `/v1/riders/${otherTenant.id}`, { as: actorOf(adminB) }),
      ];
    } finally {
      capture.stop();
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers[0]?.body).toMatchObject({ id: sameTenant.id, fullName: null, phone: sameTenant.phone,
      careNotes: `Notes of Neighbour ${tag}`, unavailable: { fullName: 'unreadable' } });
    expect(answers[1]?.body).toMatchObject({ id: otherTenant.id, fullName: null, phone: otherTenant.phone,
      careNotes: `Notes of Stranger ${tag}`, unavailable: { fullName: 'unreadable' } });
    const failures = capture.entries().filter((entry) => entry.message === 'protected field failed its integrity check');
    expect(failures.map((entry) => entry.rowId).sort()).toEqual([sameTenant.id, otherTenant.id].sort());
    expect(failures.every((entry) => entry.column === 'full_name_enc' && entry.table === 'riders')).toBe(true);
    expect(capture.text().join('\n')).not.toContain(`Source ${tag}`);
  });

  test("a column's value copied into another column of the same rider reads as unreadable", async () => {
    const rider = await sealedRider(facilityA, `Columns ${tag}`);
    await db().owner.query('UPDATE riders SET care_notes_enc = full_name_enc WHERE id = $1', [rider.id]);
    expect(ok(await api.call('GET', `/v1/riders/${rider.id}`, { as: actorOf(adminA) })))
      .toMatchObject({ fullName: `Columns ${tag}`, careNotes: null, unavailable: { careNotes: 'unreadable' } });
  });

  test("a rider's data key copied onto another rider opens nothing of theirs", async () => {
    const source = await sealedRider(facilityA, `Keyholder ${tag}`);
    const target = await sealedRider(facilityA, `Victim ${tag}`);
    await db().owner.query('UPDATE riders SET data_key = (SELECT data_key FROM riders WHERE id = $1) WHERE id = $2',
      [source.id, target.id]);
    const answer = ok(await api.call('GET', `/v1/riders/${target.id}`, { as: actorOf(adminA) })) as { version: number };
    expect(answer).toMatchObject({ fullName: null, phone: null, careNotes: null,
      unavailable: { fullName: 'unreadable', phone: 'unreadable', careNotes: 'unreadable' } });
    // Changing such a rider is refused rather than sealed under a key that is not theirs.
    const refused = await api.call('PATCH', `/v1/riders/${target.id}`, {
      as: actorOf(adminA), headers: ifMatch(answer.version), body: { mobility: 'wheelchair' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:nemt:problem:rider-unreadable');
  });

  test("clinical notes copied onto another trip of the same rider read as unreadable", async () => {
    const rider = await sealedRider(facilityA, `Trips ${tag}`);
    const trips = [];
    for (let i = 0; i < 2; i += 1) {
      const trip = await createTripRequest(db().owner, { facilityId: facilityA, riderId: rider.id, source: 'facility', submittedBy: userA.id });
      trips.push(trip);
    }
    const [first, second] = trips as [(typeof trips)[number], (typeof trips)[number]];
    await setClinicalNotes(db().owner, first, `Only for the first trip ${tag}`);
    await db().owner.query('UPDATE trip_requests SET clinical_notes_enc = (SELECT clinical_notes_enc FROM trip_requests WHERE id = $1) WHERE id = $2',
      [first.id, second.id]);
    expect(ok(await api.call('GET', `/v1/trip-requests/${first.id}`, { as: actorOf(userA) })))
      .toMatchObject({ clinicalNotes: `Only for the first trip ${tag}` });
    expect(ok(await api.call('GET', `/v1/trip-requests/${second.id}`, { as: actorOf(userA) })))
      .toMatchObject({ clinicalNotes: null, unavailable: { clinicalNotes: 'unreadable' } });
  });
});

describe('blind-index lookup', () => {
  test('phone and email find exact matches only, within the tenant', async () => {
    const number = phone();
    const neighbour = `${number.slice(0, -1)}${(Number(number.slice(-1)) + 1) % 10}`;
    const email = `lookup.${tag}@example.test`;
    const mine = await createRider(db().owner, { facilityId: facilityA, phone: number, email });
    await createRider(db().owner, { facilityId: facilityA, phone: neighbour, email: `x${email}` });
    const theirs = await createRider(db().owner, { facilityId: facilityB, phone: number, email });
    const ids = async (url: string, user: UserRow) =>
      (ok(await api.call('GET', url, { as: actorOf(user) })) as { items: { id: string }[] }).items.map((item) => item.id);

    expect(await ids(`/v1/riders?phone=${encodeURIComponent(number)}`, adminA)).toEqual([mine.id]);
    expect(await ids(`/v1/riders?email=${encodeURIComponent(email.toUpperCase())}`, adminA)).toEqual([mine.id]);
    expect(await ids(`/v1/riders?phone=${encodeURIComponent(number)}`, adminB)).toEqual([theirs.id]);
    expect(await ids(`/v1/riders?facilityId=${facilityB}&phone=${encodeURIComponent(number)}`, dispatcher)).toEqual([theirs.id]);
    // No prefixes, no neighbours: a partial value is not a match.
    expect(await ids(`/v1/riders?email=${encodeURIComponent(`lookup.${tag}@example.tes`)}`, adminA)).toEqual([]);
    expect(await ids(`/v1/riders?phone=${encodeURIComponent(`${number.slice(0, -1)}${(Number(number.slice(-1)) + 5) % 10}`)}`, adminA))
      .not.toContain(mine.id);
    // A tenant without a key yet has nothing to find (and the lookup creates no key).
    const empty = (await createFacility(db().owner)).id;
    expect(await ids(`/v1/riders?facilityId=${empty}&phone=${encodeURIComponent(number)}`, dispatcher)).toEqual([]);
    expect((await db().owner.query('SELECT 1 FROM tenant_keys WHERE facility_id = $1', [empty])).rowCount).toBe(0);
  });
});

describe('key-service calls (KMS through aws-sdk-client-mock)', () => {
  const TTL_MS = 300_000;

  test('a page of 50 riders or 50 trips costs at most one KMS call with a cold cache, none when warm, and the cache expires', async () => {
    const kms = createFakeKms();
    let now = Date.parse('2031-01-01T00:00:00Z');
    const kmsPii = () => new PiiCrypto({ provider: createKmsKeyProvider(kms.client, TEST_KEY_ARN), cacheTtlMs: TTL_MS, now: () => now });
    const writer = createTestApi(db().as('api'), { pii: kmsPii() });
    const facility = (await createFacility(db().owner)).id;
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility);
    for (let i = 0; i < 50; i += 1) {
      const rider = ok(await writer.call('POST', '/v1/riders', {
        as: actorOf(admin), body: { fullName: `Paged Rider ${i}`, phone: phone(), careNotes: `Care ${i}` },
      }), 201) as { id: string };
      ok(await writer.call('POST', '/v1/trip-requests', {
        as: actorOf(admin), body: { riderId: rider.id, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd',
          appointmentAt: '2031-06-01T15:00:00Z', clinicalNotes: `Clinical ${i}` },
      }), 201);
    }
    // One tenant key for the tenant, generated under its facility_id context; no Decrypt needed while it was fresh.
    expect(kms.generateCalls()).toBe(1);
    expect(kms.mock.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input.EncryptionContext).toEqual({ facility_id: facility });

    // A new container: cold cache.
    const reader = createTestApi(db().as('api'), { pii: kmsPii() });
    const decryptsBefore = kms.decryptCalls();
    const riders = ok(await reader.call('GET', '/v1/riders?limit=50', { as: actorOf(admin) })) as { items: { fullName: string }[] };
    expect(riders.items).toHaveLength(50);
    expect(riders.items.every((item) => item.fullName.startsWith('Paged Rider'))).toBe(true);
    expect(kms.decryptCalls() - decryptsBefore).toBe(1);

    const trips = ok(await reader.call('GET', '/v1/trip-requests?limit=50', { as: actorOf(admin) })) as { items: { clinicalNotes: string }[] };
    expect(trips.items).toHaveLength(50);
    expect(trips.items.every((item) => item.clinicalNotes.startsWith('Clinical'))).toBe(true);
    ok(await reader.call('GET', '/v1/riders?limit=50', { as: actorOf(admin) }));
    expect(kms.decryptCalls() - decryptsBefore).toBe(1);

    now += TTL_MS;
    ok(await reader.call('GET', '/v1/riders?limit=50', { as: actorOf(admin) }));
    expect(kms.decryptCalls() - decryptsBefore).toBe(2);
  });

  test("a page opens each rider's key once, however many of its rows are that rider's", async () => {
    const api = createTestApi(db().as('api'));
    const facility = (await createFacility(db().owner)).id;
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility);
    const riders: string[] = [];
    for (let r = 0; r < 2; r += 1) {
      riders.push((ok(await api.call('POST', '/v1/riders', { as: actorOf(admin), body: { fullName: `Frequent ${r}` } }), 201) as { id: string }).id);
    }
    for (let i = 0; i < 6; i += 1) {
      ok(await api.call('POST', '/v1/trip-requests', {
        as: actorOf(admin), body: { riderId: riders[i % 2], pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd',
          appointmentAt: '2031-06-01T15:00:00Z', clinicalNotes: `Trip ${i}` },
      }), 201);
    }
    const opens = jest.spyOn(PiiCrypto.prototype, 'openRiderKey');
    try {
      const trips = ok(await api.call('GET', '/v1/trip-requests?limit=50', { as: actorOf(admin) })) as { items: { clinicalNotes: string }[] };
      expect(trips.items.map((item) => item.clinicalNotes).sort()).toEqual(['Trip 0', 'Trip 1', 'Trip 2', 'Trip 3', 'Trip 4', 'Trip 5']);
      expect(opens).toHaveBeenCalledTimes(2);
    } finally {
      opens.mockRestore();
    }
  });

  test('KMS unavailable: 503 with Retry-After, never a 500 and never half-decrypted data', async () => {
    const kms = createFakeKms();
    const facility = (await createFacility(db().owner)).id;
    const admin = await createFacilityUser(db().owner, 'FacilityAdmin', facility);
    const writer = createTestApi(db().as('api'), { pii: new PiiCrypto({ provider: createKmsKeyProvider(kms.client, TEST_KEY_ARN) }) });
    ok(await writer.call('POST', '/v1/riders', { as: actorOf(admin), body: { fullName: `Outage ${tag}` } }), 201);
    const down = new KMSClient({ region: 'us-east-1' });
    mockClient(down).on(DecryptCommand).rejects(new KMSInternalException({ message: 'internal failure', $metadata: {} }));
    const reader = createTestApi(db().as('api'), { pii: new PiiCrypto({ provider: createKmsKeyProvider(down, TEST_KEY_ARN) }) });
    const answer = await reader.call('GET', '/v1/riders', { as: actorOf(admin) });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.text).not.toContain('Outage');
  });
});
