import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalIssuer, type LocalIssuer } from '../../local/issuer';
import { withAdmin } from '../../local/database';
import { DATABASE_NAME, DEV_DB_PASSWORD, localLayout } from '../../local/layout';
import { actorFor, readManifest, type StackManifest, type StackUser } from '../../local/manifest';
import { freePort, portIsFree, postmasterPid, processIsAlive } from '../../local/processes';
import { solve } from '../support/intake';

/**
 * The local stack as a developer runs it: `local/start.ts` in a child process on a free port with
 * its own data folder, driven over real HTTP with tokens signed by the key it persisted, then
 * stopped with SIGTERM and restarted (kept, then --fresh). The console build is skipped
 * (`--no-build`): building web/ is the browser tests' business, not this one's.
 */
const ROOT = join(__dirname, '..', '..');
const MIGRATIONS = readdirSync(join(ROOT, 'schema')).filter((name) => name.endsWith('.sql')).length;

interface RunningChild {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function run(script: string, args: string[], env: Record<string, string>): RunningChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

const dataDir = mkdtempSync(join(tmpdir(), 'nemt-local-e2e-'));
const layout = localLayout({ NEMT_LOCAL_DIR: dataDir });
let port: number;
let base: string;
let stack: RunningChild | undefined;

function startStack(args: string[] = [], env: Record<string, string> = {}): RunningChild {
  return run('local/start.ts', ['--no-build', ...args], { PORT: String(port), NEMT_LOCAL_DIR: dataDir, NEMT_PG_PORT: '', ...env });
}

async function waitUntilReady(running: RunningChild): Promise<void> {
  let exited = false;
  void running.exit.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the local stack exited while starting:\n${running.output()}`);
    const answer = await fetch(`${base}/.well-known/jwks.json`).catch(() => undefined);
    if (answer?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the local stack did not become ready:\n${running.output()}`);
}

/** SIGTERM, exit 0, and nothing left: not the process, not its PostgreSQL, not the port. */
async function stopAndCheckNothingLeft(running: RunningChild, postgresPid: number): Promise<void> {
  running.child.kill('SIGTERM');
  const code = await running.exit;
  expect({ code, output: running.output() }).toEqual({ code: 0, output: expect.stringContaining('PostgreSQL stopped') });
  expect(processIsAlive(running.child.pid as number)).toBe(false);
  expect(processIsAlive(postgresPid)).toBe(false);
  expect(existsSync(join(layout.postgresDir, 'postmaster.pid'))).toBe(false);
  expect(await portIsFree(port)).toBe(true);
}

function runningPostgresPid(): number {
  const pid = postmasterPid(layout.postgresDir);
  if (pid === undefined || !processIsAlive(pid)) throw new Error('no PostgreSQL running for the local stack');
  return pid;
}

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the test reads answers loosely
  body: any;
}

async function http(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const answer = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await answer.text();
  return { status: answer.status, headers: answer.headers, body: text && /json/.test(answer.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
}

function stackIdentity(): { manifest: StackManifest; issuer: LocalIssuer; token: (role: StackUser['role'], email?: string) => string } {
  const manifest = readManifest(layout.manifest);
  if (!manifest) throw new Error('the local stack wrote no manifest');
  const issuer = createLocalIssuer({ issuer: manifest.issuer, privateKeyPem: readFileSync(layout.issuerKey, 'utf8') });
  const token = (role: StackUser['role'], email?: string) => {
    const user = manifest.users.find((candidate) => candidate.role === role && (email ? candidate.email === email : candidate.demo));
    if (!user) throw new Error(`no ${role} ${email ?? ''} in the manifest`);
    return issuer.mint(actorFor(user));
  };
  return { manifest, issuer, token };
}

function sinkLines(): { channel: string; to: string; body?: string; subject?: string }[] {
  if (!existsSync(layout.notifications)) return [];
  return readFileSync(layout.notifications, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

async function waitForSink(match: (line: ReturnType<typeof sinkLines>[number]) => boolean) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = sinkLines().find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
});

/** Only after a failed test is a stack still running; the next test needs the port and the folder. */
async function stopLeftover(): Promise<void> {
  if (stack && stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill('SIGTERM');
    await stack.exit;
  }
}

beforeEach(stopLeftover);

afterAll(async () => {
  await stopLeftover();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The console's sign-in as a browser walks it: page, choice, code + PKCE verifier for tokens. */
async function signInAs(email: string): Promise<{ access_token: string; refresh_token: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code', client_id: 'local-console', redirect_uri: `${base}/callback`, scope: 'openid email nemt-api/api',
    state: 'e2e', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  const page = await fetch(`${base}/oauth2/authorize?${params}`);
  const html = await page.text();
  const user = readManifest(layout.manifest)?.users.find((candidate) => candidate.email === email);
  if (!user || !html.includes(user.sub)) throw new Error(`the sign-in page does not offer ${email}`);
  params.set('user', user.sub);
  const chosen = await fetch(`${base}/oauth2/authorize`, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString(),
  });
  const code = new URL(chosen.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const tokens = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'local-console', code, redirect_uri: `${base}/callback`, code_verifier: verifier }).toString(),
  });
  return (await tokens.json()) as { access_token: string; refresh_token: string };
}

const refreshWith = (refreshToken: string) => fetch(`${base}/oauth2/token`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'local-console', refresh_token: refreshToken }).toString(),
});

const phone = '+15550199123';
let walked: { tripId: string; riderId: string; referenceCode: string; tokens: Record<string, string>; refreshToken: string } | undefined;

test('npm start serves the real API over HTTP: a trip from request to paid bill, with notifications', async () => {
  stack = startStack();
  await waitUntilReady(stack);
  expect(stack.output()).toContain(`Migrations: ${MIGRATIONS} applied, 0 already applied`);
  expect(stack.output()).toContain('Demo data created');
  const postgresPid = runningPostgresPid();
  const { token } = stackIdentity();
  const tokens = {
    facilityUser: token('FacilityUser'),
    dispatcher: token('Dispatcher'),
    driver: token('Driver'),
    billing: token('Billing'),
    oakGrove: token('FacilityAdmin', 'admin@oakgrove.example'),
  };

  const anonymous = await http('GET', '/v1/me');
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
  expect(anonymous.headers.get('x-powered-by')).toBeNull();
  expect((await http('GET', '/v1/nothing-here', { token: tokens.dispatcher })).status).toBe(404);
  expect((await http('DELETE', '/v1/me', { token: tokens.dispatcher })).status).toBe(405);

  const rider = await http('POST', '/v1/riders', {
    token: tokens.facilityUser,
    body: { fullName: 'Test Rider', phone, notifyChannel: 'sms', notifyConsent: true },
  });
  expect(rider.status).toBe(201);
  const created = await http('POST', '/v1/trip-requests', {
    token: tokens.facilityUser,
    body: { riderId: rider.body.id, pickupAddress: '1 Test Street', dropoffAddress: '2 Clinic Road', appointmentAt: '2031-04-01T15:00:00Z' },
  });
  expect(created.status).toBe(201);
  const tripId: string = created.body.id;

  const scheduled = await http('POST', `/v1/trip-requests/${tripId}/schedule`, {
    token: tokens.dispatcher,
    body: { outbound: { pickupAt: '2031-04-01T14:00:00Z', dropoffAt: '2031-04-01T14:45:00Z' } },
  });
  expect(scheduled.body.status).toBe('scheduled');
  const legs = await http('GET', `/v1/legs?tripRequestId=${tripId}`, { token: tokens.dispatcher });
  const legId: string = legs.body.items[0].id;
  const drivers = await http('GET', '/v1/users?role=Driver', { token: tokens.dispatcher });
  // The demo fleet: two sedans, two wheelchair vans, a stretcher van; the first by name is a sedan,
  // which carries this ambulatory rider.
  const fleet = await http('GET', '/v1/vehicles?status=in_service', { token: tokens.dispatcher });
  expect(fleet.body.items.map((vehicle: { kind: string }) => vehicle.kind).sort())
    .toEqual(['sedan', 'sedan', 'stretcher_van', 'wheelchair_van', 'wheelchair_van']);
  const sedan: { id: string; kind: string; odometer: number } = fleet.body.items[0];
  expect(sedan.kind).toBe('sedan');
  const assigned = await http('PUT', `/v1/legs/${legId}/assignment`, {
    token: tokens.dispatcher, body: { driverId: drivers.body.items[0].id, vehicleId: sedan.id },
  });
  expect(assigned.body).toMatchObject({ status: 'assigned', vehicleId: sedan.id });
  for (const status of ['en_route', 'arrived', 'picked_up']) {
    const step = await http('POST', `/v1/legs/${legId}/status-events`, { token: tokens.driver, body: { status } });
    expect({ status, answer: step.status, leg: step.body.status }).toEqual({ status, answer: 200, leg: status });
  }
  const completion = await http('POST', `/v1/legs/${legId}/completion`, {
    token: tokens.driver,
    body: { actualPickupAt: '2031-04-01T14:05:00Z', actualDropoffAt: '2031-04-01T14:40:00Z', odometerStart: sedan.odometer,
      odometerEnd: Math.round((sedan.odometer + 12) * 10) / 10 },
  });
  expect(completion.body.status).toBe('completed');
  expect((await http('GET', `/v1/vehicles/${sedan.id}`, { token: tokens.driver })).body.odometer)
    .toBe(Math.round((sedan.odometer + 12) * 10) / 10);
  expect((await http('GET', `/v1/trip-requests/${tripId}`, { token: tokens.facilityUser })).body.status).toBe('completed');

  const pending = await http('GET', '/v1/billing-records?status=pending', { token: tokens.billing });
  const record = pending.body.items.find((item: { tripRequestId: string }) => item.tripRequestId === tripId);
  expect(record).toMatchObject({ legOutcome: 'completed' });
  const moves = [{ to: 'ready', amountCents: 3900 }, { to: 'invoiced', invoiceNumber: 'INV-E2E-1' }, { to: 'paid' }];
  for (const move of moves) {
    const moved = await http('POST', `/v1/billing-records/${record.id}/transitions`, { token: tokens.billing, body: move });
    expect({ to: move.to, status: moved.body.status }).toEqual({ to: move.to, status: move.to });
  }

  // Another tenant's trip does not exist for it.
  expect((await http('GET', `/v1/trip-requests/${tripId}`, { token: tokens.oakGrove })).status).toBe(404);

  // The after-commit hand-off reached the notifier; the public intake's receipt comes by the relay.
  const referenceCode: string = created.body.referenceCode;
  const scheduledText = await waitForSink((line) => line.to === phone && (line.body ?? '').includes(referenceCode) && /scheduled/i.test(line.body ?? ''));
  expect(scheduledText).toMatchObject({ channel: 'sms', to: phone });
  const intakePhone = '+15550199456';
  // The public page's proof of work, as any client does it: fetch a challenge, solve it, send it along.
  const challenge = await http('GET', '/v1/intake/challenge');
  expect([challenge.status, challenge.headers.get('cache-control')]).toEqual([200, 'no-store']);
  const intake = await http('POST', '/v1/intake/trip-requests', {
    body: { fullName: 'Walk In', phone: intakePhone, pickupAddress: '3 Oak Lane', dropoffAddress: '4 Clinic Road',
      appointmentAt: '2031-05-01T15:00:00Z', notifyConsent: true, altcha: await solve(challenge.body) },
  });
  expect(intake.status).toBe(202);
  const receipt = await waitForSink((line) => line.to === intakePhone && (line.body ?? '').includes(intake.body.receiptCode));
  expect(receipt).toMatchObject({ channel: 'sms', to: intakePhone });

  // The console's way in: the sign-in page, a code and its verifier, a token the API takes; and config.json naming it all.
  const config = await http('GET', '/config.json');
  expect(config.body).toMatchObject({ authority: base, clientId: 'local-console', signOutEndpoint: `${base}/logout`,
    revocationEndpoint: `${base}/oauth2/revoke`, scope: 'openid email nemt-api/api' });
  expect((await http('GET', '/.well-known/openid-configuration')).body).toMatchObject({ issuer: base, token_endpoint: `${base}/oauth2/token` });
  const signedIn = await signInAs('dispatcher@nemt.example');
  expect((await http('GET', '/v1/me', { token: signedIn.access_token })).body).toMatchObject({ role: 'Dispatcher' });

  walked = { tripId, riderId: rider.body.id, referenceCode, tokens, refreshToken: signedIn.refresh_token };
  await stopAndCheckNothingLeft(stack, postgresPid);
}, 90_000);

test('npm run token prints a working token for a role, and refuses an unknown role', async () => {
  const env = { NEMT_LOCAL_DIR: dataDir, PORT: '' };
  const minted = run('local/token.ts', ['Billing'], env);
  expect(await minted.exit).toBe(0);
  const printed = minted.output().split('\n').find((line) => /^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(line));
  const refused = run('local/token.ts', ['Janitor'], env);
  expect(await refused.exit).toBe(1);
  expect(refused.output()).toContain('usage: npm run token');

  stack = startStack();
  await waitUntilReady(stack);
  const me = await http('GET', '/v1/me', { token: printed });
  expect(me.body).toMatchObject({ role: 'Billing' });
  await stopAndCheckNothingLeft(stack, runningPostgresPid());
}, 60_000);

/** Every answer a complete HTTP answer (a reset would reject), and either a success or the database's 503. */
function expectServedOr503(answers: Answer[]): void {
  for (const answer of answers) {
    if (answer.status === 503) {
      expect([answer.headers.get('content-type'), answer.headers.get('retry-after'), answer.body.type])
        .toEqual(['application/problem+json', '5', 'urn:nemt:problem:unavailable']);
    } else {
      expect(answer.status).toBe(200);
    }
  }
}

test('losing the database: backends ended under load answer 503 and the stack recovers; PostgreSQL gone shuts the stack down', async () => {
  stack = startStack();
  await waitUntilReady(stack);
  const running = stack;
  const { token, manifest } = stackIdentity();
  const dispatcher = token('Dispatcher');
  const adminUrl = `postgres://postgres:${DEV_DB_PASSWORD}@127.0.0.1:${manifest.postgres.port}/postgres`;
  const list = () => http('GET', '/v1/trip-requests?limit=5', { token: dispatcher });
  expect((await list()).status).toBe(200);

  // Every backend of the stack ended while requests run, and new connections refused (53300) for a while.
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`ALTER DATABASE ${DATABASE_NAME} CONNECTION LIMIT 0`);
    try {
      const inFlight = Array.from({ length: 8 }, () => list());
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [DATABASE_NAME]);
      expect(rows.length).toBeGreaterThan(0);
      expectServedOr503(await Promise.all(inFlight));
      const refused = await list();
      expect(refused.status).toBe(503);
      expectServedOr503([refused]);
      expect(JSON.stringify(refused.body)).not.toMatch(/connection|53300|postgres|nemt_api_user/i);
    } finally {
      await admin.query(`ALTER DATABASE ${DATABASE_NAME} CONNECTION LIMIT -1`);
    }
  });
  expect(running.child.exitCode).toBeNull();
  // Back by itself: reads and writes, with nothing restarted.
  expect((await list()).status).toBe(200);
  const rider = await http('POST', '/v1/riders', {
    token: token('FacilityUser'), body: { fullName: 'After The Outage', phone: '+15550199789', notifyChannel: 'none' },
  });
  expect(rider.status).toBe(201);
  expect(running.output()).not.toContain('shutting down');

  // PostgreSQL itself stops under the stack: requests already sent still get an answer, then the stack's own shutdown runs.
  const postgresPid = runningPostgresPid();
  const lastRequests = Array.from({ length: 4 }, () => list());
  process.kill(postgresPid, 'SIGINT');
  expectServedOr503(await Promise.all(lastRequests));
  expect(await running.exit).toBe(1);
  expect(running.output()).toContain(`PostgreSQL (pid ${postgresPid}) stopped unexpectedly; shutting down`);
  expect(running.output()).toContain('Nothing of the local stack is running any more');
  expect(processIsAlive(postgresPid)).toBe(false);
  expect(await portIsFree(port)).toBe(true);
}, 60_000);

test('a restart keeps the data and the keys; --fresh starts clean', async () => {
  if (!walked) throw new Error('needs the lifecycle test');
  stack = startStack();
  await waitUntilReady(stack);
  expect(stack.output()).toContain(`Migrations: 0 applied, ${MIGRATIONS} already applied`);
  expect(stack.output()).toContain('Demo data kept');
  // A token minted before the restart still verifies, and the trip is still paid for.
  const kept = await http('GET', `/v1/trip-requests/${walked.tripId}`, { token: walked.tokens.facilityUser });
  expect(kept.body).toMatchObject({ id: walked.tripId, status: 'completed' });
  // The rider's encrypted details still open: the PII master key was kept with the data.
  const rider = await http('GET', `/v1/riders/${walked.riderId}`, { token: walked.tokens.facilityUser });
  expect(rider.body).toMatchObject({ fullName: 'Test Rider', phone });
  // Sign-in sessions live in the stack's memory only: a restart signs everybody out.
  expect((await refreshWith(walked.refreshToken)).status).toBe(400);
  await stopAndCheckNothingLeft(stack, runningPostgresPid());
  // Each start anchored the audit chains; this one first checked the anchor the last run left.
  const anchors = readdirSync(layout.anchors).filter((name) => name.endsWith('.json'));
  expect(anchors.length).toBeGreaterThanOrEqual(2);
  expect(stack.output()).not.toContain('audit history changed');

  stack = startStack(['--fresh']);
  await waitUntilReady(stack);
  expect(stack.output()).toContain('Demo data created');
  expect((await http('GET', '/v1/me', { token: walked.tokens.dispatcher })).status).toBe(401);
  const { token } = stackIdentity();
  expect((await http('GET', `/v1/trip-requests/${walked.tripId}`, { token: token('Dispatcher') })).status).toBe(404);
  const reference = walked.referenceCode;
  expect(sinkLines().some((line) => (line.body ?? '').includes(reference))).toBe(false);
  await stopAndCheckNothingLeft(stack, runningPostgresPid());
  // --fresh took the old anchors with the old database: only this run's own remains.
  expect(readdirSync(layout.anchors).filter((name) => name.endsWith('.json'))).toHaveLength(1);
}, 90_000);

test('a taken port is refused with a clear error before PostgreSQL starts', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen(port, '127.0.0.1', resolve);
  });
  const otherDir = mkdtempSync(join(tmpdir(), 'nemt-local-e2e-port-'));
  try {
    const refused = run('local/start.ts', ['--no-build'], { PORT: String(port), NEMT_LOCAL_DIR: otherDir });
    expect(await refused.exit).toBe(1);
    expect(refused.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(existsSync(join(otherDir, 'postgres'))).toBe(false);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(otherDir, { recursive: true, force: true });
  }
}, 30_000);
