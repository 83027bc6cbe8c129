import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SECURITY_HEADERS } from '../lambdas/shared/http/headers';
import { consoleSecurityHeaders } from '../web/security-headers';
import type { PlainRequest } from './api-gateway-event';
import { CONSOLE_CLIENT_ID, type LocalIssuer } from './issuer';
import { actorFor, type StackUser } from './manifest';
import type { GatewayAnswer } from './server';
import { renderErrorPage, renderSignInPage, SIGN_IN_STYLESHEET, SIGN_IN_STYLESHEET_PATH } from './sign-in-page';

/**
 * The local stack's sign-in, mirroring Cognito's managed login (OAuth 2.0 authorization code +
 * PKCE) closely enough that the console runs one code path against both: the same endpoint
 * paths and parameters (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`,
 * `/logout?client_id&logout_uri`), a public client without secret, exact redirect URIs, S256
 * only, Cognito-shaped access tokens from the issuer's `mint`. Instead of a password the
 * authorize page lists the demo users; choosing one is signing in as them.
 *
 * Codes and refresh tokens live in this process's memory only: a restart of the stack signs
 * everybody out, which for a laptop is a feature. Refresh tokens rotate on every use; presenting
 * one that was already exchanged (a stolen copy racing its owner) revokes its whole family.
 */
export const SIGN_IN_SCOPES = ['openid', 'email', 'nemt-api/api'] as const;
export const CODE_TTL_MS = 60_000;
export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
export const REFRESH_TOKEN_TTL_MS = 24 * 3600 * 1000;
/** Where the Vite dev server (`npm run dev:web`) runs; it proxies the stack's paths. */
export const DEV_SERVER_ORIGIN = 'http://localhost:5173';

export const AUTHORIZE_PATH = '/oauth2/authorize';
export const TOKEN_PATH = '/oauth2/token';
export const REVOKE_PATH = '/oauth2/revoke';
export const LOGOUT_PATH = '/logout';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface RegisteredClient {
  readonly clientId: string;
  /** Exact strings: no prefix, pattern or port wildcard. */
  readonly redirectUris: readonly string[];
  readonly logoutUris: readonly string[];
  /** Origins whose pages may call the discovery, token and revocation endpoints (CORS). */
  readonly origins: readonly string[];
}

export interface LocalSignInOptions {
  issuer: LocalIssuer;
  /** The stack's HTTP port: the registered callback and sign-out URLs name it. */
  port: number;
  /** The users the page offers, asked anew for every page and token (a deactivated user drops out). */
  users: () => Promise<StackUser[]>;
  /** Milliseconds since the epoch; tests move it to expire codes and refresh tokens. */
  now?: () => number;
}

export interface LocalSignIn {
  readonly client: RegisteredClient;
  /** The paths this server answers; everything else is the API's or the console's. */
  handles(path: string): boolean;
  dispatch(request: PlainRequest): Promise<GatewayAnswer>;
}

/** The console's registration: the stack's origin under both loopback names, and the dev server. */
export function consoleClient(port: number): RegisteredClient {
  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`, DEV_SERVER_ORIGIN];
  return {
    clientId: CONSOLE_CLIENT_ID,
    redirectUris: origins.map((origin) => `${origin}/callback`),
    logoutUris: origins.map((origin) => `${origin}/`),
    origins,
  };
}

export function discoveryDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}${AUTHORIZE_PATH}`,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    revocation_endpoint: `${issuer}${REVOKE_PATH}`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [...SIGN_IN_SCOPES],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'email', 'email_verified', 'name',
      'cognito:groups', 'cognito:username', 'token_use'],
  };
}

// ---- state -------------------------------------------------------------------------------------------

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  sub: string;
  scopes: string[];
  nonce?: string;
  authTime: number;
  expiresAt: number;
}

/** Every refresh token descending from one sign-in; revoked together. */
interface TokenFamily {
  id: string;
  clientId: string;
  sub: string;
  scopes: string[];
  authTime: number;
  /** From the sign-in, not from the last rotation: a session lasts at most 24 hours. */
  expiresAt: number;
  revoked: boolean;
}

interface RefreshRecord {
  familyId: string;
  /** Exchanged already; presenting it again means a copy exists. */
  spent: boolean;
}

/** Secrets are kept by their SHA-256 only, so a heap dump or a log of this map holds nothing usable. */
const digest = (secret: string) => createHash('sha256').update(secret).digest('base64url');
const newSecret = () => randomBytes(32).toString('base64url');

// ---- requests ----------------------------------------------------------------------------------------

class BadParameter extends Error {}

/** One value per name (RFC 6749 §3.1: a repeated parameter is an invalid request). */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new BadParameter(`${name} is given more than once`);
  return values[0];
}

function headerOf(request: PlainRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function isForm(request: PlainRequest): boolean {
  return (headerOf(request, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** RFC 7636 §4.1 and §4.2: a verifier of 43–128 unreserved characters; an S256 challenge is 43 base64url characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 2048;
const MAX_NONCE = 512;

type AuthorizeCheck =
  | { kind: 'page'; status: number; message: string }
  | { kind: 'redirect'; redirectUri: string; state?: string; error: string; description: string }
  | { kind: 'ok'; request: AuthorizationRequest };

interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  scopes: string[];
  nonce?: string;
  /** The parameters as received, carried through the page's form unchanged. */
  params: [string, string][];
}

const AUTHORIZE_PARAMETERS = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge',
  'code_challenge_method', 'nonce'] as const;

function checkAuthorization(params: URLSearchParams, client: RegisteredClient): AuthorizeCheck {
  let clientId: string | undefined;
  let redirectUri: string | undefined;
  try {
    clientId = single(params, 'client_id');
    redirectUri = single(params, 'redirect_uri');
  } catch (error) {
    return { kind: 'page', status: 400, message: (error as Error).message };
  }
  // Until the client and its redirect URI are proven, nothing is sent anywhere (RFC 6749 §4.1.2.1).
  if (!clientId) return { kind: 'page', status: 400, message: 'The app did not say who it is (client_id is missing).' };
  if (clientId !== client.clientId) return { kind: 'page', status: 400, message: 'This app is not known to the local sign-in.' };
  if (!redirectUri) return { kind: 'page', status: 400, message: 'The app did not say where to return (redirect_uri is missing).' };
  if (!client.redirectUris.includes(redirectUri)) {
    return { kind: 'page', status: 400, message: 'The app asked to return to an address that is not registered for it.' };
  }
  let state: string | undefined;
  try {
    state = single(params, 'state');
  } catch (error) {
    return { kind: 'redirect', redirectUri, error: 'invalid_request', description: (error as Error).message };
  }
  const refuse = (error: string, description: string): AuthorizeCheck => ({ kind: 'redirect', redirectUri, state, error, description });
  try {
    if (state !== undefined && state.length > MAX_STATE) return refuse('invalid_request', 'state is too long');
    const responseType = single(params, 'response_type');
    if (responseType !== 'code') return refuse('unsupported_response_type', 'Only response_type=code is supported');
    const method = single(params, 'code_challenge_method');
    const codeChallenge = single(params, 'code_challenge');
    if (!codeChallenge) return refuse('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
    if (method !== 'S256') return refuse('invalid_request', 'Only code_challenge_method=S256 is supported');
    if (!S256_CHALLENGE.test(codeChallenge)) return refuse('invalid_request', 'code_challenge is not an S256 challenge');
    const nonce = single(params, 'nonce');
    if (nonce !== undefined && nonce.length > MAX_NONCE) return refuse('invalid_request', 'nonce is too long');
    const scope = single(params, 'scope');
    const scopes = scope === undefined ? [...SIGN_IN_SCOPES] : [...new Set(scope.split(' ').filter(Boolean))];
    if (scopes.length === 0 || scopes.some((name) => !(SIGN_IN_SCOPES as readonly string[]).includes(name))) {
      return refuse('invalid_scope', `Allowed scopes: ${SIGN_IN_SCOPES.join(' ')}`);
    }
    const carried: [string, string][] = [];
    for (const name of AUTHORIZE_PARAMETERS) {
      const value = params.get(name);
      if (value !== null) carried.push([name, value]);
    }
    return {
      kind: 'ok',
      request: { clientId, redirectUri, state, codeChallenge, scopes, nonce: nonce || undefined, params: carried },
    };
  } catch (error) {
    return refuse('invalid_request', (error as Error).message);
  }
}

function withQuery(uri: string, values: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(values)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

// ---- answers -----------------------------------------------------------------------------------------

const originOf = (uri: string) => new URL(uri).origin;

function json(status: number, body: unknown, extra: Record<string, string> = {}): GatewayAnswer {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json', Pragma: 'no-cache', ...extra },
    body: JSON.stringify(body),
  };
}

/** RFC 6749 §5.2 error answer of the token and revocation endpoints. */
function oauthError(error: string, description: string, extra: Record<string, string> = {}): GatewayAnswer {
  return json(400, { error, error_description: description }, extra);
}

function redirect(status: 302 | 303, location: string): GatewayAnswer {
  return { status, headers: { ...SECURITY_HEADERS, Location: location }, body: '' };
}

function methodNotAllowed(allowed: string, extra: Record<string, string> = {}): GatewayAnswer {
  return json(405, { error: 'invalid_request', error_description: `Use ${allowed}` }, { Allow: allowed, ...extra });
}

// ---- the server --------------------------------------------------------------------------------------

export function createLocalSignIn(options: LocalSignInOptions): LocalSignIn {
  const { issuer } = options;
  const now = options.now ?? Date.now;
  const client = consoleClient(options.port);
  const issuerOrigin = originOf(issuer.issuer);
  const codes = new Map<string, PendingCode>();
  /** Codes already exchanged, with the family they started, until that family ends (RFC 6749 §4.1.2). */
  const spentCodes = new Map<string, { familyId: string; expiresAt: number }>();
  const families = new Map<string, TokenFamily>();
  const refreshTokens = new Map<string, RefreshRecord>();

  const pageHeaders = (formTarget?: string): Record<string, string> => ({
    // The console's own policy; the page's form answers with a redirect to the app, which
    // browsers check against form-action too, so the (verified) app origin is named in it.
    ...consoleSecurityHeaders({ signInOrigins: [...new Set([issuerOrigin, ...(formTarget ? [originOf(formTarget)] : [])])] },
      { https: false }),
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  const errorPage = (status: number, message: string): GatewayAnswer => ({ status, headers: pageHeaders(), body: renderErrorPage(message) });

  const cors = (request: PlainRequest, methods: string): Record<string, string> => {
    const origin = headerOf(request, 'origin');
    if (!origin || !client.origins.includes(origin)) return { Vary: 'Origin' };
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': methods,
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    };
  };

  const sweep = () => {
    const at = now();
    for (const [key, code] of codes) if (code.expiresAt <= at) codes.delete(key);
    for (const [key, spent] of spentCodes) if (spent.expiresAt <= at) spentCodes.delete(key);
    for (const [id, family] of families) if (family.expiresAt <= at) families.delete(id);
    for (const [key, record] of refreshTokens) if (!families.has(record.familyId)) refreshTokens.delete(key);
  };

  const revokeFamily = (familyId: string) => {
    const family = families.get(familyId);
    if (family) family.revoked = true;
  };

  const activeUser = async (sub: string) => (await options.users()).find((user) => user.sub === sub);

  const issueRefreshToken = (familyId: string): string => {
    const token = newSecret();
    refreshTokens.set(digest(token), { familyId, spent: false });
    return token;
  };

  /** Cognito's answer: access token (+ id token with `openid`), a refresh token, Bearer, seconds to expiry. */
  const tokenAnswer = (user: StackUser, family: TokenFamily, nonce?: string): Record<string, unknown> => {
    const scope = family.scopes.join(' ');
    const accessToken = issuer.mint(actorFor(user), {
      expiresInSeconds: ACCESS_TOKEN_TTL_SECONDS,
      claims: { client_id: family.clientId, scope, auth_time: family.authTime, origin_jti: family.id },
    });
    const answer: Record<string, unknown> = {
      access_token: accessToken,
      refresh_token: issueRefreshToken(family.id),
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
    };
    if (family.scopes.includes('openid')) {
      const issuedAt = Math.floor(Date.now() / 1000);
      const accessHash = createHash('sha256').update(accessToken).digest();
      answer.id_token = issuer.signRaw({ alg: 'RS256', kid: issuer.kid, typ: 'JWT' }, {
        sub: user.sub,
        aud: family.clientId,
        iss: issuer.issuer,
        // The API refuses it: it is not an access token (token_use) and names no client_id or scope.
        token_use: 'id',
        auth_time: family.authTime,
        iat: issuedAt,
        exp: issuedAt + ACCESS_TOKEN_TTL_SECONDS,
        at_hash: accessHash.subarray(0, accessHash.length / 2).toString('base64url'),
        origin_jti: family.id,
        jti: randomUUID(),
        'cognito:username': user.sub,
        'cognito:groups': [user.role],
        name: user.displayName,
        ...(family.scopes.includes('email') ? { email: user.email, email_verified: true } : {}),
        ...(nonce ? { nonce } : {}),
      });
    }
    return answer;
  };

  // ---- /oauth2/authorize: the page (GET, or POST without a choice) and the choice (POST) ----------
  const authorize = async (request: PlainRequest): Promise<GatewayAnswer> => {
    if (request.method !== 'GET' && request.method !== 'POST') return errorPage(405, 'This page is opened with GET or POST.');
    const fromForm = request.method === 'POST';
    if (fromForm && !isForm(request)) return errorPage(415, 'The sign-in form was sent in a format this page does not read.');
    const params = fromForm ? new URLSearchParams(request.body ?? '') : new URL(request.url, issuer.issuer).searchParams;
    const checked = checkAuthorization(params, client);
    if (checked.kind === 'page') return errorPage(checked.status, checked.message);
    if (checked.kind === 'redirect') {
      return redirect(fromForm ? 303 : 302, withQuery(checked.redirectUri, {
        error: checked.error, error_description: checked.description, state: checked.state,
      }));
    }
    const authorization = checked.request;
    const users = await options.users();
    let chosen: string | undefined;
    try {
      chosen = fromForm ? single(params, 'user') : undefined;
    } catch {
      return errorPage(400, 'Choose one user.');
    }
    if (chosen === undefined) {
      return {
        status: 200,
        headers: pageHeaders(authorization.redirectUri),
        body: renderSignInPage({ action: AUTHORIZE_PATH, params: authorization.params, users }),
      };
    }
    const user = users.find((candidate) => candidate.sub === chosen);
    if (!user) {
      return {
        status: 400,
        headers: pageHeaders(authorization.redirectUri),
        body: renderSignInPage({ action: AUTHORIZE_PATH, params: authorization.params, users,
          error: 'That user cannot sign in any more. Choose another one.' }),
      };
    }
    sweep();
    const code = newSecret();
    codes.set(digest(code), {
      clientId: authorization.clientId,
      redirectUri: authorization.redirectUri,
      codeChallenge: authorization.codeChallenge,
      sub: user.sub,
      scopes: authorization.scopes,
      nonce: authorization.nonce,
      authTime: Math.floor(now() / 1000),
      expiresAt: now() + CODE_TTL_MS,
    });
    return redirect(303, withQuery(authorization.redirectUri, { code, state: authorization.state }));
  };

  // ---- /oauth2/token -------------------------------------------------------------------------------
  const exchangeCode = async (params: URLSearchParams, headers: Record<string, string>): Promise<GatewayAnswer> => {
    const code = single(params, 'code');
    const redirectUri = single(params, 'redirect_uri');
    const verifier = single(params, 'code_verifier');
    if (!code) return oauthError('invalid_request', 'code is missing', headers);
    const key = digest(code);
    const spent = spentCodes.get(key);
    if (spent) {
      // A code presented twice was intercepted or replayed: whatever it bought is revoked.
      revokeFamily(spent.familyId);
      return oauthError('invalid_grant', 'The code was already used', headers);
    }
    const pending = codes.get(key);
    // Single use, whatever follows: a wrong verifier burns the code rather than inviting guesses.
    codes.delete(key);
    if (!pending || pending.expiresAt <= now()) return oauthError('invalid_grant', 'The code is unknown or expired', headers);
    if (pending.clientId !== single(params, 'client_id')) return oauthError('invalid_grant', 'The code was issued to another client', headers);
    if (pending.redirectUri !== redirectUri) return oauthError('invalid_grant', 'redirect_uri differs from the authorization request', headers);
    if (!verifier || !VERIFIER.test(verifier)) return oauthError('invalid_grant', 'code_verifier is missing or malformed', headers);
    const expected = Buffer.from(pending.codeChallenge);
    const actual = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      return oauthError('invalid_grant', 'code_verifier does not match the code_challenge', headers);
    }
    const user = await activeUser(pending.sub);
    if (!user) return oauthError('invalid_grant', 'The user can no longer sign in', headers);
    const family: TokenFamily = {
      id: randomUUID(),
      clientId: pending.clientId,
      sub: pending.sub,
      scopes: pending.scopes,
      authTime: pending.authTime,
      expiresAt: now() + REFRESH_TOKEN_TTL_MS,
      revoked: false,
    };
    families.set(family.id, family);
    spentCodes.set(key, { familyId: family.id, expiresAt: family.expiresAt });
    return json(200, tokenAnswer(user, family, pending.nonce), headers);
  };

  const refresh = async (params: URLSearchParams, headers: Record<string, string>): Promise<GatewayAnswer> => {
    const token = single(params, 'refresh_token');
    if (!token) return oauthError('invalid_request', 'refresh_token is missing', headers);
    const record = refreshTokens.get(digest(token));
    const family = record ? families.get(record.familyId) : undefined;
    if (!record || !family || family.revoked || family.expiresAt <= now()) {
      return oauthError('invalid_grant', 'The refresh token is unknown, expired or revoked', headers);
    }
    if (family.clientId !== single(params, 'client_id')) return oauthError('invalid_grant', 'The refresh token belongs to another client', headers);
    if (record.spent) {
      // Rotation means each token is exchanged once; a second use is a copy. End the session.
      revokeFamily(family.id);
      return oauthError('invalid_grant', 'The refresh token was already used; the session is revoked', headers);
    }
    record.spent = true;
    // The current role and tenant, not the ones at sign-in (SECURITY S30).
    const user = await activeUser(family.sub);
    if (!user) {
      revokeFamily(family.id);
      return oauthError('invalid_grant', 'The user can no longer sign in', headers);
    }
    return json(200, tokenAnswer(user, family), headers);
  };

  /** The token and revocation endpoints take the same kind of call: a CORS-aware form POST. */
  const formPost = (request: PlainRequest): GatewayAnswer | { headers: Record<string, string>; params: URLSearchParams } => {
    const headers = cors(request, 'POST');
    if (request.method === 'OPTIONS') return { status: 204, headers: { ...SECURITY_HEADERS, ...headers }, body: '' };
    if (request.method !== 'POST') return methodNotAllowed('POST', headers);
    if (!isForm(request)) return oauthError('invalid_request', 'Send application/x-www-form-urlencoded', headers);
    return { headers, params: new URLSearchParams(request.body ?? '') };
  };

  const token = async (request: PlainRequest): Promise<GatewayAnswer> => {
    const form = formPost(request);
    if ('status' in form) return form;
    const { headers, params } = form;
    try {
      const clientId = single(params, 'client_id');
      if (clientId !== client.clientId) return json(400, { error: 'invalid_client', error_description: 'Unknown client' }, headers);
      // A public client has no secret; one that sends any is not this client.
      if (params.has('client_secret') || headerOf(request, 'authorization')) {
        return json(400, { error: 'invalid_client', error_description: 'This client has no secret' }, headers);
      }
      sweep();
      const grantType = single(params, 'grant_type');
      if (grantType === 'authorization_code') return await exchangeCode(params, headers);
      if (grantType === 'refresh_token') return await refresh(params, headers);
      return oauthError('unsupported_grant_type', 'Use authorization_code or refresh_token', headers);
    } catch (error) {
      if (error instanceof BadParameter) return oauthError('invalid_request', error.message, headers);
      throw error;
    }
  };

  // ---- /oauth2/revoke (RFC 7009, as Cognito: refresh tokens only) ----------------------------------
  const revoke = (request: PlainRequest): GatewayAnswer => {
    const form = formPost(request);
    if ('status' in form) return form;
    const { headers, params } = form;
    try {
      if (single(params, 'client_id') !== client.clientId) {
        return json(400, { error: 'invalid_client', error_description: 'Unknown client' }, headers);
      }
      const presented = single(params, 'token');
      if (!presented) return oauthError('invalid_request', 'token is missing', headers);
      const record = refreshTokens.get(digest(presented));
      // An unknown token is answered like a revoked one (RFC 7009 §2.2): nothing to learn here.
      if (record && families.get(record.familyId)?.clientId === client.clientId) revokeFamily(record.familyId);
      return { status: 200, headers: { ...SECURITY_HEADERS, ...headers }, body: '' };
    } catch (error) {
      if (error instanceof BadParameter) return oauthError('invalid_request', error.message, headers);
      throw error;
    }
  };

  // ---- /logout?client_id&logout_uri (Cognito's parameters) -----------------------------------------
  const logout = (request: PlainRequest): GatewayAnswer => {
    if (request.method !== 'GET') return errorPage(405, 'Sign-out is opened with GET.');
    const params = new URL(request.url, issuer.issuer).searchParams;
    try {
      if (single(params, 'client_id') !== client.clientId) return errorPage(400, 'This app is not known to the local sign-in.');
      const logoutUri = single(params, 'logout_uri');
      if (!logoutUri || !client.logoutUris.includes(logoutUri)) {
        return errorPage(400, 'The app asked to return to an address that is not registered for it after sign-out.');
      }
      // There is no sign-in session to end here (every sign-in shows the page again); back to the app.
      return redirect(302, logoutUri);
    } catch (error) {
      return errorPage(400, (error as Error).message);
    }
  };

  const discovery = (request: PlainRequest): GatewayAnswer => {
    const headers = cors(request, 'GET');
    if (request.method === 'OPTIONS') return { status: 204, headers: { ...SECURITY_HEADERS, ...headers }, body: '' };
    if (request.method !== 'GET') return methodNotAllowed('GET', headers);
    return json(200, discoveryDocument(issuer.issuer), { ...headers, 'Cache-Control': 'public, max-age=300' });
  };

  const stylesheet = (request: PlainRequest): GatewayAnswer => {
    if (request.method !== 'GET') return methodNotAllowed('GET');
    return {
      status: 200,
      headers: { ...consoleSecurityHeaders({ signInOrigins: [] }, { https: false }), 'Content-Type': 'text/css; charset=utf-8',
        'Cache-Control': 'no-cache' },
      body: SIGN_IN_STYLESHEET,
    };
  };

  const routes: Record<string, (request: PlainRequest) => GatewayAnswer | Promise<GatewayAnswer>> = {
    [DISCOVERY_PATH]: discovery,
    [AUTHORIZE_PATH]: authorize,
    [TOKEN_PATH]: token,
    [REVOKE_PATH]: revoke,
    [LOGOUT_PATH]: logout,
    [SIGN_IN_STYLESHEET_PATH]: stylesheet,
  };

  return {
    client,
    handles: (path) => path === DISCOVERY_PATH || path === LOGOUT_PATH || path === '/oauth2' || path.startsWith('/oauth2/'),
    async dispatch(request) {
      const path = new URL(request.url, issuer.issuer).pathname;
      const route = routes[path];
      if (!route) return json(404, { error: 'not_found', error_description: 'No such sign-in endpoint' });
      return route(request);
    },
  };
}
