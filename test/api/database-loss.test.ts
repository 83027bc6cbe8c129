import { randomUUID } from 'node:crypto';
import { verifyAuditChains } from '../../lambdas/shared/audit/verify';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { createTestApi, type TestApi } from '../support/api';
import { terminatingBefore, type TerminatingDatabase } from '../support/connection-loss';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacility, createFacilityUser, createRider } from '../support/fixtures';
import { createTestIntake, intakeBody, type TestIntake } from '../support/intake';
import { captureLogs } from '../support/logs';

/**
 * Issue 13: a backend terminated in the middle of a request's transaction (as an Aurora failover
 * or RDS Proxy dropping a connection does) answers 503 problem+json with Retry-After and no
 * internals, commits nothing of that request, and the same request succeeds right after.
 */
const db = useTestDatabase();
let api: TestApi;
let apiDb: TerminatingDatabase;
let intake: TestIntake;
let intakeDb: TerminatingDatabase;
let facilityId: string;
let writer: Actor;
let riderId: string;

beforeAll(async () => {
  const owner = db().owner;
  apiDb = terminatingBefore(db().as('api'), owner);
  api = createTestApi(apiDb);
  intakeDb = terminatingBefore(db().as('intake'), owner);
  intake = createTestIntake(intakeDb);
  facilityId = (await createFacility(owner)).id;
  writer = actorOf(await createFacilityUser(owner, 'FacilityUser', facilityId));
  riderId = (await createRider(owner, { facilityId })).id;
});

/** Every table a request may write, counted as the owner (no row-level security in the way). */
interface RowCounts {
  trips: number;
  riders: number;
  facilities: number;
  audit: number;
  outbox: number;
  idempotency: number;
}

async function rowCounts(): Promise<RowCounts> {
  const { rows } = await db().owner.query<RowCounts>(
    `SELECT (SELECT count(*)::int FROM trip_requests) AS trips, (SELECT count(*)::int FROM riders) AS riders,
            (SELECT count(*)::int FROM facilities) AS facilities, (SELECT count(*)::int FROM audit_events) AS audit,
            (SELECT count(*)::int FROM notification_outbox) AS outbox, (SELECT count(*)::int FROM idempotency_keys) AS idempotency`,
  );
  return rows[0] as RowCounts;
}

function expectUnavailableProblem(answer: { status: number; headers: Record<string, string>; body: unknown; text: string }) {
  expect(answer.status).toBe(503);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers['retry-after']).toBe('5');
  expect(answer.body).toEqual({
    type: 'urn:nemt:problem:unavailable', title: 'Service Unavailable', status: 503, detail: expect.any(String),
    requestId: expect.any(String),
  });
  // No internals: not the server's message, the SQLSTATE, nor a table or statement.
  expect(answer.text).not.toMatch(/terminat|57P01|08006|connection|idempotency_keys|INSERT|postgres/i);
}

test('API: terminated before the last write of a trip request, 503 and nothing of it kept; the same request then succeeds', async () => {
  const before = await rowCounts();
  const key = `loss-${randomUUID()}`;
  const create = () => api.call('POST', '/v1/trip-requests', {
    as: writer, headers: { 'Idempotency-Key': key },
    body: { riderId, pickupAddress: '1 Test Street', dropoffAddress: '2 Clinic Road', appointmentAt: '2031-04-01T15:00:00Z' },
  });
  // The trip, its audit event and the rest are written by then; only the idempotency record is left.
  apiDb.arm(/INSERT INTO idempotency_keys/);
  const logs = captureLogs();
  let lost: Awaited<ReturnType<typeof create>>;
  try {
    lost = await create();
  } finally {
    logs.stop();
  }
  expect(apiDb.terminated).toBe(1);
  expectUnavailableProblem(lost);
  expect(await rowCounts()).toEqual(before);
  // The operator's log line says why (the SQLSTATE class), the client's answer does not.
  expect(logs.entries().find((entry) => entry.message === 'request')).toMatchObject({ status: 503,
    reason: expect.stringMatching(/^database_unavailable:(57P01|08006|08001)$/) });

  const retried = await create();
  expect(retried.status).toBe(201);
  expect(retried.headers['idempotent-replayed']).toBeUndefined();
  const after = await rowCounts();
  expect(after.trips).toBe(before.trips + 1);
  expect(after.idempotency).toBe(before.idempotency + 1);
  expect((await api.call('GET', `/v1/trip-requests/${retried.body.id}`, { as: writer })).status).toBe(200);
  await expect(verifyAuditChains(db().owner)).resolves.toMatchObject({ ok: true });
});

test('API: a read whose connection dies answers 503 too, and the next read succeeds', async () => {
  apiDb.arm(/FROM trip_requests/);
  expectUnavailableProblem(await api.call('GET', '/v1/trip-requests', { as: writer }));
  expect((await api.call('GET', '/v1/trip-requests', { as: writer })).status).toBe(200);
});

test('intake: terminated before the submission, 503 and the challenge not spent; the same submission then succeeds', async () => {
  const before = await rowCounts();
  const body = { ...intakeBody({ phone: '+15550100777' }), altcha: await intake.solvedChallenge() };
  // The challenge was spent in this transaction by then: a half-written submission would keep it spent.
  intakeDb.arm(/intake_submit_trip_request/);
  const lost = await intake.submit({ body });
  expect(intakeDb.terminated).toBe(1);
  expectUnavailableProblem(lost);
  expect(await rowCounts()).toEqual(before);

  const retried = await intake.submit({ body });
  expect(retried.status).toBe(202);
  expect((await rowCounts()).trips).toBe(before.trips + 1);
  await expect(verifyAuditChains(db().owner)).resolves.toMatchObject({ ok: true });
});
