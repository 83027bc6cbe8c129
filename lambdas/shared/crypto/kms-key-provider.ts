import {
  DecryptCommand, type DecryptCommandOutput, GenerateDataKeyCommand, type GenerateDataKeyCommandOutput, type KMSClient,
} from '@aws-sdk/client-kms';
import { logger } from '../log';
import { IntegrityError, KeyServiceUnavailableError } from './errors';
import { DATA_KEY_BYTES, type GeneratedDataKey, type KeyProvider } from './key-provider';

/**
 * Tenant keys from KMS: GenerateDataKey under the application key with the encryption context
 * `{ facility_id }`, Decrypt with the same context and the key pinned. KMS authenticates the
 * context, so a wrapped key copied to another tenant's row does not open there; the IAM policy
 * refuses any call without a `facility_id` context (lib/, test/infra).
 */
const PERMANENT = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

function failure(operation: string, facilityId: string, error: unknown): Error {
  const errorName = (error as Error)?.name;
  if (PERMANENT.has(errorName)) {
    logger.error('KMS refused a wrapped tenant key', { operation, facilityId, errorName });
    return new IntegrityError(`KMS ${operation} refused the wrapped key`);
  }
  logger.error('KMS call failed', { operation, facilityId, errorName });
  return new KeyServiceUnavailableError(operation, { cause: error });
}

function copyAndWipe(bytes: Uint8Array | undefined, what: string): Buffer {
  if (!bytes || bytes.byteLength !== DATA_KEY_BYTES) throw new KeyServiceUnavailableError(`${what}: unexpected key length`);
  const copy = Buffer.from(bytes);
  bytes.fill(0);
  return copy;
}

export function createKmsKeyProvider(client: KMSClient, keyArn: string): KeyProvider {
  if (!keyArn.startsWith('arn:')) throw new Error('the application key must be named by its ARN');
  return {
    name: 'kms',
    async generateDataKey(facilityId: string): Promise<GeneratedDataKey> {
      let answer: GenerateDataKeyCommandOutput;
      try {
        answer = await client.send(new GenerateDataKeyCommand({
          KeyId: keyArn, KeySpec: 'AES_256', EncryptionContext: { facility_id: facilityId },
        }));
      } catch (error) {
        throw failure('GenerateDataKey', facilityId, error);
      }
      if (!answer.CiphertextBlob) throw new KeyServiceUnavailableError('GenerateDataKey: no wrapped key');
      return {
        plaintext: copyAndWipe(answer.Plaintext, 'GenerateDataKey'),
        wrapped: Buffer.from(answer.CiphertextBlob),
        masterKeyId: answer.KeyId ?? keyArn,
      };
    },
    async decryptDataKey(facilityId: string, wrapped: Buffer): Promise<Buffer> {
      let answer: DecryptCommandOutput;
      try {
        answer = await client.send(new DecryptCommand({
          CiphertextBlob: wrapped, KeyId: keyArn, EncryptionContext: { facility_id: facilityId },
        }));
      } catch (error) {
        throw failure('Decrypt', facilityId, error);
      }
      return copyAndWipe(answer.Plaintext, 'Decrypt');
    },
  };
}
