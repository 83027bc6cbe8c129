import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacility, createFacilityUser, createStaffUser, type UserRow } from '../support/fixtures';
import { captureLogs, type LogCapture } from '../support/logs';
import { createTestIntake, intakeBody } from '../support/intake';

/**
 * SECURITY S14: one structured line per request (request id, route, status, outcome, latency,
 * and the actor's sub and role when there is one); refusals with the reason; and no PHI or
 * secret anywhere in what the process prints.
 */
const db = useTestDatabase();
let api: TestApi;
let dispatcher: UserRow;
let driver: UserRow;
let facilityAdmin: UserRow;
let facilityId: string;
let logs: LogCapture;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityId = (await createFacility(owner)).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  facilityAdmin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => {
  logs.stop();
});

const requestLines = () => logs.entries().filter((entry) => entry.message === 'request');

function onlyRequestLine(): Record<string, unknown> {
  const lines = requestLines();
  expect(lines).toHaveLength(1);
  return lines[0] as Record<string, unknown>;
}

describe('one access line per request', () => {
  test('a success carries request id, route, status, outcome, latency, sub and role', async () => {
    const answer = await api.call('GET', '/v1/me', { as: actorOf(facilityAdmin) });
    expect(answer.status).toBe(200);
    expect(onlyRequestLine()).toEqual(
      expect.objectContaining({
        level: 'INFO',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        route: 'me.get',
        status: 200,
        outcome: 'ok',
        latencyMs: expect.any(Number),
        sub: facilityAdmin.id,
        role: 'FacilityAdmin',
      }),
    );
  });

  test('a denied authorization is logged with the actor and the reason', async () => {
    const answer = await api.call('GET', '/v1/trip-requests', { as: actorOf(driver) });
    expect(answer.status).toBe(403);
    expect(onlyRequestLine()).toEqual(
      expect.objectContaining({
        level: 'WARN',
        requestId: answer.body.requestId,
        route: 'tripRequests.list',
        status: 403,
        outcome: 'denied',
        latencyMs: expect.any(Number),
        sub: driver.id,
        role: 'Driver',
        reason: expect.stringContaining('Driver'),
      }),
    );
  });

  test('a token whose groups do not fit is denied with the reason', async () => {
    const answer = await api.call('GET', '/v1/me', { as: actorOf(dispatcher), mint: { groups: ['Dispatcher', 'Billing'] } });
    expect(answer.status).toBe(403);
    expect(onlyRequestLine()).toEqual(
      expect.objectContaining({ requestId: answer.body.requestId, status: 403, outcome: 'denied', reason: 'several_role_groups' }),
    );
  });

  test.each([
    ['no token', {}, 'no_token'],
    ['an expired token', { mint: { expiresInSeconds: -120 } }, 'token_expired'],
    ['a token for another client', { mint: { claims: { client_id: 'elsewhere' } } }, 'token_client_id'],
  ])('a failed authentication (%s) is logged with the reason', async (_, call, reason) => {
    const answer = await api.call('GET', '/v1/trip-requests', { ...('mint' in call ? { as: actorOf(dispatcher) } : {}), ...call });
    expect(answer.status).toBe(401);
    const line = onlyRequestLine();
    expect(line).toEqual(
      expect.objectContaining({
        level: 'WARN',
        requestId: answer.body.requestId,
        route: expect.any(String),
        status: 401,
        outcome: 'unauthenticated',
        latencyMs: expect.any(Number),
        reason,
      }),
    );
    // No verified identity: nothing from the token is trusted enough to log.
    expect(line).not.toHaveProperty('sub');
  });

  test('a validation failure is logged as rejected with the problem type, not the input', async () => {
    const answer = await api.call('POST', '/v1/riders', { as: actorOf(facilityAdmin), body: { fullName: 'Zed Quill', phone: 'nope' } });
    expect(answer.status).toBe(422);
    expect(onlyRequestLine()).toEqual(
      expect.objectContaining({ route: 'riders.create', status: 422, outcome: 'rejected', reason: 'validation', role: 'FacilityAdmin' }),
    );
    expect(logs.text().join('\n')).not.toContain('Zed Quill');
  });

  test('the intake logs request id, route, status, outcome and latency only', async () => {
    const intake = createTestIntake(db().as('intake'));
    const altcha = await intake.solvedChallenge();
    logs.clear();
    const answer = await intake.submit({ body: intakeBody({ phone: '+15557770001', altcha }) });
    expect(answer.status).toBe(202);
    const line = onlyRequestLine();
    expect(line).toEqual(
      expect.objectContaining({
        requestId: expect.any(String), route: 'intake.submit', status: 202, outcome: 'ok', latencyMs: expect.any(Number),
      }),
    );
    expect(Object.keys(line).filter((key) => ['sub', 'role', 'body', 'phone', 'fullName'].includes(key))).toEqual([]);
  });
});

test('no PHI and no token appears in any log line across a rider and trip lifecycle', async () => {
  const phi = {
    riderName: 'Xanthippe Quillfeather',
    riderPhone: '+15559876543',
    riderEmail: 'xanthippe.q@example.test',
    riderAddress: '4242 Obscure Lantern Way',
    careNotes: 'Allergic to penicillin; uses oxygen',
    pickupAddress: '77 Marigold Unusual Court',
    dropoffAddress: 'Dialysis Wing, 9 Peculiar Plaza',
    clinicalNotes: 'Post-chemo fatigue, needs escort',
    intakeName: 'Bartholomew Zyxwvut',
    intakePhone: '+15551230987',
    intakePickup: '13 Improbable Alley',
    intakeDropoff: '31 Unlikely Terrace',
    intakeNotes: 'Hearing impaired, call daughter',
    rejection: 'Outside service area near Lantern',
  };
  const tokens: string[] = [];
  const call = (method: string, url: string, as: UserRow, body?: unknown, headers?: Record<string, string>) => {
    const token = api.issuer.mint(actorOf(as));
    tokens.push(token);
    return api.call(method, url, { token, body, headers });
  };

  const rider = await call('POST', '/v1/riders', facilityAdmin, {
    fullName: phi.riderName,
    phone: phi.riderPhone,
    email: phi.riderEmail,
    homeAddress: phi.riderAddress,
    careNotes: phi.careNotes,
    dateOfBirth: '1941-07-19',
  });
  expect(rider.status).toBe(201);
  const trip = await call('POST', '/v1/trip-requests', facilityAdmin, {
    riderId: rider.body.id,
    pickupAddress: phi.pickupAddress,
    dropoffAddress: phi.dropoffAddress,
    appointmentAt: '2030-05-06T10:00:00Z',
    clinicalNotes: phi.clinicalNotes,
  }, { 'Idempotency-Key': 'phi-trip-1' });
  expect(trip.status).toBe(201);
  expect((await call('GET', `/v1/trip-requests/${trip.body.id}`, dispatcher)).status).toBe(200);
  expect((await call('GET', `/v1/riders/${rider.body.id}`, facilityAdmin)).status).toBe(200);
  expect((await call('GET', `/v1/riders?phone=${encodeURIComponent(phi.riderPhone)}`, facilityAdmin)).status).toBe(200);
  const rejected = await call('POST', `/v1/trip-requests/${trip.body.id}/reject`, dispatcher, { reason: phi.rejection },
    { 'If-Match': trip.headers.etag as string });
  expect(rejected.status).toBe(200);
  // A refusal that carries PHI in its body.
  expect((await call('PATCH', `/v1/riders/${rider.body.id}`, facilityAdmin, { fullName: phi.riderName, phone: phi.riderPhone },
    { 'If-Match': '"99"' })).status).toBe(412);
  const intake = await createTestIntake(db().as('intake')).submit({
    body: intakeBody({
      fullName: phi.intakeName,
      phone: phi.intakePhone,
      pickupAddress: phi.intakePickup,
      dropoffAddress: phi.intakeDropoff,
      notes: phi.intakeNotes,
    }),
  });
  expect(intake.status).toBe(202);

  const printed = logs.text();
  // Every request above left its access line (the intake two: its challenge and its submission):
  // the capture saw the traffic it is judging.
  expect(requestLines()).toHaveLength(9);
  const everything = printed.join('\n');
  for (const value of [...Object.values(phi), '1941-07-19', ...tokens]) {
    expect(everything).not.toContain(value);
  }
  // Fragments too: a logger that truncated or re-encoded would still leak these.
  for (const fragment of ['Xanthippe', 'Quillfeather', 'Lantern', 'Marigold', 'penicillin', 'Bartholomew', '9876543', '1230987']) {
    expect(everything).not.toContain(fragment);
  }
  expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  expect(everything).not.toMatch(/Bearer/i);
});
