import { randomBytes, randomUUID } from 'node:crypto';
import { createChallenge } from 'altcha-lib/v1';
import { DEFAULT_CHALLENGE_MAX_NUMBER, type IssuedChallenge } from '../../lambdas/intake/challenge';
import { intakeSettingsFromEnvironment } from '../../lambdas/intake/settings';
import { expireRecords } from '../../lambdas/relay/expiry';
import { createLocalKeyProvider } from '../../lambdas/shared/crypto/local-key-provider';
import { deriveIndexKey } from '../../lambdas/shared/crypto/blind-index';
import { PROVIDER_FACILITY_ID } from '../../lambdas/shared/crypto/key-provider';
import { deliverOutboxRows, type NotifierDependencies } from '../../lambdas/notify/notifier';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, countRows, createFacility, createFacilityUser, createRider, createStaffUser, expectSqlError, phoneNumber,
  privilegeRefusal, type UserRow,
} from '../support/fixtures';
import { createTestIntake, intakeBody, solve, type TestIntake } from '../support/intake';
import { openRiderField, TEST_MASTER_KEY, testPii } from '../support/keys';

const db = useTestDatabase();
let intake: TestIntake;
let api: TestApi;
let dispatcher: UserRow;
let facilityAdmin: UserRow;
let facilityId: string;

beforeAll(async () => {
  intake = createTestIntake(db().as('intake'));
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityId = (await createFacility(owner)).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  facilityAdmin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
});

interface IntakeTripRow {
  id: string;
  facility_id: string;
  rider_id: string;
  source: string;
  status: string;
  kind: string;
}

async function tripByReceipt(receiptCode: string): Promise<IntakeTripRow | undefined> {
  const { rows } = await db().owner.query<IntakeTripRow>(
    `SELECT t.id, t.facility_id, t.rider_id, t.source, t.status, f.kind
       FROM trip_requests t JOIN facilities f ON f.id = t.facility_id
      WHERE t.reference_code = $1`,
    [receiptCode],
  );
  return rows[0];
}

const tripCount = () => countRows(db().owner, 'SELECT 1 FROM trip_requests');

test('answers 202 with a receipt code and nothing else, having recorded the request, its audit and its outbox row', async () => {
  const answer = await intake.submit({ body: intakeBody({ phone: phoneNumber() }) });

  expect(answer.status).toBe(202);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(Object.keys(answer.body)).toEqual(['receiptCode']);
  expect(answer.body.receiptCode).toMatch(/^[A-Z0-9]+-[A-Z0-9]+$/);

  const trip = await tripByReceipt(answer.body.receiptCode);
  expect(trip).toMatchObject({ source: 'intake', status: 'requested', kind: 'individual' });
  const owner = db().owner;
  expect(await countRows(owner, 'SELECT 1 FROM audit_events WHERE trip_request_id = $1', [trip?.id ?? null])).toBe(1);
  expect(
    await countRows(owner, `SELECT 1 FROM notification_outbox WHERE trip_request_id = $1 AND event_type = 'request_received'`,
      [trip?.id ?? null]),
  ).toBe(1);
});

// ---- messages: who gets one is decided by the request's own contact alone ----------------------------

interface Delivered {
  channel: 'sms' | 'email';
  to: string;
  body: string;
}

/** Delivers every pending outbox row through the real notifier into recording channels; what was sent. */
async function deliverPending(): Promise<Delivered[]> {
  const sent: Delivered[] = [];
  const deps: NotifierDependencies = {
    db: db().as('notifier'),
    pii: testPii(),
    sms: { sendSms: async ({ to, body }) => { sent.push({ channel: 'sms', to, body }); return { ok: true, messageId: randomUUID() }; } },
    email: {
      sendEmail: async ({ to, text }) => { sent.push({ channel: 'email', to, body: text }); return { ok: true, messageId: randomUUID() }; },
    },
    settings: { providerName: 'Test Transport', timeZone: 'America/New_York' },
  };
  const { rows } = await db().owner.query<{ id: string }>("SELECT id FROM notification_outbox WHERE status = 'pending'");
  await deliverOutboxRows(deps, rows.map((row) => row.id));
  return sent;
}

const uniqueEmail = (who: string) => `${who}.${randomUUID().slice(0, 8)}@example.test`;

describe('the takeover is closed: an intake never reuses or redirects a stored rider', () => {
  test("a later genuine request for a phone an attacker registered first gets its receipt at its own contact; the attacker gets nothing for it", async () => {
    const phone = phoneNumber();
    const attackerEmail = uniqueEmail('attacker');
    const attack = await intake.submit({ body: intakeBody({ phone, email: attackerEmail, notifyChannel: 'email' }) });
    expect(attack.status).toBe(202);
    await deliverPending();

    const genuineEmail = uniqueEmail('rider');
    const genuine = await intake.submit({ body: intakeBody({ phone, email: genuineEmail, notifyChannel: 'email' }) });
    expect(genuine.status).toBe(202);
    const sent = await deliverPending();

    expect(sent.filter((message) => message.body.includes(genuine.body.receiptCode)))
      .toEqual([expect.objectContaining({ channel: 'email', to: genuineEmail })]);
    expect(sent.filter((message) => message.to === attackerEmail)).toEqual([]);
    // Two riders, two tenants: the second request touched nothing of the first.
    const first = await tripByReceipt(attack.body.receiptCode);
    const second = await tripByReceipt(genuine.body.receiptCode);
    expect(second?.rider_id).not.toBe(first?.rider_id);
    expect(second?.facility_id).not.toBe(first?.facility_id);
  });

  test("an attacker submitting a known phone never changes where the existing rider's messages go", async () => {
    const phone = phoneNumber();
    const riderEmail = uniqueEmail('rider');
    const original = await intake.submit({ body: intakeBody({ phone, email: riderEmail, notifyChannel: 'email' }) });
    const originalTrip = await tripByReceipt(original.body.receiptCode);
    if (!originalTrip) throw new Error('no trip');
    const before = await db().owner.query('SELECT notify_channel, notify_consent, email_enc, phone_enc, version FROM riders WHERE id = $1',
      [originalTrip.rider_id]);

    // The attacker silences (channel none) and then redirects (own email): neither reaches the rider.
    await intake.submit({ body: intakeBody({ phone, notifyChannel: 'none', notifyConsent: false }) });
    await intake.submit({ body: intakeBody({ phone, email: uniqueEmail('attacker'), notifyChannel: 'email' }) });
    const after = await db().owner.query('SELECT notify_channel, notify_consent, email_enc, phone_enc, version FROM riders WHERE id = $1',
      [originalTrip.rider_id]);
    expect(after.rows).toEqual(before.rows);
    expect(await openRiderField(db().owner, originalTrip.rider_id, 'email_enc')).toBe(riderEmail);

    // The rider's next message (the dispatcher schedules the trip) still goes to the rider.
    await deliverPending();
    const asDispatcher = await api.call('GET', `/v1/trip-requests/${originalTrip.id}`, { as: actorOf(dispatcher) });
    const scheduled = await api.call('POST', `/v1/trip-requests/${originalTrip.id}/schedule`, {
      as: actorOf(dispatcher), headers: { 'If-Match': `"${asDispatcher.body.version}"` },
      body: { outbound: { pickupAt: '2030-03-04T14:00:00Z', dropoffAt: '2030-03-04T14:40:00Z' } },
    });
    expect(scheduled.status).toBe(200);
    const sent = await deliverPending();
    expect(sent.filter((message) => message.body.includes(original.body.receiptCode)))
      .toEqual([expect.objectContaining({ channel: 'email', to: riderEmail })]);
  });

  test('the membership test: a known and an unknown phone get the same answer, and messages follow only the request', async () => {
    const knownPhone = phoneNumber();
    await intake.submit({ body: intakeBody({ phone: knownPhone, email: uniqueEmail('first'), notifyChannel: 'email' }) });
    await deliverPending();

    const proberEmail = uniqueEmail('prober');
    const known = await intake.submit({ body: intakeBody({ phone: knownPhone, email: proberEmail, notifyChannel: 'email' }) });
    const unknown = await intake.submit({ body: intakeBody({ phone: phoneNumber(), email: proberEmail, notifyChannel: 'email' }) });

    expect(known.status).toBe(202);
    expect(unknown.status).toBe(known.status);
    expect(known.headers).toEqual(unknown.headers);
    expect(Object.keys(known.body)).toEqual(Object.keys(unknown.body));
    expect(known.body.receiptCode).not.toBe(unknown.body.receiptCode);
    expect(known.text.length).toBe(unknown.text.length);
    expect(known.text.replace(known.body.receiptCode, '<code>')).toBe(unknown.text.replace(unknown.body.receiptCode, '<code>'));

    // Both receipts reach the prober's own address, known phone or not: nothing tells them apart.
    const sent = await deliverPending();
    expect(sent.map((message) => ({ ...message, body: message.body.replace(/[A-Z0-9]{5}-[A-Z0-9]{5}/, '<code>') })).sort(
      (a, b) => a.body.localeCompare(b.body)))
      .toEqual([expect.objectContaining({ to: proberEmail }), expect.objectContaining({ to: proberEmail })]);
    const withoutCode = (body = '') => body.split(known.body.receiptCode).join('<code>').split(unknown.body.receiptCode).join('<code>');
    expect(withoutCode(sent[0]?.body)).toBe(withoutCode(sent[1]?.body));
  });

  test('repeated requests from one phone are separate riders a dispatcher can find as duplicates', async () => {
    const phone = phoneNumber();
    const first = await tripByReceipt((await intake.submit({ body: intakeBody({ phone }) })).body.receiptCode);
    const second = await tripByReceipt((await intake.submit({ body: intakeBody({ phone, fullName: 'Another Spelling' }) })).body.receiptCode);
    expect(second?.rider_id).not.toBe(first?.rider_id);
    const { rows } = await db().owner.query<{ same: boolean }>(
      'SELECT a.intake_phone_index = b.intake_phone_index AS same FROM riders a, riders b WHERE a.id = $1 AND b.id = $2',
      [first?.rider_id ?? null, second?.rider_id ?? null]);
    expect(rows[0]?.same).toBe(true);
    const duplicates = await api.call('GET', `/v1/riders/${second?.rider_id}/duplicates`, { as: actorOf(dispatcher) });
    expect(duplicates.body.items).toEqual([expect.objectContaining({ id: first?.rider_id, facilityId: first?.facility_id, tripCount: 1 })]);
  });
});

test("a facility's rider with the same phone is not used: the intake never reaches into a facility tenant", async () => {
  const phone = phoneNumber();
  const facilityRider = await createRider(db().owner, { facilityId, phone });

  const answer = await intake.submit({ body: intakeBody({ phone }) });
  const trip = await tripByReceipt(answer.body.receiptCode);
  expect(trip?.kind).toBe('individual');
  expect(trip?.facility_id).not.toBe(facilityId);
  expect(trip?.rider_id).not.toBe(facilityRider.id);
});

test('the intake login cannot read, change or delete any table', async () => {
  const intakeDb = db().as('intake');
  const { rows: tables } = await db().owner.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1`,
  );
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['facilities', 'riders', 'trip_requests', 'audit_events']));
  for (const { name } of tables) {
    await expectSqlError(intakeDb.query(`SELECT * FROM ${name} LIMIT 1`), {
      ...privilegeRefusal(name),
      message: new RegExp(`^permission denied for (table|view|materialized view) ${name}$`),
    });
  }
  const { rows: privileges } = await intakeDb.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
        AND (has_table_privilege(c.oid, 'SELECT') OR has_table_privilege(c.oid, 'INSERT')
          OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')
          OR has_table_privilege(c.oid, 'TRUNCATE') OR has_table_privilege(c.oid, 'REFERENCES'))`,
  );
  expect(privileges).toEqual([]);
  const { rows: callable } = await intakeDb.query<{ name: string }>(
    `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.prosecdef AND has_function_privilege(p.oid, 'EXECUTE')`,
  );
  expect(callable.map((f) => f.name).sort()).toEqual(['intake_index_key', 'intake_spend_challenge', 'intake_submit_trip_request']);
});

describe('limits', () => {
  const refusals: [string, Parameters<TestIntake['submit']>[0], number][] = [
    ['a 65 KB body', { rawBody: JSON.stringify(intakeBody({ notes: 'x'.repeat(65 * 1024) })) }, 413],
    ['a text/plain body', { body: intakeBody(), headers: { 'Content-Type': 'text/plain' } }, 415],
    ['no content type', { body: intakeBody(), headers: { 'Content-Type': '' } }, 415],
    ['malformed JSON', { rawBody: '{"fullName": ' }, 400],
    ['an unknown key', { body: intakeBody({ facilityId: '00000000-0000-4000-8000-000000000000' }) }, 422],
    ['a status the caller chose', { body: intakeBody({ status: 'scheduled' }) }, 422],
    ['a phone that is not E.164', { body: intakeBody({ phone: '555-0100' }) }, 422],
    ['a 201-character name', { body: intakeBody({ fullName: 'n'.repeat(201) }) }, 422],
    ['a return time without a scheduled return', { body: intakeBody({ requestedReturnAt: '2030-03-04T17:00:00Z' }) }, 422],
    ['an appointment without a time zone', { body: intakeBody({ appointmentAt: '2030-03-04T15:00:00' }) }, 422],
    ['a query string', { body: intakeBody(), url: '/v1/intake/trip-requests?riderId=1' }, 400],
  ];

  test.each(refusals)('%s is refused and nothing is written', async (_, call, status) => {
    const before = await tripCount();
    const answer = await intake.submit(call);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status, requestId: expect.any(String) });
    expect(await tripCount()).toBe(before);
  });

  test('a body just under the limit is accepted', async () => {
    const body = intakeBody({ phone: phoneNumber(), notes: 'n'.repeat(2000), altcha: await intake.solvedChallenge() });
    const answer = await intake.submit({ rawBody: JSON.stringify(body).padEnd(64 * 1024 - 1, ' ') });
    expect(answer.status).toBe(202);
  });
});

test('the created trip is visible to a dispatcher through the API and to no facility', async () => {
  const answer = await intake.submit({ body: intakeBody({ phone: phoneNumber() }) });
  const trip = await tripByReceipt(answer.body.receiptCode);
  if (!trip) throw new Error('intake created no trip');

  const asDispatcher = await api.call('GET', `/v1/trip-requests/${trip.id}`, { as: actorOf(dispatcher) });
  expect(asDispatcher.status).toBe(200);
  expect(asDispatcher.body).toMatchObject({
    id: trip.id,
    referenceCode: answer.body.receiptCode,
    source: 'intake',
    status: 'requested',
    submittedBy: null,
  });

  const asFacility = await api.call('GET', `/v1/trip-requests/${trip.id}`, { as: actorOf(facilityAdmin) });
  expect(asFacility.status).toBe(404);
  const facilityList = await api.call('GET', '/v1/trip-requests?limit=100', { as: actorOf(facilityAdmin) });
  expect(facilityList.status).toBe(200);
  expect(facilityList.body.items.map((item: { id: string }) => item.id)).not.toContain(trip.id);
});

describe('the Lambda entry', () => {
  const environment = {
    DB_HOST: 'proxy.invalid', DB_PORT: '5432', DB_NAME: 'nemt', AWS_REGION: 'eu-west-1',
    PII_KEY_ARN: 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-4000-8000-000000000000',
  };

  async function loadEntry(user: string) {
    const names = [...Object.keys(environment), 'DB_USER'];
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    Object.assign(process.env, environment, { DB_USER: user });
    try {
      let entry: typeof import('../../lambdas/intake/handler') | undefined;
      await jest.isolateModulesAsync(async () => {
        entry = await import('../../lambdas/intake/handler');
      });
      return entry;
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  test('refuses to start with any login but the intake login', async () => {
    await expect(loadEntry('nemt_api_user')).rejects.toThrow('the intake must connect as nemt_intake_user');
  });

  test('starts as nemt_intake_user and answers through the shared pipeline', async () => {
    const entry = await loadEntry('nemt_intake_user');
    if (!entry) throw new Error('the intake entry did not load');
    const { toApiGatewayEvent } = await import('../../local/api-gateway-event');
    const translated = toApiGatewayEvent({
      method: 'POST', url: '/v1/intake/trip-requests', headers: { 'Content-Type': 'text/plain' }, body: 'hello',
    });
    if (!('event' in translated)) throw new Error('no intake route');
    // Refused before any database work: the proxy host does not exist.
    const answer = await entry.handler(translated.event, { awsRequestId: 'entry-test' } as never);
    expect(answer.statusCode).toBe(415);
    expect(answer.headers?.['Strict-Transport-Security']).toContain('max-age=');
  });
});

// ---- abuse controls (SECURITY S28) ---------------------------------------------------------------

describe('the proof-of-work challenge', () => {
  const CHALLENGE_FAILED = {
    type: 'urn:nemt:problem:challenge-failed',
    title: 'Request not verified',
    status: 422,
    detail: 'The request could not be verified. Reload the page and send it again.',
    errors: [{ path: 'altcha', message: expect.any(String) }],
  };

  async function refusedWithoutTrip(body: Record<string, unknown>, expected: Record<string, unknown>) {
    const before = await tripCount();
    const answer = await intake.submit({ body, solve: false });
    expect(answer.status).toBe(422);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject(expected);
    expect(await tripCount()).toBe(before);
    return answer;
  }

  test('is issued as an ALTCHA SHA-256 challenge, never cached, expiring 10 minutes after issue', async () => {
    const answer = await intake.challenge();
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toEqual({ algorithm: 'SHA-256', challenge: expect.stringMatching(/^[0-9a-f]{64}$/), maxnumber: expect.any(Number),
      salt: expect.any(String), signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const expires = Number(new URLSearchParams(answer.body.salt.split('?')[1]).get('expires')) * 1000;
    expect(expires - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect((await intake.challenge()).body.challenge).not.toBe(answer.body.challenge);
  });

  test('the production search space is about a second of work on a phone', async () => {
    const production = createTestIntake(db().as('intake'), testPii(), { settings: { challengeMaxNumber: DEFAULT_CHALLENGE_MAX_NUMBER } });
    expect((await production.challenge()).body.maxnumber).toBe(100_000);
  });

  test('a missing challenge is a validation problem at `altcha`', async () => {
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber() }),
      { type: 'urn:nemt:problem:validation', errors: [expect.objectContaining({ path: 'altcha' })] });
  });

  test.each([
    ['not base64 JSON', 'hello'],
    ['an empty object', Buffer.from('{}').toString('base64')],
  ])('%s is refused as challenge-failed', async (_name, altcha) => {
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(), altcha }), CHALLENGE_FAILED);
  });

  test('a wrong solution is refused', async () => {
    const issued = (await intake.challenge()).body as IssuedChallenge;
    const solved = JSON.parse(Buffer.from(await solve(issued), 'base64').toString('utf8'));
    const wrong = Buffer.from(JSON.stringify({ ...solved, number: solved.number + 1 })).toString('base64');
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(), altcha: wrong }), CHALLENGE_FAILED);
  });

  test('a challenge signed with any other key (forged) is refused', async () => {
    const forged = await createChallenge({ algorithm: 'SHA-256', hmacKey: 'guessed', maxnumber: 100,
      expires: new Date(Date.now() + 60_000) });
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(),
      altcha: await solve({ ...forged, algorithm: 'SHA-256', maxnumber: 100 }) }), CHALLENGE_FAILED);
  });

  test('a challenge without an expiry, or with its expiry edited, is refused', async () => {
    const key = await db().as('intake').transaction((tx) => testPii().intakeChallengeKey(tx));
    const endless = await createChallenge({ algorithm: 'SHA-256', hmacKey: key, maxnumber: 100 });
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(),
      altcha: await solve({ ...endless, algorithm: 'SHA-256', maxnumber: 100 }) }), CHALLENGE_FAILED);

    const issued = (await intake.challenge()).body as IssuedChallenge;
    const solved = JSON.parse(Buffer.from(await solve(issued), 'base64').toString('utf8'));
    const extended = solved.salt.replace(/expires=\d+/, `expires=${Math.floor(Date.now() / 1000) + 86_400}`);
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(),
      altcha: Buffer.from(JSON.stringify({ ...solved, salt: extended })).toString('base64') }), CHALLENGE_FAILED);
  });

  test('an expired challenge is refused', async () => {
    const past = createTestIntake(db().as('intake'), testPii(), { now: () => Date.now() - 11 * 60_000 });
    const altcha = await past.solvedChallenge();
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(), altcha }), CHALLENGE_FAILED);
  });

  test('a solved challenge is accepted once; replayed, it is refused and nothing is written', async () => {
    const altcha = await intake.solvedChallenge();
    const first = await intake.submit({ body: intakeBody({ phone: phoneNumber(), altcha }) });
    expect(first.status).toBe(202);
    await refusedWithoutTrip(intakeBody({ phone: phoneNumber(), altcha }), CHALLENGE_FAILED);
  });

  test('two submissions racing with one challenge: exactly one is accepted', async () => {
    const altcha = await intake.solvedChallenge();
    const answers = await Promise.all([1, 2, 3].map(() => intake.submit({ body: intakeBody({ phone: phoneNumber(), altcha }) })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 422, 422]);
  });

  test('a refused submission does not spend its challenge (the transaction rolls back)', async () => {
    const altcha = await intake.solvedChallenge();
    const refused = await intake.submit({ body: intakeBody({ phone: phoneNumber(), altcha, returnTrip: 'none',
      requestedReturnAt: '2030-03-04T17:00:00Z' }) });
    expect(refused.status).toBe(422);
    expect((await intake.submit({ body: intakeBody({ phone: phoneNumber(), altcha }) })).status).toBe(202);
  });

  test('spent challenges are removed by expire_records() once expired, and only then', async () => {
    const owner = db().owner;
    const expired = randomBytes(32);
    const live = randomBytes(32);
    await owner.query(`INSERT INTO intake_spent_challenges (challenge_hash, expires_at) VALUES
      ($1, now() - interval '1 minute'), ($2, now() + interval '5 minutes')`, [expired, live]);
    const report = await expireRecords(db().as('notifier'));
    expect(report.spentChallenges).toBeGreaterThanOrEqual(1);
    const { rows } = await owner.query<{ hash: Buffer }>('SELECT challenge_hash AS hash FROM intake_spent_challenges WHERE challenge_hash IN ($1, $2)',
      [expired, live]);
    expect(rows.map((row) => row.hash.toString('hex'))).toEqual([live.toString('hex')]);
  });

  test('the intake login may spend a challenge, and a spent one stays spent until it expires', async () => {
    const hash = randomBytes(32);
    const spend = (expiresAt: string) =>
      db().as('intake').query<{ spent: boolean }>('SELECT intake_spend_challenge($1, $2::timestamptz) AS spent', [hash, expiresAt]);
    const soon = new Date(Date.now() + 60_000).toISOString();
    expect((await spend(soon)).rows[0]?.spent).toBe(true);
    expect((await spend(soon)).rows[0]?.spent).toBe(false);
    // Nothing this intake issued lives past an hour, or is spent after its expiry.
    expect((await db().as('intake').query<{ spent: boolean }>('SELECT intake_spend_challenge($1, $2::timestamptz) AS spent',
      [randomBytes(32), new Date(Date.now() + 2 * 3600_000).toISOString()])).rows[0]?.spent).toBe(false);
    expect((await db().as('intake').query<{ spent: boolean }>('SELECT intake_spend_challenge($1, $2::timestamptz) AS spent',
      [randomBytes(32), new Date(Date.now() - 1000).toISOString()])).rows[0]?.spent).toBe(false);
  });

  test('its HMAC key is derived (HKDF, own label) from the provider-level intake key the key service wraps', async () => {
    const challengeKey = await db().as('intake').transaction((tx) => testPii().intakeChallengeKey(tx));
    const { rows } = await db().owner.query<{ wrapped_key: Buffer }>(
      "SELECT wrapped_key FROM provider_keys WHERE purpose = 'intake-phone-index'");
    const stored = rows[0]?.wrapped_key;
    if (!stored) throw new Error('no provider key stored');
    const root = await createLocalKeyProvider(TEST_MASTER_KEY).decryptDataKey(PROVIDER_FACILITY_ID, stored);
    expect(challengeKey).toBe(deriveIndexKey(root, 'intake-challenge', PROVIDER_FACILITY_ID).toString('hex'));
    // Not the phone index key: knowing one does not give the other.
    expect(challengeKey).not.toBe(deriveIndexKey(root, 'intake-phone', PROVIDER_FACILITY_ID).toString('hex'));
  });
});

describe('SMS destinations', () => {
  test('an SMS receipt to a number outside the allowed calling codes is refused at `phone`, nothing written', async () => {
    const before = await tripCount();
    const answer = await intake.submit({ body: intakeBody({ phone: '+447700900123', notifyChannel: 'sms' }) });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ type: 'urn:nemt:problem:validation', errors: [{ path: 'phone',
      message: 'Text messages can only go to numbers starting with +1. Choose email or no messages, or give another number.' }] });
    expect(await tripCount()).toBe(before);
  });

  test('the same number is accepted with email or no messages', async () => {
    expect((await intake.submit({ body: intakeBody({ phone: '+447700900124', notifyChannel: 'email', email: uniqueEmail('uk') }) }))
      .status).toBe(202);
    expect((await intake.submit({ body: intakeBody({ phone: '+447700900125', notifyChannel: 'none' }) })).status).toBe(202);
  });

  test('configuration allows other calling codes', async () => {
    const settings = intakeSettingsFromEnvironment({ SMS_ALLOWED_CALLING_CODES: '+1, +44' });
    expect(settings.smsAllowedCallingCodes).toEqual(['+1', '+44']);
    const wider = createTestIntake(db().as('intake'), testPii(), { settings: { smsAllowedCallingCodes: settings.smsAllowedCallingCodes } });
    expect((await wider.submit({ body: intakeBody({ phone: '+447700900126' }) })).status).toBe(202);
    const answer = await wider.submit({ body: intakeBody({ phone: '+33612345678' }) });
    expect(answer.body.errors[0].message).toContain('starting with +1 or +44.');
    expect(intakeSettingsFromEnvironment({}).smsAllowedCallingCodes).toEqual(['+1']);
    expect(() => intakeSettingsFromEnvironment({ SMS_ALLOWED_CALLING_CODES: '1,+44' })).toThrow('SMS_ALLOWED_CALLING_CODES');
  });
});

describe('receipts per destination and day', () => {
  const receiptsFor = (receiptCode: string) => countRows(db().owner,
    `SELECT 1 FROM notification_outbox o JOIN trip_requests t ON t.id = o.trip_request_id WHERE t.reference_code = $1`, [receiptCode]);

  test('over the limit the request is accepted with the same answer, recorded, and no message is queued or sent', async () => {
    const phone = phoneNumber();
    const answers: ApiAnswer[] = [];
    for (let index = 0; index < 4; index += 1) answers.push(await intake.submit({ body: intakeBody({ phone }) }));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202]);
    const shapes = answers.map((answer) => ({ headers: answer.headers, text: answer.text.replace(answer.body.receiptCode, '<code>') }));
    expect(new Set(shapes.map((shape) => JSON.stringify(shape))).size).toBe(1);
    const counts: number[] = [];
    for (const answer of answers) {
      expect(await tripByReceipt(answer.body.receiptCode)).toMatchObject({ source: 'intake', status: 'requested' });
      counts.push(await receiptsFor(answer.body.receiptCode));
    }
    expect(counts).toEqual([1, 1, 1, 0]);
    const sent = await deliverPending();
    expect(sent.filter((message) => message.body.includes(answers[3]?.body.receiptCode))).toEqual([]);
    expect(sent.filter((message) => message.to === phone)).toHaveLength(3);
  });

  test('emails are counted per address (case and spacing do not matter), never stored in plaintext', async () => {
    const email = uniqueEmail('limit');
    const limited = createTestIntake(db().as('intake'), testPii(), { settings: { receiptsPerDestinationPerDay: 1 } });
    const first = await limited.submit({ body: intakeBody({ phone: phoneNumber(), email, notifyChannel: 'email' }) });
    const second = await limited.submit({ body: intakeBody({ phone: phoneNumber(), email: ` ${email.toUpperCase()}`, notifyChannel: 'email' }) });
    expect([await receiptsFor(first.body.receiptCode), await receiptsFor(second.body.receiptCode)]).toEqual([1, 0]);
    const { rows } = await db().owner.query<{ text: string }>('SELECT row_to_json(c)::text AS text FROM intake_receipt_counts c');
    expect(rows.some((row) => row.text.toLowerCase().includes(email.split('@')[0] ?? email))).toBe(false);
  });

  test('a request that sends nothing (channel none) does not use up the allowance', async () => {
    const phone = phoneNumber();
    const limited = createTestIntake(db().as('intake'), testPii(), { settings: { receiptsPerDestinationPerDay: 1 } });
    await limited.submit({ body: intakeBody({ phone, notifyChannel: 'none' }) });
    const messaged = await limited.submit({ body: intakeBody({ phone }) });
    expect(await receiptsFor(messaged.body.receiptCode)).toBe(1);
  });

  test('counters are removed by expire_records() once their day is over', async () => {
    const owner = db().owner;
    const old = randomBytes(32);
    const today = randomBytes(32);
    await owner.query(`INSERT INTO intake_receipt_counts (destination_index, day, receipts) VALUES
      ($1, (now() AT TIME ZONE 'UTC')::date - 3, 2), ($2, (now() AT TIME ZONE 'UTC')::date, 1)`, [old, today]);
    expect((await expireRecords(db().as('notifier'))).receiptCounts).toBeGreaterThanOrEqual(1);
    expect(await countRows(owner, 'SELECT 1 FROM intake_receipt_counts WHERE destination_index = $1', [old])).toBe(0);
    expect(await countRows(owner, 'SELECT 1 FROM intake_receipt_counts WHERE destination_index = $1', [today])).toBe(1);
  });

  test('the limit is read from INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY, default 3', () => {
    expect(intakeSettingsFromEnvironment({}).receiptsPerDestinationPerDay).toBe(3);
    expect(intakeSettingsFromEnvironment({ INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY: '5' }).receiptsPerDestinationPerDay).toBe(5);
    expect(() => intakeSettingsFromEnvironment({ INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY: 'many' })).toThrow();
  });
});
