import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChains } from '../../lambdas/shared/audit/verify';
import { loadMigrations, migrate } from '../../lambdas/shared/db/migrator';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import type { Database } from '../../lambdas/shared/db/port';
import type { Actor } from '../../lambdas/shared/tenancy/actor';
import { databaseUrl, withAdmin } from '../../local/database';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { LOGIN_USERS, SCHEMA_DIR, setLoginPasswords } from '../support/database';
import { captureLogs } from '../support/logs';
import { actorOf, createFacility, createFacilityUser, createRider } from '../support/fixtures';
import { type PostgresProcess, startPostgresProcess } from '../support/postgres-process';

/**
 * Issue 13: the database server stopped under a write load and started again, through the real
 * API handler in this process. A PostgreSQL of its own (the shared one from the global setup
 * serves every other file): every answer is a success or 503 problem+json, never a crash or a
 * 500; while it is down, requests get 503; once it is back, requests succeed with no restart of
 * anything else; every acknowledged write is there, every 503 retried with its Idempotency-Key
 * ends in exactly one trip, and the audit chain verifies.
 */
const DATABASE = 'nemt';
const LOGIN_PASSWORD = 'local-test-only';
const WORKERS = 4;
const ACKNOWLEDGED_BEFORE_STOP = 12;
/** Per worker, so the load ends by itself whatever happens. */
const MAX_REQUESTS_PER_WORKER = 60;
/** Requests each worker still sends once the server is gone. */
const REQUESTS_WHILE_DOWN = 2;

let parent: string;
let dataDir: string;
let server: PostgresProcess;
let owner: Database;
let apiDb: Database;
let api: TestApi;
let writer: Actor;
let riderId: string;
let facilityId: string;

beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'nemt-pg-restart-'));
  // As root the server runs as the `postgres` user, which must be able to enter the folder.
  chmodSync(parent, 0o755);
  dataDir = join(parent, 'data');
  server = await startPostgresProcess({ dataDir });
  const adminUrl = server.adminUrl();
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${DATABASE}`));
  owner = createPgDatabase({ connectionString: server.adminUrl(DATABASE), max: 2 });
  await migrate(owner, loadMigrations(SCHEMA_DIR));
  await setLoginPasswords(adminUrl, LOGIN_PASSWORD);
  apiDb = createPgDatabase({
    connectionString: databaseUrl(adminUrl, DATABASE, { user: LOGIN_USERS.api, password: LOGIN_PASSWORD }), max: 5,
  });
  api = createTestApi(apiDb);
  facilityId = (await createFacility(owner)).id;
  writer = actorOf(await createFacilityUser(owner, 'FacilityUser', facilityId));
  riderId = (await createRider(owner, { facilityId })).id;
}, 60_000);

afterAll(async () => {
  await apiDb?.close();
  await owner?.close();
  await server?.stop();
  if (parent) rmSync(parent, { recursive: true, force: true });
});

interface Attempt {
  key: string;
  answer: ApiAnswer;
}

const createTrip = (key: string) => api.call('POST', '/v1/trip-requests', {
  as: writer, headers: { 'Idempotency-Key': key },
  body: { riderId, pickupAddress: '1 Load Street', dropoffAddress: '2 Clinic Road', appointmentAt: '2031-06-01T15:00:00Z' },
});

test('PostgreSQL stopped under a write load and started again: 201 or 503, then recovery; nothing acknowledged lost', async () => {
  const attempts: Attempt[] = [];
  let acknowledged = 0;
  let stopped: Promise<void> | undefined;
  let down = false;

  const worker = async () => {
    let whileDown = 0;
    for (let sent = 0; sent < MAX_REQUESTS_PER_WORKER && whileDown < REQUESTS_WHILE_DOWN; sent += 1) {
      if (down) whileDown += 1;
      const key = `load-${randomUUID()}`;
      const answer = await createTrip(key);
      attempts.push({ key, answer });
      if (answer.status === 201) acknowledged += 1;
      if (acknowledged >= ACKNOWLEDGED_BEFORE_STOP && !stopped) {
        stopped = server.stop().then(() => {
          down = true;
        });
      }
      // Refused while the server shuts down: wait until it is gone, then send the last few.
      if (answer.status === 503 && stopped && !down) await stopped;
    }
  };
  const logs = captureLogs();
  try {
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await stopped;
  } finally {
    logs.stop();
  }
  expect(down).toBe(true);
  // Operators read why in the access log: each refusal names the database as the reason.
  const refusals = logs.entries().filter((entry) => entry.message === 'request' && entry.status === 503);
  expect(refusals.length).toBeGreaterThan(0);
  for (const line of refusals) expect(line.reason).toMatch(/^database_unavailable:(08|57P0)/);

  // Every answer was a success or a clean 503: no 500, no thrown error, no reset.
  const statuses = new Set(attempts.map((attempt) => attempt.answer.status));
  expect([...statuses].sort()).toEqual([201, 503]);
  for (const { answer } of attempts.filter((attempt) => attempt.answer.status === 503)) {
    expect([answer.headers['content-type'], answer.headers['retry-after'], answer.body.type])
      .toEqual(['application/problem+json', '5', 'urn:nemt:problem:unavailable']);
  }
  // While it is down: a refused connection is a 503 too.
  const whileDown = await api.call('GET', '/v1/trip-requests', { as: writer });
  expect([whileDown.status, whileDown.headers['retry-after']]).toEqual([503, '5']);

  server = await startPostgresProcess({ dataDir, port: server.port });
  // The same pools, nothing restarted: the next request succeeds.
  expect((await api.call('GET', '/v1/trip-requests', { as: writer })).status).toBe(200);

  // Each refused request sent again with its key: exactly one trip per key, replayed if it had committed after all.
  for (const attempt of attempts.filter((candidate) => candidate.answer.status === 503)) {
    const retried = await createTrip(attempt.key);
    expect({ key: attempt.key, status: retried.status }).toEqual({ key: attempt.key, status: 201 });
  }
  const acknowledgedIds = attempts.filter((attempt) => attempt.answer.status === 201).map((attempt) => attempt.answer.body.id as string);
  const { rows } = await owner.query<{ trips: number; acknowledged: number; keys: number }>(
    `SELECT (SELECT count(*)::int FROM trip_requests WHERE facility_id = $1) AS trips,
            (SELECT count(*)::int FROM trip_requests WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))) AS acknowledged,
            (SELECT count(*)::int FROM idempotency_keys WHERE actor_sub = $3) AS keys`,
    [facilityId, JSON.stringify(acknowledgedIds), writer.sub],
  );
  expect(rows[0]).toEqual({ trips: attempts.length, acknowledged: acknowledgedIds.length, keys: attempts.length });
  await expect(verifyAuditChains(owner)).resolves.toMatchObject({ ok: true });
}, 60_000);
