import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, KMSInternalException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { blindIndex, deriveIndexKey, normaliseEmail, normalisePhone } from '../../lambdas/shared/crypto/blind-index';
import { KeyScope, open, readKeyRef, seal } from '../../lambdas/shared/crypto/envelope';
import { IntegrityError, KeyServiceUnavailableError } from '../../lambdas/shared/crypto/errors';
import { KeyCache } from '../../lambdas/shared/crypto/key-cache';
import { createKmsKeyProvider } from '../../lambdas/shared/crypto/kms-key-provider';
import { createLocalKeyProvider, loadOrCreateLocalMasterKey } from '../../lambdas/shared/crypto/local-key-provider';
import { PiiCrypto, type TenantKey } from '../../lambdas/shared/crypto/pii';
import { createFakeKms, TEST_KEY_ARN } from '../support/kms';

const meta = { $metadata: {} };

describe('the ciphertext envelope', () => {
  const key = randomBytes(32);
  const ref = { scope: KeyScope.rider, keyId: randomUUID(), version: 7 };
  const context = 'field|riders|full_name_enc|row|tenant';

  test('round-trips and names its key and version in the header', () => {
    const sealed = seal(key, ref, context, Buffer.from('Ada Lovelace'));
    expect(readKeyRef(sealed)).toEqual(ref);
    expect(open(key, sealed, context).toString()).toBe('Ada Lovelace');
    expect(sealed.toString('latin1')).not.toContain('Ada');
  });

  test('two seals of one value differ (random IV), and both open', () => {
    const [a, b] = [seal(key, ref, context, Buffer.from('x')), seal(key, ref, context, Buffer.from('x'))];
    expect(a.equals(b)).toBe(false);
    expect(open(key, a, context).equals(open(key, b, context))).toBe(true);
  });

  test('any flipped byte — header, IV, ciphertext or tag — fails the integrity check', () => {
    const sealed = seal(key, ref, context, Buffer.from('Oxygen at night'));
    for (let index = 0; index < sealed.length; index += 1) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] as number) ^ 0x01;
      expect(() => open(key, tampered, context)).toThrow(IntegrityError);
    }
  });

  test('another context (row, column, tenant) or another key fails', () => {
    const sealed = seal(key, ref, context, Buffer.from('Oxygen at night'));
    expect(() => open(key, sealed, 'field|riders|full_name_enc|other-row|tenant')).toThrow(IntegrityError);
    expect(() => open(key, sealed, 'field|riders|phone_enc|row|tenant')).toThrow(IntegrityError);
    expect(() => open(randomBytes(32), sealed, context)).toThrow(IntegrityError);
  });

  test('what is not an envelope is refused as such', () => {
    expect(() => readKeyRef(Buffer.from('plain text that is long enough to pass the length check'))).toThrow(IntegrityError);
    expect(() => readKeyRef(Buffer.alloc(10))).toThrow(IntegrityError);
  });
});

describe('the key cache', () => {
  test('an entry expires ttl after it was loaded, by the injected clock', () => {
    let now = 1_000;
    const cache = new KeyCache<string>({ ttlMs: 100, maxEntries: 10, now: () => now });
    cache.set('a', 'key-a');
    now += 99;
    expect(cache.get('a')).toBe('key-a');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('beyond maxEntries the least recently used goes first', () => {
    const cache = new KeyCache<string>({ ttlMs: 1_000, maxEntries: 2, now: () => 0 });
    cache.set('a', '1');
    cache.set('b', '2');
    expect(cache.get('a')).toBe('1');
    cache.set('c', '3');
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['1', undefined, '3']);
  });

  test('concurrent loads of one key share one call; a failed load is not remembered', async () => {
    const cache = new KeyCache<string>({ ttlMs: 1_000, maxEntries: 10 });
    let calls = 0;
    const load = async () => {
      calls += 1;
      return 'loaded';
    };
    expect(await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load), cache.getOrLoad('k', load)]))
      .toEqual(['loaded', 'loaded', 'loaded']);
    expect(calls).toBe(1);
    await expect(cache.getOrLoad('broken', async () => { throw new Error('down'); })).rejects.toThrow('down');
    expect(await cache.getOrLoad('broken', load)).toBe('loaded');
  });

  test('refuses a cache without bounds', () => {
    expect(() => new KeyCache({ ttlMs: 0, maxEntries: 1 })).toThrow(RangeError);
    expect(() => new KeyCache({ ttlMs: 1, maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('blind indexes', () => {
  const secret = randomBytes(32);

  test('equal after normalisation, different for anything else', () => {
    const key = deriveIndexKey(secret, 'email', 'tenant-a');
    expect(blindIndex(key, normaliseEmail(' Pat@Example.TEST ')).equals(blindIndex(key, normaliseEmail('pat@example.test')))).toBe(true);
    expect(blindIndex(key, normaliseEmail('pat@example.test')).equals(blindIndex(key, normaliseEmail('pat@example.tes')))).toBe(false);
    expect(normalisePhone('+1 (555) 010-0000')).toBe('+15550100000');
  });

  test('keys differ per purpose and per tenant, so indexes cannot be compared across them', () => {
    const value = '+15550100000';
    const indexes = [
      blindIndex(deriveIndexKey(secret, 'phone', 'tenant-a'), value),
      blindIndex(deriveIndexKey(secret, 'phone', 'tenant-b'), value),
      blindIndex(deriveIndexKey(secret, 'email', 'tenant-a'), value),
      blindIndex(deriveIndexKey(randomBytes(32), 'phone', 'tenant-a'), value),
    ].map((index) => index.toString('hex'));
    expect(new Set(indexes).size).toBe(4);
  });
});

describe('the local key provider (tests and the local stack only)', () => {
  test('binds each wrapped key to its facility, as KMS binds the encryption context', async () => {
    const provider = createLocalKeyProvider(randomBytes(32));
    const facility = randomUUID();
    const key = await provider.generateDataKey(facility);
    expect(await provider.decryptDataKey(facility, key.wrapped)).toEqual(key.plaintext);
    await expect(provider.decryptDataKey(randomUUID(), key.wrapped)).rejects.toThrow(IntegrityError);
    await expect(createLocalKeyProvider(randomBytes(32)).decryptDataKey(facility, key.wrapped)).rejects.toThrow(IntegrityError);
  });

  test('refuses to run inside a Lambda function', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'nemt-api';
    try {
      expect(() => createLocalKeyProvider(randomBytes(32))).toThrow('tests and the local stack only');
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  });

  test('the master key file is created once, owner-only, and read back the same', () => {
    const directory = mkdtempSync(join(tmpdir(), 'nemt-key-'));
    try {
      const path = join(directory, 'data', 'pii-master-key');
      const first = loadOrCreateLocalMasterKey(path);
      expect(first.created).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const again = loadOrCreateLocalMasterKey(path);
      expect(again).toEqual({ key: first.key, created: false });
      expect(readFileSync(path, 'utf8')).not.toContain(first.key.toString('hex'));
      writeFileSync(path, 'not a key');
      expect(() => loadOrCreateLocalMasterKey(path)).toThrow('32-byte');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('the KMS key provider (through aws-sdk-client-mock)', () => {
  test('GenerateDataKey and Decrypt name the application key and the facility_id encryption context', async () => {
    const kms = createFakeKms();
    const provider = createKmsKeyProvider(kms.client, TEST_KEY_ARN);
    const facility = randomUUID();
    const key = await provider.generateDataKey(facility);
    expect(key.masterKeyId).toBe(TEST_KEY_ARN);
    expect(await provider.decryptDataKey(facility, key.wrapped)).toEqual(key.plaintext);
    expect(kms.mock.commandCalls(GenerateDataKeyCommand).map((call) => call.args[0].input)).toEqual([
      { KeyId: TEST_KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { facility_id: facility } },
    ]);
    expect(kms.mock.commandCalls(DecryptCommand).map((call) => call.args[0].input)).toEqual([
      { KeyId: TEST_KEY_ARN, CiphertextBlob: key.wrapped, EncryptionContext: { facility_id: facility } },
    ]);
  });

  test("another tenant's context does not open the key (integrity), an outage is transient (unavailable)", async () => {
    const kms = createFakeKms();
    const provider = createKmsKeyProvider(kms.client, TEST_KEY_ARN);
    const key = await provider.generateDataKey(randomUUID());
    await expect(provider.decryptDataKey(randomUUID(), key.wrapped)).rejects.toThrow(IntegrityError);

    const down = new KMSClient({ region: 'us-east-1' });
    mockClient(down).on(DecryptCommand).rejects(new KMSInternalException({ message: 'internal failure', ...meta }))
      .on(GenerateDataKeyCommand).rejects(new KMSInternalException({ message: 'internal failure', ...meta }));
    const throttled = createKmsKeyProvider(down, TEST_KEY_ARN);
    await expect(throttled.decryptDataKey(randomUUID(), key.wrapped)).rejects.toThrow(KeyServiceUnavailableError);
    await expect(throttled.generateDataKey(randomUUID())).rejects.toThrow(KeyServiceUnavailableError);
  });

  test('refuses a key named by alias or id: the IAM grant is on the key ARN', () => {
    expect(() => createKmsKeyProvider(new KMSClient({ region: 'us-east-1' }), 'alias/nemt')).toThrow('ARN');
  });
});

describe('tenant and rider keys', () => {
  function kmsBacked(now: () => number) {
    const kms = createFakeKms();
    const pii = new PiiCrypto({ provider: createKmsKeyProvider(kms.client, TEST_KEY_ARN), cacheTtlMs: 60_000, now });
    return { kms, pii };
  }

  test('a stored tenant key costs one Decrypt per TTL, whatever the number of uses', async () => {
    let now = 0;
    const { kms, pii } = kmsBacked(() => now);
    const facility = randomUUID();
    const generated = await pii.generateTenantKey(facility);
    const stored = { facilityId: facility, version: 1, wrapped: generated.wrapped };
    const opened: TenantKey[] = [];
    for (let i = 0; i < 50; i += 1) opened.push(await pii.openStoredTenantKey(stored));
    expect(kms.decryptCalls()).toBe(1);
    expect(opened.every((key) => key.key.equals(generated.key.key))).toBe(true);
    now += 60_000;
    await pii.openStoredTenantKey(stored);
    expect(kms.decryptCalls()).toBe(2);
  });

  test("a rider key wrapped for one rider does not open as another's; a field opens only where it was sealed", async () => {
    const { pii } = kmsBacked(() => 0);
    const facility = randomUUID();
    const { key: tenantKey } = await pii.generateTenantKey(facility);
    const [rider, other] = [randomUUID(), randomUUID()];
    const { key, wrapped } = pii.newRiderKey(tenantKey, rider);
    expect(pii.openRiderKeyWith(tenantKey, other, wrapped)).toBe('unreadable');
    const opened = pii.openRiderKeyWith(tenantKey, rider, wrapped);
    if (typeof opened === 'string') throw new Error('the rider key should open');

    const ref = { table: 'riders', column: 'full_name_enc', rowId: rider, facilityId: facility } as const;
    const sealed = pii.sealField(key, ref, 'Ada Lovelace');
    expect(pii.openField(opened, ref, sealed)).toEqual({ ok: true, value: 'Ada Lovelace' });
    expect(pii.openField(opened, { ...ref, column: 'phone_enc' }, sealed)).toEqual({ ok: false, reason: 'unreadable' });
    expect(pii.openField(opened, { ...ref, rowId: other }, sealed)).toEqual({ ok: false, reason: 'unreadable' });
    expect(pii.openField('erased', ref, sealed)).toEqual({ ok: false, reason: 'erased' });
    expect(pii.openField(opened, ref, null)).toEqual({ ok: true, value: null });
  });
});
