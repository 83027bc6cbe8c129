import { createHmac, createPublicKey } from 'node:crypto';
import { EventEmitter } from 'node:events';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { createTokenVerifier } from '../../lambdas/shared/auth/verifier';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import { createLocalIssuer, LOCAL_CLIENT_ID, LOCAL_SCOPE, type LocalIssuer } from '../../local/issuer';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createFacility, createFacilityUser, createStaffUser, type UserRow } from '../support/fixtures';
import { captureLogs } from '../support/logs';

/**
 * SECURITY S7: every forged, stale, misdirected or malformed token is refused. Each case changes
 * one thing of a token that is otherwise accepted (the control case proves it is).
 */
const db = useTestDatabase();
let api: TestApi;
let dispatcher: UserRow;
let facilityAdmin: UserRow;
let facilityId: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityId = (await createFacility(owner)).id;
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  facilityAdmin = await createFacilityUser(owner, 'FacilityAdmin', facilityId);
});

afterEach(() => {
  jest.restoreAllMocks();
});

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()),
    signature,
  };
}

const now = () => Math.floor(Date.now() / 1000);

/** Fakes the one HTTPS call aws-jwt-verify makes (the JWKS download), answering with these keys. */
function serveJwks(keys: LocalIssuer) {
  return jest.spyOn(https, 'request').mockImplementation(((...args: unknown[]) => {
    const respond = args.find((arg): arg is (response: unknown) => void => typeof arg === 'function');
    const response = Object.assign(Readable.from([Buffer.from(JSON.stringify(keys.jwks()))]), { statusCode: 200 });
    return Object.assign(new EventEmitter(), {
      end: () => setImmediate(() => respond?.(response)),
      destroy: () => undefined,
      socket: undefined,
    });
  }) as never);
}
const me = (token: string) => api.call('GET', '/v1/me', { token });

/** Calls GET /v1/me and returns the answer with the reason the access log gave. */
async function meWithReason(token: string) {
  const logs = captureLogs();
  try {
    const answer = await me(token);
    const line = logs.entries().find((entry) => entry.message === 'request');
    return { answer, reason: line?.reason };
  } finally {
    logs.stop();
  }
}
const dispatcherToken = (options: Parameters<TestApi['issuer']['mint']>[1] = {}) => api.issuer.mint(actorOf(dispatcher), options);

function expectRefusal(answer: Awaited<ReturnType<typeof me>>, status: 401 | 403): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body.type).toBe(status === 401 ? 'urn:nemt:problem:unauthenticated' : 'urn:nemt:problem:forbidden');
  if (status === 401) expect(answer.headers['www-authenticate']).toBe('Bearer');
  expect(answer.body).not.toHaveProperty('sub');
}

test('control: an untampered access token is accepted', async () => {
  const answer = await me(dispatcherToken());
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ sub: dispatcher.id, role: 'Dispatcher', facilityId: null });
});

describe('refused with 401', () => {
  const cases: [string, () => string, string][] = [
    ['expired', () => dispatcherToken({ claims: { iat: now() - 7200, exp: now() - 60 } }), 'token_expired'],
    ['not yet valid (nbf in the future)', () => dispatcherToken({ claims: { nbf: now() + 600 } }), 'token_not_yet_valid'],
    ['without exp', () => dispatcherToken({ claims: { exp: undefined } }), 'token_exp_missing'],
    ['from another issuer', () => dispatcherToken({ claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } }),
      'token_issuer'],
    ['for another app client', () => dispatcherToken({ claims: { client_id: 'some-other-client' } }), 'token_client_id'],
    ['without client_id', () => dispatcherToken({ claims: { client_id: undefined } }), 'token_client_id'],
    ['an ID token', () => dispatcherToken({ claims: { token_use: 'id', aud: LOCAL_CLIENT_ID, client_id: undefined, scope: undefined } }),
      'token_scope'],
    ['an access-shaped token marked as an ID token', () => dispatcherToken({ claims: { token_use: 'id' } }), 'token_token_use'],
    ['without scope', () => dispatcherToken({ claims: { scope: undefined } }), 'token_scope'],
    ['with another scope only', () => dispatcherToken({ claims: { scope: 'openid email' } }), 'token_scope'],
    ['with an unknown kid (after refetching the keys once, as for a rotation)', () => {
      serveJwks(api.issuer);
      return dispatcherToken({ header: { kid: 'someone-elses-key' } });
    }, 'token_kid_unknown'],
    ['without kid', () => dispatcherToken({ header: { kid: undefined } }), 'token_kid_missing'],
    ['unsigned (alg none)', () => {
      const { header, payload } = decode(dispatcherToken());
      return `${b64url({ ...header, alg: 'none' })}.${b64url(payload)}.`;
    }, 'token_malformed'],
    ['HS256 signed with the public key as the HMAC secret', () => {
      const { header, payload } = decode(dispatcherToken());
      const publicPem = createPublicKey(api.issuer.privateKeyPem()).export({ format: 'pem', type: 'spki' }).toString();
      const input = `${b64url({ ...header, alg: 'HS256' })}.${b64url(payload)}`;
      return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    }, 'token_algorithm'],
    ['RS256 header over a payload signed for another payload (tampered)', () => {
      const billing = api.issuer.mint({ sub: dispatcher.id, role: 'Billing' });
      const { header, payload, signature } = decode(billing);
      return `${b64url(header)}.${b64url({ ...payload, 'cognito:groups': ['Dispatcher'] })}.${signature}`;
    }, 'token_signature'],
    ['signed by another key with the same kid', () => {
      const impostor = createLocalIssuer({ issuer: api.issuer.issuer });
      return impostor.mint(actorOf(dispatcher), { header: { kid: api.issuer.kid } });
    }, 'token_signature'],
    ['with a sub that is not a UUID', () => dispatcherToken({ claims: { sub: 'admin', username: 'admin' } }),
      'token_malformed_claims'],
  ];

  test.each(cases)('%s', async (_, token, reason) => {
    const refused = await meWithReason(token());
    expectRefusal(refused.answer, 401);
    expect(refused.reason).toBe(reason);
  });

  test('a token of a user who is no longer active', async () => {
    const disabled = await createStaffUser(db().owner, 'Dispatcher', { active: false });
    expectRefusal(await me(api.issuer.mint(actorOf(disabled))), 401);
  });

  test('no token, a malformed header, or a non-Bearer scheme', async () => {
    expectRefusal(await api.call('GET', '/v1/me'), 401);
    expectRefusal(await api.call('GET', '/v1/me', { headers: { Authorization: 'Bearer not-a-jwt' } }), 401);
    expectRefusal(await api.call('GET', '/v1/me', { headers: { Authorization: `Basic ${dispatcherToken()}` } }), 401);
  });
});

describe('refused with 403 (a valid token whose account does not fit)', () => {
  const cases: [string, () => string, string][] = [
    ['no role group', () => dispatcherToken({ groups: [] }), 'no_role_group'],
    ['only an unknown group', () => dispatcherToken({ groups: ['Admins'] }), 'no_role_group'],
    ['two role groups', () => dispatcherToken({ groups: ['Dispatcher', 'Billing'] }), 'several_role_groups'],
    ['a staff token with a facility claim', () => dispatcherToken({ claims: { facility_id: facilityId } }), 'staff_role_with_facility'],
    ['a facility token without a facility claim', () => api.issuer.mint(actorOf(facilityAdmin), { claims: { facility_id: undefined } }),
      'facility_role_without_facility'],
  ];

  test.each(cases)('%s', async (_, token, reason) => {
    const refused = await meWithReason(token());
    expectRefusal(refused.answer, 403);
    expect(refused.reason).toBe(reason);
  });

  test('control: the same facility user with its facility claim is accepted', async () => {
    const answer = await me(api.issuer.mint(actorOf(facilityAdmin)));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ role: 'FacilityAdmin', facilityId });
  });
});

describe('verifier lifetime and key cache', () => {
  /** A verifier of a local issuer with its keys handed over, as the local stack builds it. */
  const localVerifier = (options: { rememberTokens?: number } = {}) => {
    const issuer = createLocalIssuer({ issuer: 'https://issuer.example.test/pool' });
    const verifier = createTokenVerifier({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
      scope: LOCAL_SCOPE,
      jwks: issuer.jwks() as never,
      ...options,
    });
    const mint = (expiresInSeconds = 3600) => issuer.mint({ sub: dispatcher.id, role: 'Dispatcher' }, { expiresInSeconds });
    return { verifier, mint };
  };

  test('keys fetched early: the first verification waits for that fetch, and fetches afresh when it failed', async () => {
    const issuer = createLocalIssuer({ issuer: 'https://issuer.example.test/pool' });
    const early = (request: jest.SpyInstance) => {
      const verifier = createTokenVerifier({
        issuer: issuer.issuer, jwksUri: issuer.jwksUri, clientIds: [LOCAL_CLIENT_ID], scope: LOCAL_SCOPE, fetchKeysEarly: true,
      });
      expect(request).toHaveBeenCalledTimes(1);
      return verifier;
    };
    const token = () => issuer.mint({ sub: dispatcher.id, role: 'Dispatcher' }, { expiresInSeconds: 3600 });

    const served = serveJwks(issuer);
    await expect(early(served).verify(token())).resolves.toMatchObject({ sub: dispatcher.id });
    expect(served).toHaveBeenCalledTimes(1);
    served.mockRestore();

    const serve = serveJwks(issuer).getMockImplementation() as (...args: unknown[]) => unknown;
    // The early fetch (aws-jwt-verify tries twice) fails after the first verification started.
    const timingOut = (() => {
      const failing: EventEmitter & { end?: () => void; destroy?: () => void } = new EventEmitter();
      failing.end = () => setImmediate(() => failing.emit('error', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })));
      failing.destroy = () => undefined;
      return failing;
    }) as never;
    const failingEarly = jest.spyOn(https, 'request').mockImplementationOnce(timingOut).mockImplementationOnce(timingOut)
      .mockImplementation(serve as never);
    await expect(early(failingEarly).verify(token())).resolves.toMatchObject({ sub: dispatcher.id });
    expect(failingEarly).toHaveBeenCalledTimes(3);
  });

  test('verification with cached keys makes no network call', async () => {
    const request = jest.spyOn(https, 'request');
    // Every token verified in full: the key cache alone must spare the network.
    const { verifier, mint } = localVerifier({ rememberTokens: 0 });
    for (let i = 0; i < 5; i += 1) {
      await expect(verifier.verify(mint())).resolves.toMatchObject({ sub: dispatcher.id });
    }
    expect(request).not.toHaveBeenCalled();
  });

  describe('verified tokens are remembered by their exact text until they expire', () => {
    // Every full verification goes through aws-jwt-verify's verify; a remembered token does not.
    const fullVerifications = async () => jest.spyOn((await import('aws-jwt-verify')).JwtVerifier.prototype, 'verify');

    test('the same token is verified once; its claims come back frozen', async () => {
      const { verifier, mint } = localVerifier();
      const verify = await fullVerifications();
      const token = mint();
      const first = await verifier.verify(token);
      const again = await verifier.verify(token);
      expect(again).toBe(first);
      expect(again.sub).toBe(dispatcher.id);
      expect(Object.isFrozen(again)).toBe(true);
      expect(verify).toHaveBeenCalledTimes(1);
    });

    test('a remembered token is refused as expired from the second its exp names', async () => {
      const { verifier, mint } = localVerifier();
      const token = mint(60);
      await verifier.verify(token);
      const exp = (decode(token).payload.exp as number) * 1000;
      jest.spyOn(Date, 'now').mockReturnValue(exp + 1000);
      await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });
    });

    test('a remembered token with one character changed is verified afresh and refused', async () => {
      const { verifier, mint } = localVerifier();
      const token = mint();
      await verifier.verify(token);
      const { header, payload, signature } = decode(token);
      const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
      await expect(verifier.verify([b64url(header), b64url(payload), flipped].join('.'))).rejects.toMatchObject({ reason: 'signature' });
      const widened = [b64url(header), b64url({ ...payload, 'cognito:groups': ['Dispatcher', 'Billing'] }), signature].join('.');
      await expect(verifier.verify(widened)).rejects.toMatchObject({ reason: 'signature' });
    });

    test('the memory is bounded: the oldest token leaves first', async () => {
      const { verifier, mint } = localVerifier({ rememberTokens: 2 });
      const verify = await fullVerifications();
      const [first, second, third] = [mint(3600), mint(3601), mint(3602)] as [string, string, string];
      for (const token of [first, second, third]) await verifier.verify(token);
      expect(verify).toHaveBeenCalledTimes(3);
      await verifier.verify(third);
      expect(verify).toHaveBeenCalledTimes(3);
      await verifier.verify(first);
      expect(verify).toHaveBeenCalledTimes(4);
    });

    test('rememberTokens 0 verifies every time; refusals are never remembered', async () => {
      const { verifier, mint } = localVerifier({ rememberTokens: 0 });
      const verify = await fullVerifications();
      const token = mint();
      await verifier.verify(token);
      await verifier.verify(token);
      expect(verify).toHaveBeenCalledTimes(2);

      const remembering = localVerifier();
      const expired = remembering.mint(-10);
      await expect(remembering.verifier.verify(expired)).rejects.toMatchObject({ reason: 'expired' });
      await expect(remembering.verifier.verify(expired)).rejects.toMatchObject({ reason: 'expired' });
    });
  });

  test('the API Lambda entry builds one verifier per container and fetches the keys once', async () => {
    const region = 'eu-west-1';
    const userPoolId = `${region}_TestPool`;
    const cognitoIssuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
    const keys = createLocalIssuer({ issuer: cognitoIssuer });
    const request = serveJwks(keys);
    const environment = {
      AWS_REGION: region,
      USER_POOL_ID: userPoolId,
      APP_CLIENT_IDS: 'cognito-app-client',
      API_SCOPE: 'nemt-api/api',
      OUTBOX_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/outbox',
      DB_HOST: 'proxy.invalid',
      DB_PORT: '5432',
      DB_NAME: 'nemt',
      DB_USER: 'nemt_api_user',
      PII_KEY_ARN: 'arn:aws:kms:eu-west-1:000000000000:key/00000000-0000-4000-8000-000000000000',
    };
    const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
    Object.assign(process.env, environment);
    let created = 0;
    let entry: typeof import('../../lambdas/api/handler') | undefined;
    try {
      await jest.isolateModulesAsync(async () => {
        const { JwtVerifier } = await import('aws-jwt-verify');
        const create = JwtVerifier.create.bind(JwtVerifier);
        jest.spyOn(JwtVerifier, 'create').mockImplementation(((...args: Parameters<typeof create>) => {
          created += 1;
          return create(...args);
        }) as never);
        entry = await import('../../lambdas/api/handler');
      });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    if (!entry) throw new Error('the API entry did not load');
    expect(created).toBe(1);
    // The key set is asked for while the entry loads, before any request needs it.
    expect(request).toHaveBeenCalledTimes(1);

    // Valid Cognito-shaped tokens whose role may not call billing: the answer (403) comes after
    // the signature was verified and before any database work.
    const invoke = async () => {
      const token = keys.mint({ sub: dispatcher.id, role: 'Driver' }, {
        claims: { client_id: environment.APP_CLIENT_IDS, scope: environment.API_SCOPE },
      });
      const translated = toApiGatewayEvent({ method: 'GET', url: '/v1/billing-records', headers: { Authorization: `Bearer ${token}` } });
      if (!('event' in translated)) throw new Error('no route');
      return entry?.handler(translated.event, { awsRequestId: translated.event.requestContext.requestId } as Context);
    };
    for (let i = 0; i < 3; i += 1) expect((await invoke())?.statusCode).toBe(403);

    expect(created).toBe(1);
    expect(request).toHaveBeenCalledTimes(1);
    expect(String(request.mock.calls[0]?.[0])).toBe(`${cognitoIssuer}/.well-known/jwks.json`);
  });
});
