import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, countRows, createFacility, createFacilityUser, createRider, createStaffUser, expectSqlError, phoneNumber,
  privilegeRefusal, type UserRow,
} from '../support/fixtures';
import { createTestIntake, intakeBody, type TestIntake } from '../support/intake';

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

test('a known and an unknown rider get answers that differ only in the receipt code', async () => {
  const knownPhone = phoneNumber();
  await intake.submit({ body: intakeBody({ phone: knownPhone }) });
  const ridersBefore = await countRows(db().owner, 'SELECT 1 FROM riders');

  const known = await intake.submit({ body: intakeBody({ phone: knownPhone }) });
  const unknown = await intake.submit({ body: intakeBody({ phone: phoneNumber() }) });

  // The first reused a rider, the second created one: the database saw two different cases.
  expect(await countRows(db().owner, 'SELECT 1 FROM riders')).toBe(ridersBefore + 1);
  expect(known.status).toBe(unknown.status);
  expect(known.headers).toEqual(unknown.headers);
  expect(Object.keys(known.body)).toEqual(Object.keys(unknown.body));
  expect(known.body.receiptCode).not.toBe(unknown.body.receiptCode);
  expect(known.text.length).toBe(unknown.text.length);
  expect(known.text.replace(known.body.receiptCode, '<code>')).toBe(unknown.text.replace(unknown.body.receiptCode, '<code>'));
});

test('repeated intake by the same phone reuses the individual tenant and rider', async () => {
  const phone = phoneNumber();
  const first = await intake.submit({ body: intakeBody({ phone }) });
  const second = await intake.submit({ body: intakeBody({ phone, fullName: 'Another Spelling' }) });

  const a = await tripByReceipt(first.body.receiptCode);
  const b = await tripByReceipt(second.body.receiptCode);
  expect(a?.id).not.toBe(b?.id);
  expect(b?.facility_id).toBe(a?.facility_id);
  expect(b?.rider_id).toBe(a?.rider_id);
  expect(await countRows(db().owner, 'SELECT 1 FROM riders WHERE facility_id = $1', [a?.facility_id ?? null])).toBe(1);
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
  expect(callable.map((f) => f.name).sort()).toEqual(['intake_index_key', 'intake_prepare', 'intake_submit_trip_request']);
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
    const body = intakeBody({ phone: phoneNumber(), notes: 'n'.repeat(2000) });
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
