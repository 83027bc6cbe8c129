import { required } from '../db/rds-proxy';
import { onFirstUse } from '../on-first-use';
import type { KeyProvider } from './key-provider';
import { PiiCrypto } from './pii';

/**
 * Field encryption for a Lambda: KMS under the application (PII) key named by PII_KEY_ARN
 * (the only key the function's role may use, and only with a facility_id encryption context).
 * Built once per container, so its key cache lives as long as the container.
 */
export function piiCryptoFromEnvironment(env: NodeJS.ProcessEnv = process.env): PiiCrypto {
  const ttlSeconds = Number(env.PII_KEY_CACHE_SECONDS || '300');
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 3600) throw new Error('invalid configuration: PII_KEY_CACHE_SECONDS');
  return new PiiCrypto({ provider: kmsOnFirstUse(required(env, 'PII_KEY_ARN')), cacheTtlMs: ttlSeconds * 1000 });
}

/**
 * The KMS client (and the SDK code behind it) loads at the first key-service call, not at module
 * init: most requests find their keys cached or touch no protected field at all, and a cold start
 * should not pay for a client it may not use (docs/performance.md, P1).
 */
function kmsOnFirstUse(keyArn: string): KeyProvider {
  const kms = onFirstUse(async () => {
    const [{ newKmsClient }, { createKmsKeyProvider }] = await Promise.all([import('../aws/kms-client'), import('./kms-key-provider')]);
    return createKmsKeyProvider(newKmsClient(), keyArn);
  });
  return {
    name: 'kms',
    generateDataKey: async (facilityId) => (await kms()).generateDataKey(facilityId),
    decryptDataKey: async (facilityId, wrapped) => (await kms()).decryptDataKey(facilityId, wrapped),
  };
}
