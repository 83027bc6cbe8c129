import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IntegrityError } from './errors';
import { isUuid } from '../uuid';

/**
 * The one ciphertext format of the application (docs/security/encryption.md): AES-256-GCM with a
 * self-describing header, so a reader knows which key opened a value and which version of it,
 * and a key can rotate without guessing.
 *
 *   byte 0       format (1)
 *   byte 1       key scope: 1 tenant key, 2 rider data key, 3 local master key
 *   bytes 2-17   key id: the facility (tenant, master) or rider (rider data key) the key belongs to
 *   bytes 18-21  key version, unsigned big-endian
 *   bytes 22-33  IV (96 bits, random per value)
 *   ...          ciphertext
 *   last 16      GCM tag
 *
 * The additional authenticated data is the header followed by a context string naming where the
 * value lives (table, column, row, tenant). A value moved anywhere else — another row, column,
 * rider or tenant — or a header edited to point at another key fails the tag check.
 */
export const KeyScope = { tenant: 1, rider: 2, master: 3 } as const;
export type KeyScope = (typeof KeyScope)[keyof typeof KeyScope];

export interface KeyRef {
  readonly scope: KeyScope;
  /** UUID of the facility or rider the key belongs to. */
  readonly keyId: string;
  readonly version: number;
}

const FORMAT = 1;
const HEADER_BYTES = 22;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const ENVELOPE_OVERHEAD = HEADER_BYTES + IV_BYTES + TAG_BYTES;
const SCOPES: readonly number[] = Object.values(KeyScope);

function uuidBytes(uuid: string): Buffer {
  if (!isUuid(uuid)) throw new TypeError('key id must be a UUID');
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The header a value sealed under `ref` carries. */
export function header(ref: KeyRef): Buffer {
  if (!SCOPES.includes(ref.scope)) throw new TypeError('unknown key scope');
  if (!Number.isInteger(ref.version) || ref.version < 1 || ref.version > 0xffff_ffff) throw new TypeError('key version out of range');
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.writeUInt8(FORMAT, 0);
  bytes.writeUInt8(ref.scope, 1);
  uuidBytes(ref.keyId).copy(bytes, 2);
  bytes.writeUInt32BE(ref.version, 18);
  return bytes;
}

function aad(headerBytes: Buffer, context: string): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + 1 + Buffer.byteLength(context, 'utf8'));
  headerBytes.copy(bytes, 0, 0, HEADER_BYTES);
  bytes[HEADER_BYTES] = 0;
  bytes.write(context, HEADER_BYTES + 1, 'utf8');
  return bytes;
}

/** Which key a sealed value names; throws IntegrityError for anything that is not this format. */
export function readKeyRef(sealed: Buffer): KeyRef {
  if (sealed.length < ENVELOPE_OVERHEAD || sealed.readUInt8(0) !== FORMAT) throw new IntegrityError('not a sealed value');
  const scope = sealed.readUInt8(1);
  if (!SCOPES.includes(scope)) throw new IntegrityError('unknown key scope');
  return { scope: scope as KeyScope, keyId: uuidText(sealed.subarray(2, 18)), version: sealed.readUInt32BE(18) };
}

export function seal(key: Buffer, ref: KeyRef, context: string, plaintext: Buffer): Buffer {
  const head = header(ref);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(head, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, iv, body, cipher.getAuthTag()]);
}

/**
 * Opens a value sealed under `key` for exactly this context; any mismatch is an IntegrityError.
 * With `expectedHeader` (see header()), the value must name exactly that key and version: one
 * comparison of bytes instead of reading the header apart, for readers opening many values.
 */
export function open(key: Buffer, sealed: Buffer, context: string, expectedHeader?: Buffer): Buffer {
  if (expectedHeader === undefined) readKeyRef(sealed);
  else if (sealed.length < ENVELOPE_OVERHEAD || sealed.compare(expectedHeader, 0, HEADER_BYTES, 0, HEADER_BYTES) !== 0) {
    throw new IntegrityError('value names another key');
  }
  const iv = sealed.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(sealed, context));
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(sealed.subarray(HEADER_BYTES + IV_BYTES, sealed.length - TAG_BYTES));
    // GCM is a stream mode: final() only checks the tag and adds no bytes.
    decipher.final();
    return plaintext;
  } catch {
    throw new IntegrityError('authentication failed');
  }
}
