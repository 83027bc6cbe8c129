import { createHash } from 'node:crypto';
import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';

/**
 * The intake's proof of work (SECURITY S28): an ALTCHA challenge (altcha-lib, SHA-256, self-hosted,
 * no third-party call). The client finds the number whose SHA-256 with the salt is the challenge
 * (about a second on a phone at the default maxnumber) and sends it back with the signed challenge;
 * the signature is an HMAC under the provider-level key (PiiCrypto.intakeChallengeKey), and the
 * salt carries its expiry, so neither can be forged or extended. Spending it is the database's job
 * (intake_spend_challenge, schema/0019): a verified challenge is accepted once.
 */
export const CHALLENGE_LIFETIME_MS = 10 * 60_000;
export const DEFAULT_CHALLENGE_MAX_NUMBER = 100_000;

export interface IssuedChallenge {
  algorithm: 'SHA-256';
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

export async function issueChallenge(hmacKey: string, maxnumber: number, now = Date.now()): Promise<IssuedChallenge> {
  const issued = await createChallenge({
    algorithm: 'SHA-256', hmacKey, maxnumber, expires: new Date(now + CHALLENGE_LIFETIME_MS),
  });
  return { algorithm: 'SHA-256', challenge: issued.challenge, maxnumber, salt: issued.salt, signature: issued.signature };
}

/** A solved challenge that verified: what the database spends. */
export interface VerifiedChallenge {
  /** SHA-256 of the challenge (the signature is an HMAC of it, so one challenge, one hash). */
  hash: Buffer;
  expiresAt: Date;
}

interface SolvedPayload {
  algorithm: 'SHA-256';
  challenge: string;
  number: number;
  salt: string;
  signature: string;
}

/** The base64 JSON payload the client sends, if it has the right shape; nothing else is trusted yet. */
function decode(altcha: string): SolvedPayload | undefined {
  try {
    const value = JSON.parse(Buffer.from(altcha, 'base64').toString('utf8')) as Record<string, unknown>;
    const { algorithm, challenge, number, salt, signature } = value;
    if (algorithm !== 'SHA-256' || typeof challenge !== 'string' || typeof salt !== 'string' || typeof signature !== 'string'
      || typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) return undefined;
    return { algorithm, challenge, number, salt, signature };
  } catch {
    return undefined;
  }
}

/**
 * Checks the payload's signature, solution and expiry (which must be present: a challenge without
 * one is not one this intake issued). Undefined for anything wrong, forged or expired: the caller
 * answers one problem for all of them, so a prober learns nothing about which.
 */
export async function verifyChallenge(altcha: string, hmacKey: string, now = Date.now()): Promise<VerifiedChallenge | undefined> {
  const payload = decode(altcha);
  if (!payload) return undefined;
  const expires = Number(extractParams(payload).expires);
  if (!Number.isSafeInteger(expires) || expires * 1000 <= now) return undefined;
  if (!(await verifySolution(payload, hmacKey, true))) return undefined;
  return { hash: createHash('sha256').update(payload.challenge, 'utf8').digest(), expiresAt: new Date(expires * 1000) };
}
