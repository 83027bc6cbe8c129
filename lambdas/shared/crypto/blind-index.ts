import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Blind indexes: HMAC-SHA256 of a normalised value under a key derived (HKDF-SHA256) from a
 * secret the database never sees. Equal inputs give equal indexes, so exact-match lookup works
 * without plaintext; nothing else does (no prefix, range or fuzzy search). Whoever holds the key
 * can test guesses, which for phone numbers is cheap: that is why the keys live in the process
 * and are bound to one tenant (docs/security/encryption.md).
 */
/** `intake-challenge` is no index: the intake's challenge HMAC key, derived the same way under its own label. */
export type IndexPurpose = 'phone' | 'email' | 'intake-phone' | 'intake-email' | 'intake-challenge';

const SALT = Buffer.from('nemt-blind-index-v1', 'utf8');

export function deriveIndexKey(secret: Buffer, purpose: IndexPurpose, scopeId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, Buffer.from(`${purpose}|${scopeId}`, 'utf8'), 32));
}

/** E.164 as validated at the boundary; stray spaces and separators never make two numbers differ. */
export function normalisePhone(phone: string): string {
  return phone.replace(/[\s().-]/g, '');
}

export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

export function blindIndex(key: Buffer, normalised: string): Buffer {
  return createHmac('sha256', key).update(normalised, 'utf8').digest();
}
