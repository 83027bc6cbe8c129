import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { Actor } from '../lambdas/shared/tenancy/actor';

/**
 * The local token issuer: RS256 access tokens shaped like Cognito's (groups, facility_id,
 * contact_id, token_use, client_id, scope), verified by the same code path as in AWS against the
 * JWKS it publishes. For the local stack and tests only; it never runs in AWS.
 */
export const LOCAL_CLIENT_ID = 'local-app-client';
export const LOCAL_SCOPE = 'nemt-api/api';
/** The console's public app client (no secret) at the local sign-in page; see local/sign-in.ts. */
export const CONSOLE_CLIENT_ID = 'local-console';
/** App clients whose access tokens the local stack's API accepts: `npm run token`'s and the console's. */
export const LOCAL_API_CLIENT_IDS: readonly string[] = [LOCAL_CLIENT_ID, CONSOLE_CLIENT_ID];

export interface Jwk {
  kty: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
  n: string;
  e: string;
}

export interface MintOptions {
  /** Overrides for attack tests; a real token never needs them. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  expiresInSeconds?: number;
  groups?: string[];
}

export interface LocalIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly kid: string;
  jwks(): { keys: Jwk[] };
  mint(actor: Actor, options?: MintOptions): string;
  /** Signs an arbitrary header and payload with the issuer's key (tests of the verifier). */
  signRaw(header: Record<string, unknown>, payload: Record<string, unknown>): string;
  privateKeyPem(): string;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function createLocalIssuer(options: { issuer: string; privateKeyPem?: string }): LocalIssuer {
  const privateKey: KeyObject = options.privateKeyPem
    ? createPrivateKey(options.privateKeyPem)
    : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty: string; n: string; e: string };
  const kid = `local-${publicJwk.n.slice(0, 16)}`;
  const jwksUri = `${options.issuer}/.well-known/jwks.json`;

  const signRaw = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), privateKey))}`;
  };

  return {
    issuer: options.issuer,
    jwksUri,
    kid,
    jwks: () => ({ keys: [{ kty: publicJwk.kty, kid, alg: 'RS256', use: 'sig', n: publicJwk.n, e: publicJwk.e }] }),
    mint(actor, mintOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        sub: actor.sub,
        'cognito:groups': mintOptions.groups ?? [actor.role],
        iss: options.issuer,
        client_id: LOCAL_CLIENT_ID,
        origin_jti: randomUUID(),
        event_id: randomUUID(),
        token_use: 'access',
        scope: LOCAL_SCOPE,
        auth_time: now,
        iat: now,
        exp: now + (mintOptions.expiresInSeconds ?? 3600),
        jti: randomUUID(),
        username: actor.sub,
        ...('facilityId' in actor ? { facility_id: actor.facilityId } : {}),
        ...('contactId' in actor && actor.contactId ? { contact_id: actor.contactId } : {}),
        ...mintOptions.claims,
      };
      return signRaw({ alg: 'RS256', kid, typ: 'JWT', ...mintOptions.header }, payload);
    },
    signRaw,
    privateKeyPem: () => privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
