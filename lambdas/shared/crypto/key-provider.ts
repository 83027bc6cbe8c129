/**
 * The root of the key hierarchy (docs/security/encryption.md): it issues 256-bit data keys bound
 * to one tenant and opens them again, and nothing else. In AWS that is KMS under the application
 * key with the encryption context `{ facility_id }`; in tests and the local stack a dev-only
 * master key. Everything below it (tenant keys → rider keys → fields) is done in the process.
 */
export interface GeneratedDataKey {
  /** The key itself: held in memory only, never stored. */
  readonly plaintext: Buffer;
  /** The same key wrapped by the root; the only form that reaches the database. */
  readonly wrapped: Buffer;
  /** Which root key wrapped it (the KMS key ARN, or the local master key id). */
  readonly masterKeyId: string;
}

export interface KeyProvider {
  readonly name: 'kms' | 'local';
  generateDataKey(facilityId: string): Promise<GeneratedDataKey>;
  /** Throws IntegrityError when the wrapped key is not this tenant's; KeyServiceUnavailableError when the root cannot answer. */
  decryptDataKey(facilityId: string, wrapped: Buffer): Promise<Buffer>;
}

/**
 * The facility id under which provider-level keys (the intake's phone index key) are issued. No
 * facility can have it: facility ids are random (version 4) UUIDs, and this is the nil UUID the
 * audit trail already uses for provider-level events.
 */
export const PROVIDER_FACILITY_ID = '00000000-0000-0000-0000-000000000000';

export const DATA_KEY_BYTES = 32;
