import type { Database, Queryable } from '../../lambdas/shared/db/port';
import { DatabaseError } from '../../lambdas/shared/db/port';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacility, createRider, createFacilityUser, createStaffUser, phoneNumber, type UserRow } from '../support/fixtures';
import { captureLogs } from '../support/logs';
import { createTestIntake, intakeBody } from '../support/intake';

/**
 * SECURITY S16/S17: every answer — success, client error or server error, API or intake —
 * carries the security headers, and every error is RFC 9457 problem+json that reveals nothing
 * about the code or the database behind it.
 */
const db = useTestDatabase();
let api: TestApi;
let dispatcher: UserRow;
let driver: UserRow;
let facilityAdmin: UserRow;
let riderId: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  const facilityId = (await createFacility(owner)).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  facilityAdmin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
  riderId = (await createRider(owner, { facilityId })).id;
});

const SQL_MESSAGE =
  `syntax error at or near "FROM" in SELECT full_name, phone FROM riders WHERE phone = '+15550001234' -- pg_catalog.pg_authid`;
/** What an internal message or a stack trace would bring along. */
const LEAK = /\bSELECT\b|\bINSERT INTO\b|\bFROM [a-z_]+|syntax error|relation "|pg_[a-z]+|secret_table|full_name|\bat \S+ \(|\.[tj]s:\d+|node_modules|"stack"/;

/** The real database, except that every statement the handler sends fails like a broken query would. */
function failingDatabase(real: Database, error: Error): Database {
  const failing: Queryable = {
    query: async () => {
      throw error;
    },
  };
  return {
    query: failing.query,
    transaction: (work, options) => real.transaction(() => work(failing), options),
    close: async () => undefined,
  };
}

function expectSecurityHeaders(answer: ApiAnswer): void {
  const hsts = /max-age=(\d+)/.exec(answer.headers['strict-transport-security'] ?? '');
  expect(Number(hsts?.[1])).toBeGreaterThanOrEqual(31_536_000);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(Object.keys(answer.headers)).not.toContain('x-powered-by');
  expect(Object.keys(answer.headers).filter((name) => /powered|server/i.test(name))).toEqual([]);
}

function expectProblem(answer: ApiAnswer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^urn:nemt:problem:[a-z-]+$/),
      title: expect.any(String),
      status,
      requestId: expect.stringMatching(/^[A-Za-z0-9-]+$/),
    }),
  );
  expect(answer.body).not.toHaveProperty('stack');
  expect(answer.text).not.toMatch(LEAK);
}

const trip = () => ({
  riderId,
  pickupAddress: '1 Main St',
  dropoffAddress: '2 Clinic Rd',
  appointmentAt: '2030-01-02T15:00:00Z',
});

describe('successful answers', () => {
  test('200, 201 and 202 carry the security headers and JSON', async () => {
    const read = await api.call('GET', '/v1/me', { as: actorOf(dispatcher) });
    expect(read.status).toBe(200);
    const created = await api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), body: trip() });
    expect(created.status).toBe(201);
    const accepted = await createTestIntake(db().as('intake')).submit({ body: intakeBody({ phone: phoneNumber() }) });
    expect(accepted.status).toBe(202);
    for (const answer of [read, created, accepted]) {
      expect(answer.headers['content-type']).toBe('application/json');
      expectSecurityHeaders(answer);
    }
  });
});

describe('client errors are problem+json with the security headers', () => {
  const cases: [string, number, () => Promise<ApiAnswer>][] = [
    ['invalid query parameter', 400, () => api.call('GET', '/v1/trip-requests?limit=many', { as: actorOf(dispatcher) })],
    ['unknown query parameter', 400, () => api.call('GET', '/v1/me?debug=1', { as: actorOf(dispatcher) })],
    ['malformed JSON', 400, () => api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), rawBody: '{"riderId":' })],
    ['no token', 401, () => api.call('GET', '/v1/trip-requests')],
    ['a role that may not', 403, () => api.call('GET', '/v1/trip-requests', { as: actorOf(driver) })],
    ['an unknown trip', 404, () =>
      api.call('GET', '/v1/trip-requests/00000000-0000-4000-8000-000000000000', { as: actorOf(dispatcher) })],
    ['a second rejection', 409, async () => {
      const created = await api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), body: trip() });
      const url = `/v1/trip-requests/${created.body.id}/reject`;
      const first = await api.call('POST', url, { as: actorOf(dispatcher), body: { reason: 'No capacity' } });
      expect(first.status).toBe(200);
      return api.call('POST', url, { as: actorOf(dispatcher), body: { reason: 'No capacity' } });
    }],
    ['a stale If-Match', 412, async () => {
      const created = await api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), body: trip() });
      return api.call('PATCH', `/v1/trip-requests/${created.body.id}`, {
        as: actorOf(facilityAdmin), headers: { 'If-Match': '"41"' }, body: { pickupAddress: '3 Side St' },
      });
    }],
    ['a body over 64 KB', 413, () =>
      api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), body: { ...trip(), clinicalNotes: 'x'.repeat(65 * 1024) } })],
    ['a form-encoded body', 415, () =>
      api.call('POST', '/v1/trip-requests', {
        as: actorOf(facilityAdmin), rawBody: 'riderId=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      })],
    ['an unknown field', 422, () => api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), body: { ...trip(), status: 'x' } })],
    ['a PATCH without If-Match', 428, async () => {
      const created = await api.call('POST', '/v1/trip-requests', { as: actorOf(facilityAdmin), body: trip() });
      return api.call('PATCH', `/v1/trip-requests/${created.body.id}`, { as: actorOf(facilityAdmin), body: { pickupAddress: '3 Side St' } });
    }],
    ['an intake in the wrong media type', 415, () =>
      createTestIntake(db().as('intake')).submit({ body: intakeBody(), headers: { 'Content-Type': 'text/plain' } })],
    ['an invalid intake', 422, () => createTestIntake(db().as('intake')).submit({ body: intakeBody({ phone: 'call me' }) })],
  ];

  test.each(cases)('%s → %i', async (_, status, call) => {
    const answer = await call();
    expectProblem(answer, status);
    expectSecurityHeaders(answer);
  });

  test('validation problems name the failing paths, never the offending values', async () => {
    const secret = 'Room 12, Ward Z, diagnosis Q';
    const answer = await api.call('POST', '/v1/trip-requests', {
      as: actorOf(facilityAdmin), body: { ...trip(), pickupAddress: secret.repeat(40) },
    });
    expectProblem(answer, 422);
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'pickupAddress' })]);
    expect(answer.text).not.toContain('Ward Z');
  });
});

describe('server errors reveal nothing', () => {
  const failures: [string, Error][] = [
    ['a plain Error with SQL text', new Error(SQL_MESSAGE)],
    ['a database error the API does not map', new DatabaseError(`relation "secret_table" does not exist: ${SQL_MESSAGE}`, '42P01')],
  ];

  test.each(failures)('the API answers 500 problem+json for %s, and does not log the message', async (_, error) => {
    const broken = createTestApi(failingDatabase(db().as('api'), error));
    const logs = captureLogs();
    let answer: ApiAnswer;
    try {
      answer = await broken.call('GET', '/v1/trip-requests', { as: actorOf(dispatcher) });
    } finally {
      logs.stop();
    }
    expectProblem(answer, 500);
    expect(answer.body.type).toBe('urn:nemt:problem:internal');
    expectSecurityHeaders(answer);
    expect(logs.text().length).toBeGreaterThan(0);
    expect(logs.text().join('\n')).not.toMatch(/SELECT|full_name|secret_table|15550001234/);
  });

  test('the intake answers 500 problem+json when its database fails', async () => {
    const intake = createTestIntake(failingDatabase(db().as('intake'), new Error(SQL_MESSAGE)));
    const logs = captureLogs();
    let answer: ApiAnswer;
    try {
      answer = await intake.submit({ body: intakeBody() });
    } finally {
      logs.stop();
    }
    expectProblem(answer, 500);
    expectSecurityHeaders(answer);
    expect(logs.text().join('\n')).not.toMatch(/SELECT|full_name|15550001234/);
  });
});
