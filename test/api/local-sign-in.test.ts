import { createHash, randomBytes } from 'node:crypto';
import { createApiHandler } from '../../lambdas/api/app';
import { apiHandlers } from '../../lambdas/api/handlers';
import { routingWith } from '../../lambdas/api/router';
import { createTokenVerifier } from '../../lambdas/shared/auth/verifier';
import { createLocalIdentityAdmin } from '../../lambdas/shared/identity/local';
import { createIntakeHandler } from '../../lambdas/intake/app';
import { CONSOLE_CLIENT_ID, createLocalIssuer, LOCAL_API_CLIENT_IDS, LOCAL_SCOPE, type LocalIssuer } from '../../local/issuer';
import { loadActiveUsers } from '../../local/manifest';
import { freePort } from '../../local/processes';
import { createLocalGateway, createLocalHttpServer, type LocalHttpServer } from '../../local/server';
import { CODE_TTL_MS, createLocalSignIn, DEV_SERVER_ORIGIN, REFRESH_TOKEN_TTL_MS } from '../../local/sign-in';
import { consoleSecurityHeaders } from '../../web/security-headers';
import { TEST_SETTINGS } from '../support/api';
import { useTestDatabase } from '../support/database';
import { createFacility, createFacilityUser, createStaffUser, type UserRow } from '../support/fixtures';
import { testPii } from '../support/keys';

/**
 * SECURITY S27 locally: the stack's sign-in speaks authorization code + PKCE as Cognito's managed
 * login does, over real HTTP against the real gateway, API handler and database. Each refusal
 * case changes one thing of a flow the success case proves works.
 */
const db = useTestDatabase();
let server: LocalHttpServer;
let issuer: LocalIssuer;
let base: string;
let callback: string;
let dispatcher: UserRow;
let scheduler: UserRow;
let clockOffsetMs = 0;

beforeAll(async () => {
  const owner = db().owner;
  const facility = await createFacility(owner);
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  scheduler = await createFacilityUser(owner, 'FacilityUser', facility.id);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  callback = `${base}/callback`;
  issuer = createLocalIssuer({ issuer: base });
  const demoEmails = [dispatcher.email, scheduler.email];
  const signIn = createLocalSignIn({
    issuer,
    port,
    users: async () => (await loadActiveUsers(owner, demoEmails)).filter((user) => user.demo),
    now: () => Date.now() + clockOffsetMs,
  });
  const api = createApiHandler({
    db: db().as('api'),
    verifier: createTokenVerifier({
      issuer: issuer.issuer, jwksUri: issuer.jwksUri, clientIds: LOCAL_API_CLIENT_IDS, scope: LOCAL_SCOPE, jwks: issuer.jwks() as never,
    }),
    outbox: { publish: async () => undefined },
    identity: createLocalIdentityAdmin(),
    pii: testPii(),
    settings: TEST_SETTINGS,
  }, routingWith(apiHandlers), ['api', 'users']);
  server = createLocalHttpServer();
  await server.listen(port);
  server.ready(createLocalGateway({ issuer, api, intake: createIntakeHandler({ db: db().as('intake'), pii: testPii() }), signIn }));
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  clockOffsetMs = 0;
});

// ---- helpers ------------------------------------------------------------------------------------------

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;

function authorizeParams(overrides: Record<string, string | undefined> = {}): URLSearchParams {
  const values: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CONSOLE_CLIENT_ID,
    redirect_uri: callback,
    scope: 'openid email nemt-api/api',
    state: 'state-123',
    nonce: 'nonce-456',
    code_challenge_method: 'S256',
    ...overrides,
  };
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined) params.set(name, value);
  return params;
}

async function get(path: string, headers: Record<string, string> = {}) {
  const answer = await fetch(`${base}${path}`, { redirect: 'manual', headers });
  return { status: answer.status, headers: answer.headers, text: await answer.text() };
}

async function postForm(path: string, form: Record<string, string> | URLSearchParams, headers: Record<string, string> = {}) {
  const answer = await fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await answer.text();
  // biome-ignore lint/suspicious/noExplicitAny: the test reads answers loosely
  const body: any = text && /json/.test(answer.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
  return { status: answer.status, headers: answer.headers, body };
}

/** Opens the page, chooses the user, and returns where the browser is sent. */
async function authorize(user: UserRow, overrides: Record<string, string | undefined> = {}) {
  const params = authorizeParams(overrides);
  const page = await get(`/oauth2/authorize?${params}`);
  expect(page.status).toBe(200);
  params.set('user', user.id);
  const chosen = await postForm('/oauth2/authorize', params);
  expect(chosen.status).toBe(303);
  return new URL(chosen.headers.get('location') as string);
}

async function signIn(user: UserRow = dispatcher) {
  const { verifier, challenge } = pkce();
  const location = await authorize(user, { code_challenge: challenge });
  const code = location.searchParams.get('code') as string;
  const tokens = await postForm('/oauth2/token', {
    grant_type: 'authorization_code', client_id: CONSOLE_CLIENT_ID, code, redirect_uri: callback, code_verifier: verifier,
  });
  expect(tokens.status).toBe(200);
  return tokens.body as { access_token: string; id_token: string; refresh_token: string; expires_in: number };
}

const exchange = (code: string, verifier: string, redirectUri = callback) =>
  postForm('/oauth2/token', { grant_type: 'authorization_code', client_id: CONSOLE_CLIENT_ID, code, redirect_uri: redirectUri, code_verifier: verifier });
const refresh = (refreshToken: string) =>
  postForm('/oauth2/token', { grant_type: 'refresh_token', client_id: CONSOLE_CLIENT_ID, refresh_token: refreshToken });
const me = (token: string) => fetch(`${base}/v1/me`, { headers: { Authorization: `Bearer ${token}` } });

// ---- tests --------------------------------------------------------------------------------------------

test('the discovery document names Cognito-style endpoints, code flow with S256 only and the console scopes', async () => {
  const answer = await get('/.well-known/openid-configuration');
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.text)).toMatchObject({
    issuer: base,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    revocation_endpoint: `${base}/oauth2/revoke`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'email', 'nemt-api/api'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['none'],
  });
});

test('the authorize page lists the active users as labelled buttons, under the console CSP, with no script or inline style', async () => {
  const page = await get(`/oauth2/authorize?${authorizeParams({ code_challenge: pkce().challenge })}`);
  expect(page.status).toBe(200);
  const expected = consoleSecurityHeaders({ signInOrigins: [base] }, { https: false });
  for (const [name, value] of Object.entries(expected)) expect([name, page.headers.get(name)]).toEqual([name, value]);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.text).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
  expect(page.text).toContain('<link rel="stylesheet" href="/oauth2/assets/sign-in.css">');
  expect(page.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  for (const user of [dispatcher, scheduler]) expect(page.text).toContain(`name="user" value="${user.id}"`);
  expect(page.text).toContain('<legend>Sign in as</legend>');
  expect(page.text).toMatch(/Dispatcher · Provider staff/);
  const css = await get('/oauth2/assets/sign-in.css');
  expect({ status: css.status, type: css.headers.get('content-type') }).toEqual({ status: 200, type: 'text/css; charset=utf-8' });
  expect(css.text).toContain(':focus-visible');

  // Returning to the dev server: its origin joins form-action, since the form's answer redirects there.
  const dev = await get(`/oauth2/authorize?${authorizeParams({ code_challenge: pkce().challenge, redirect_uri: `${DEV_SERVER_ORIGIN}/callback` })}`);
  expect(dev.status).toBe(200);
  expect(dev.headers.get('content-security-policy')).toContain(`form-action 'self' ${base} ${DEV_SERVER_ORIGIN}`);
});

test('PKCE sign-in: the code buys a Cognito-shaped access token the API accepts and an ID token it refuses', async () => {
  const { verifier, challenge } = pkce();
  const location = await authorize(scheduler, { code_challenge: challenge });
  expect(`${location.origin}${location.pathname}`).toBe(callback);
  expect(location.searchParams.get('state')).toBe('state-123');
  const tokens = await exchange(location.searchParams.get('code') as string, verifier);
  expect(tokens.status).toBe(200);
  expect(tokens.headers.get('cache-control')).toBe('no-store');
  expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  expect(tokens.body.refresh_token).toMatch(/^[\w-]{43}$/);

  const access = decode(tokens.body.access_token);
  expect(access).toMatchObject({
    iss: base, sub: scheduler.id, client_id: 'local-console', token_use: 'access', scope: 'openid email nemt-api/api',
    'cognito:groups': ['FacilityUser'], facility_id: scheduler.facilityId,
  });
  expect((access.exp as number) - (access.iat as number)).toBe(3600);
  const id = decode(tokens.body.id_token);
  expect(id).toMatchObject({ iss: base, sub: scheduler.id, aud: 'local-console', token_use: 'id', nonce: 'nonce-456', email: scheduler.email });
  expect(JSON.parse(Buffer.from(tokens.body.id_token.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: issuer.kid });

  const accepted = await me(tokens.body.access_token);
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toMatchObject({ role: 'FacilityUser' });
  expect((await me(tokens.body.id_token)).status).toBe(401);
});

test('a wrong verifier is refused and burns the code', async () => {
  const { verifier, challenge } = pkce();
  const code = (await authorize(dispatcher, { code_challenge: challenge })).searchParams.get('code') as string;
  const wrong = await exchange(code, pkce().verifier);
  expect(wrong.status).toBe(400);
  expect(wrong.body.error).toBe('invalid_grant');
  expect((await exchange(code, verifier)).body.error).toBe('invalid_grant');
  // No verifier at all is no better.
  const other = pkce();
  const second = (await authorize(dispatcher, { code_challenge: other.challenge })).searchParams.get('code') as string;
  expect((await postForm('/oauth2/token', { grant_type: 'authorization_code', client_id: CONSOLE_CLIENT_ID, code: second, redirect_uri: callback })).body.error)
    .toBe('invalid_grant');
});

test('a code is single-use: a second exchange fails and revokes what the first one bought', async () => {
  const { verifier, challenge } = pkce();
  const code = (await authorize(dispatcher, { code_challenge: challenge })).searchParams.get('code') as string;
  const first = await exchange(code, verifier);
  expect(first.status).toBe(200);
  const replay = await exchange(code, verifier);
  expect(replay.status).toBe(400);
  expect(replay.body.error).toBe('invalid_grant');
  expect((await refresh(first.body.refresh_token)).body.error).toBe('invalid_grant');
});

test('a code expires after 60 seconds', async () => {
  const { verifier, challenge } = pkce();
  const code = (await authorize(dispatcher, { code_challenge: challenge })).searchParams.get('code') as string;
  clockOffsetMs = CODE_TTL_MS + 1_000;
  const late = await exchange(code, verifier);
  expect(late.status).toBe(400);
  expect(late.body.error).toBe('invalid_grant');
});

test('the redirect URI must match exactly, at the page and at the token endpoint; a refused one is never redirected to', async () => {
  const port = new URL(base).port;
  for (const redirectUri of [undefined, 'https://evil.example/callback', `${base}/callback/`, `${base}/callback?x=1`, `${base}/other`,
    `http://127.0.0.1:${Number(port) + 1}/callback`, 'http://localhost:5174/callback']) {
    const page = await get(`/oauth2/authorize?${authorizeParams({ code_challenge: pkce().challenge, redirect_uri: redirectUri })}`);
    expect({ redirectUri, status: page.status, location: page.headers.get('location') }).toEqual({ redirectUri, status: 400, location: null });
    expect(page.text).toContain('Sign-in cannot continue');
  }
  // Each registered one works, including localhost under the stack's port.
  for (const redirectUri of [`http://localhost:${port}/callback`, `${DEV_SERVER_ORIGIN}/callback`]) {
    expect((await get(`/oauth2/authorize?${authorizeParams({ code_challenge: pkce().challenge, redirect_uri: redirectUri })}`)).status).toBe(200);
  }
  // The token request must name the very redirect URI the code was issued for.
  const { verifier, challenge } = pkce();
  const code = (await authorize(dispatcher, { code_challenge: challenge })).searchParams.get('code') as string;
  const elsewhere = await exchange(code, verifier, `http://localhost:${port}/callback`);
  expect(elsewhere.body.error).toBe('invalid_grant');
});

test('an unknown client is shown an error page, not redirected, and refused at the token endpoint', async () => {
  for (const clientId of [undefined, 'local-app-client', 'someone-else']) {
    const page = await get(`/oauth2/authorize?${authorizeParams({ code_challenge: pkce().challenge, client_id: clientId })}`);
    expect({ clientId, status: page.status, location: page.headers.get('location') }).toEqual({ clientId, status: 400, location: null });
  }
  const token = await postForm('/oauth2/token', { grant_type: 'authorization_code', client_id: 'someone-else', code: 'x', redirect_uri: callback, code_verifier: pkce().verifier });
  expect(token.body.error).toBe('invalid_client');
  const withSecret = await postForm('/oauth2/token', { grant_type: 'authorization_code', client_id: CONSOLE_CLIENT_ID, client_secret: 's', code: 'x' });
  expect(withSecret.body.error).toBe('invalid_client');
});

test('PKCE is S256 only: plain, a missing challenge or a malformed one go back to the app as errors with its state', async () => {
  const { challenge } = pkce();
  for (const overrides of [
    { code_challenge: challenge, code_challenge_method: 'plain' },
    { code_challenge: challenge, code_challenge_method: undefined },
    { code_challenge: undefined },
    { code_challenge: 'too-short' },
  ]) {
    const answer = await get(`/oauth2/authorize?${authorizeParams(overrides)}`);
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(callback);
    expect({ overrides, error: location.searchParams.get('error'), state: location.searchParams.get('state'), code: location.searchParams.get('code') })
      .toEqual({ overrides, error: 'invalid_request', state: 'state-123', code: null });
  }
  const scope = new URL((await get(`/oauth2/authorize?${authorizeParams({ code_challenge: challenge, scope: 'openid admin' })}`)).headers.get('location') as string);
  expect(scope.searchParams.get('error')).toBe('invalid_scope');
});

test('refresh tokens rotate; presenting a rotated one again revokes the whole family', async () => {
  const first = await signIn();
  const second = await refresh(first.refresh_token);
  expect(second.status).toBe(200);
  expect(second.body.refresh_token).not.toBe(first.refresh_token);
  expect(decode(second.body.access_token)).toMatchObject({ client_id: 'local-console', sub: dispatcher.id });
  expect(decode(second.body.id_token)).toMatchObject({ aud: 'local-console', token_use: 'id' });
  expect((await me(second.body.access_token)).status).toBe(200);

  const reused = await refresh(first.refresh_token);
  expect(reused.status).toBe(400);
  expect(reused.body.error).toBe('invalid_grant');
  // The thief's replay ended the session: the legitimate newest token is dead too.
  expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant');
  // Another sign-in is not affected.
  const other = await signIn();
  expect((await refresh(other.refresh_token)).status).toBe(200);
});

test('refresh tokens end 24 hours after sign-in', async () => {
  const tokens = await signIn();
  clockOffsetMs = REFRESH_TOKEN_TTL_MS + 1_000;
  expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
});

test('revocation: after /oauth2/revoke the refresh token and its family are refused', async () => {
  const tokens = await signIn();
  const rotated = (await refresh(tokens.refresh_token)).body.refresh_token as string;
  const revoked = await postForm('/oauth2/revoke', { token: rotated, client_id: CONSOLE_CLIENT_ID });
  expect(revoked.status).toBe(200);
  expect((await refresh(rotated)).body.error).toBe('invalid_grant');
  // An unknown token is answered the same way; an unknown client is not.
  expect((await postForm('/oauth2/revoke', { token: 'never-issued', client_id: CONSOLE_CLIENT_ID })).status).toBe(200);
  expect((await postForm('/oauth2/revoke', { token: rotated, client_id: 'someone-else' })).body.error).toBe('invalid_client');
});

test('/logout redirects only to an exactly registered logout URI of a known client', async () => {
  const port = new URL(base).port;
  const logout = (clientId: string, logoutUri: string) =>
    get(`/logout?${new URLSearchParams({ client_id: clientId, logout_uri: logoutUri })}`);
  for (const uri of [`${base}/`, `http://localhost:${port}/`, `${DEV_SERVER_ORIGIN}/`]) {
    const answer = await logout(CONSOLE_CLIENT_ID, uri);
    expect({ status: answer.status, location: answer.headers.get('location') }).toEqual({ status: 302, location: uri });
  }
  for (const uri of [base, `${base}/callback`, 'https://evil.example/', `${base}/?next=x`]) {
    const answer = await logout(CONSOLE_CLIENT_ID, uri);
    expect({ uri, status: answer.status, location: answer.headers.get('location') }).toEqual({ uri, status: 400, location: null });
  }
  expect((await logout('someone-else', `${base}/`)).status).toBe(400);
  // Cognito's parameters, not OIDC's: post_logout_redirect_uri alone is not enough.
  expect((await get(`/logout?${new URLSearchParams({ client_id: CONSOLE_CLIENT_ID, post_logout_redirect_uri: `${base}/` })}`)).status).toBe(400);
});

test('the token endpoint answers the dev server origin with CORS, and no other origin', async () => {
  const tokens = await signIn();
  const allowed = await postForm('/oauth2/token', { grant_type: 'refresh_token', client_id: CONSOLE_CLIENT_ID, refresh_token: tokens.refresh_token },
    { Origin: DEV_SERVER_ORIGIN });
  expect(allowed.headers.get('access-control-allow-origin')).toBe(DEV_SERVER_ORIGIN);
  const foreign = await get('/.well-known/openid-configuration', { Origin: 'https://evil.example' });
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
});

test('a user deactivated after sign-in cannot refresh, and is no longer offered', async () => {
  const owner = db().owner;
  const leaving = await createStaffUser(owner, 'Billing');
  // The page lists only the users its loader returns; this one is not a demo user, so sign in by id directly.
  const tokens = await signIn();
  await owner.query('UPDATE users SET active = false, disabled_at = now() WHERE id = $1', [dispatcher.id]);
  try {
    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
    const page = await get(`/oauth2/authorize?${authorizeParams({ code_challenge: pkce().challenge })}`);
    expect(page.text).not.toContain(dispatcher.id);
    const params = authorizeParams({ code_challenge: pkce().challenge });
    params.set('user', leaving.id);
    expect((await postForm('/oauth2/authorize', params)).status).toBe(400);
  } finally {
    await owner.query('UPDATE users SET active = true, disabled_at = NULL WHERE id = $1', [dispatcher.id]);
  }
});
