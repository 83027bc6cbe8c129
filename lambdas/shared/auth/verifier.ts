import { JwtVerifier } from 'aws-jwt-verify';
import {
  FetchError, JwksNotAvailableInCacheError, JwtExpiredError, JwtInvalidAudienceError, JwtInvalidClaimError,
  JwtInvalidIssuerError, JwtInvalidScopeError, JwtInvalidSignatureAlgorithmError, JwtInvalidSignatureError,
  JwtNotBeforeError, JwtParseError, JwtWithoutValidKidError, KidNotFoundInJwksError, WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';

/**
 * Access-token verification (SECURITY S7). One code path for Cognito and for the local issuer:
 * configuration names the issuer, its JWKS and the accepted app clients and scope. Create the
 * verifier once per container; aws-jwt-verify caches the keys it fetched.
 */
export interface TokenVerifierConfig {
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` in AWS; the local issuer's URL otherwise. */
  issuer: string;
  jwksUri: string;
  clientIds: readonly string[];
  /** The resource-server scope every API call must carry, e.g. `nemt-api/api`. */
  scope: string;
  /** Preloaded keys: the local stack and tests hand them over instead of fetching. */
  jwks?: Jwks;
  /** Verified tokens remembered (default 1,000); 0 turns the memory off. */
  rememberTokens?: number;
  /**
   * Start fetching the key set at creation, while a Lambda is still loading, so a cold start's
   * first request does not wait for that round trip. A failed early fetch is forgotten: the first
   * verification then fetches the keys itself and reports its own failure.
   */
  fetchKeysEarly?: boolean;
}

export interface TokenVerifier {
  verify(token: string): Promise<JwtPayload>;
}

export class TokenRejectedError extends Error {
  constructor(readonly reason: string) {
    super(`access token rejected: ${reason}`);
    this.name = 'TokenRejectedError';
  }
}

const DEFAULT_REMEMBERED_TOKENS = 1_000;

/**
 * Tokens this container has verified, by their exact text, until they expire. The same bytes
 * verified once verify the same way again until `exp` (the only claim that changes its verdict
 * with time), so a repeat request skips the RS256 check and the JSON parsing. Anything else
 * (one changed character, another signature) misses and is verified in full. Bounded: the
 * oldest entry leaves first. Revocation is not what this gives up: aws-jwt-verify never asked
 * Cognito about revocation, and a disabled user is refused by the database on every request.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, JwtPayload>();

  constructor(private readonly capacity: number) {}

  get(token: string): JwtPayload | undefined {
    const payload = this.entries.get(token);
    if (payload === undefined) return undefined;
    // aws-jwt-verify refuses from the second `exp` names; so does the memory.
    if ((payload.exp as number) * 1000 > Date.now()) return payload;
    this.entries.delete(token);
    return undefined;
  }

  remember(token: string, payload: JwtPayload): JwtPayload {
    if (this.capacity === 0) return payload;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    // Frozen, because every later request with this token is handed the same object.
    const frozen = Object.freeze(payload);
    this.entries.set(token, frozen);
    return frozen;
  }
}

export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const clientIds = new Set(config.clientIds);
  const verified = new VerifiedTokens(config.rememberTokens ?? DEFAULT_REMEMBERED_TOKENS);
  const verifier = JwtVerifier.create({
    issuer: config.issuer,
    jwksUri: config.jwksUri,
    // Cognito access tokens carry no `aud`; the app client is in `client_id`, checked below.
    audience: null,
    scope: config.scope,
    customJwtCheck: ({ header, payload }) => {
      if (header.alg !== 'RS256') throw new TokenRejectedError('algorithm');
      // aws-jwt-verify checks exp only when present; a token without one would never expire.
      if (typeof payload.exp !== 'number') throw new TokenRejectedError('exp_missing');
      if (payload.token_use !== 'access') throw new TokenRejectedError('token_use');
      if (typeof payload.client_id !== 'string' || !clientIds.has(payload.client_id)) {
        throw new TokenRejectedError('client_id');
      }
    },
  });
  if (config.jwks) verifier.cacheJwks(config.jwks);
  let earlyFetch: Promise<void> | undefined = config.fetchKeysEarly && !config.jwks
    ? verifier.hydrate().catch(() => undefined).finally(() => { earlyFetch = undefined; })
    : undefined;
  return {
    async verify(token) {
      const remembered = verified.get(token);
      if (remembered) return remembered;
      // Wait for the early fetch rather than join it: if it failed, verification fetches afresh.
      if (earlyFetch) await earlyFetch;
      try {
        return verified.remember(token, await verifier.verify(token));
      } catch (error) {
        if (error instanceof TokenRejectedError) throw error;
        throw new TokenRejectedError(rejectionReason(error));
      }
    },
  };
}

/**
 * Why aws-jwt-verify refused, as a stable code for the logs (SECURITY S14). Matched by class,
 * most specific first: its errors all carry the name `Error`, and bundling minifies class names.
 */
const REASONS: readonly [abstract new (...args: never[]) => Error, string][] = [
  [JwtExpiredError, 'expired'],
  [JwtNotBeforeError, 'not_yet_valid'],
  [JwtInvalidIssuerError, 'issuer'],
  [JwtInvalidAudienceError, 'audience'],
  [JwtInvalidScopeError, 'scope'],
  [JwtInvalidClaimError, 'claim'],
  [JwtInvalidSignatureAlgorithmError, 'algorithm'],
  [JwtInvalidSignatureError, 'signature'],
  [JwtWithoutValidKidError, 'kid_missing'],
  [KidNotFoundInJwksError, 'kid_unknown'],
  [WaitPeriodNotYetEndedJwkError, 'kid_unknown'],
  [JwksNotAvailableInCacheError, 'keys_unavailable'],
  [FetchError, 'keys_unavailable'],
  [JwtParseError, 'malformed'],
];

function rejectionReason(error: unknown): string {
  return REASONS.find(([type]) => error instanceof type)?.[1] ?? 'invalid';
}
