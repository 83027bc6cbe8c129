import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyScope, open, seal } from './envelope';
import { DATA_KEY_BYTES, type GeneratedDataKey, type KeyProvider } from './key-provider';

/**
 * The stand-in for KMS in tests and the local stack: a 256-bit master key that wraps tenant keys
 * with AES-256-GCM, the facility id authenticated exactly as KMS authenticates the encryption
 * context. It refuses to run inside Lambda, so a deployed function can never fall back to it.
 */
export function createLocalKeyProvider(masterKey: Buffer): KeyProvider {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) throw new Error('the local key provider is for tests and the local stack only');
  if (masterKey.length !== DATA_KEY_BYTES) throw new Error('the local master key must be 32 bytes');
  const key = Buffer.from(masterKey);
  const masterKeyId = `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
  const context = (facilityId: string) => `local-master|${masterKeyId}|facility_id=${facilityId}`;
  return {
    name: 'local',
    async generateDataKey(facilityId: string): Promise<GeneratedDataKey> {
      const plaintext = randomBytes(DATA_KEY_BYTES);
      const wrapped = seal(key, { scope: KeyScope.master, keyId: facilityId, version: 1 }, context(facilityId), plaintext);
      return { plaintext, wrapped, masterKeyId };
    },
    async decryptDataKey(facilityId: string, wrapped: Buffer): Promise<Buffer> {
      return open(key, wrapped, context(facilityId));
    },
  };
}

/**
 * The local stack's master key file (its data folder): created once with owner-only permissions,
 * read on every start. Losing it makes the local data unreadable, which is why `--fresh` wipes
 * both together.
 */
export function loadOrCreateLocalMasterKey(path: string): { key: Buffer; created: boolean } {
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== DATA_KEY_BYTES) throw new Error(`${path} does not hold a 32-byte base64 master key`);
    return { key, created: false };
  }
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(DATA_KEY_BYTES);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, created: true };
}
