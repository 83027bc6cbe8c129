import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { KeyScope, open, seal } from '../../lambdas/shared/crypto/envelope';

/**
 * A faithful stand-in for the KMS API at the client boundary (aws-sdk-client-mock): data keys
 * are wrapped under a root key only this fake holds, with the encryption context authenticated,
 * so Decrypt with another context fails as it does in KMS (InvalidCiphertextException). Like the
 * IAM policy in lib/, it refuses any call for another key or without a facility_id context.
 */
export const TEST_KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/6f1d1c6e-2b8a-4d8e-9a47-3a4a0f7c2b11';

const meta = { $metadata: {} };

export interface FakeKms {
  readonly mock: AwsClientStub<KMSClient>;
  readonly client: KMSClient;
  generateCalls(): number;
  decryptCalls(): number;
}

export function createFakeKms(keyArn = TEST_KEY_ARN): FakeKms {
  const client = new KMSClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const root = randomBytes(32);
  const contextOf = (input: { KeyId?: string; EncryptionContext?: Record<string, string> }) => {
    if (input.KeyId !== keyArn) throw new NotFoundException({ message: 'Key not found', ...meta });
    const context = input.EncryptionContext ?? {};
    if (Object.keys(context).join(',') !== 'facility_id') {
      // What IAM answers when the policy's condition on kms:EncryptionContextKeys is not met.
      throw Object.assign(new Error('not authorized: kms:EncryptionContextKeys must be facility_id'), { name: 'AccessDeniedException' });
    }
    return `kms-fake|${context.facility_id}`;
  };
  mock.on(GenerateDataKeyCommand).callsFake((input) => {
    const context = contextOf(input);
    if (input.KeySpec !== 'AES_256') throw new Error('the fake issues AES_256 data keys only');
    const plaintext = randomBytes(32);
    const wrapped = seal(root, { scope: KeyScope.master, keyId: '00000000-0000-0000-0000-000000000000', version: 1 }, context, plaintext);
    return { Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(wrapped), KeyId: keyArn };
  });
  mock.on(DecryptCommand).callsFake((input) => {
    const context = contextOf(input);
    try {
      return { Plaintext: new Uint8Array(open(root, Buffer.from(input.CiphertextBlob ?? new Uint8Array()), context)), KeyId: keyArn };
    } catch {
      throw new InvalidCiphertextException({ message: 'invalid ciphertext', ...meta });
    }
  });
  return {
    mock,
    client,
    generateCalls: () => mock.commandCalls(GenerateDataKeyCommand).length,
    decryptCalls: () => mock.commandCalls(DecryptCommand).length,
  };
}
