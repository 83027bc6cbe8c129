import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/port';
import { logger } from '../log';
import { blindIndex, deriveIndexKey, normaliseEmail, normalisePhone } from './blind-index';
import { IntegrityError } from './errors';
import { header, KeyScope, open, readKeyRef, seal } from './envelope';
import { KeyCache } from './key-cache';
import { DATA_KEY_BYTES, type KeyProvider, PROVIDER_FACILITY_ID } from './key-provider';

/**
 * Field-level encryption of rider PII (docs/security/encryption.md). The key hierarchy:
 *
 *   application key (KMS; a dev-only master key locally)
 *     └─ tenant key, one per facility: 256 bits from GenerateDataKey with context { facility_id },
 *        stored wrapped in tenant_keys; decrypted copies cached for a bounded time
 *          ├─ rider data key, one per rider: 256 random bits wrapped by the tenant key
 *          │    (riders.data_key); destroying it erases every field sealed under it
 *          └─ blind-index keys (HKDF of the tenant key) for exact-match lookup by phone and email
 *
 * Every field is sealed with its rider's data key; the authenticated data names the table,
 * column, row and tenant, so ciphertext moved anywhere else does not open.
 */

export interface TenantKey {
  readonly facilityId: string;
  readonly version: number;
  readonly key: Buffer;
  readonly phoneIndexKey: Buffer;
  readonly emailIndexKey: Buffer;
}

export interface StoredTenantKey {
  readonly facilityId: string;
  readonly version: number;
  readonly wrapped: Buffer;
}

export interface RiderKey {
  readonly facilityId: string;
  readonly riderId: string;
  /** Version of the rider's data key (fields name it in their header). */
  readonly version: number;
  readonly key: Buffer;
  /**
   * The tenant key version that wraps it: the rider's blind indexes are computed under the same
   * version, so that a rotation which leaves no rider key under a version leaves no index under it.
   */
  readonly wrappedBy: number;
}

/** Why a protected value cannot be shown: its rider was erased, or it failed its integrity check. */
export type Unavailable = 'erased' | 'unreadable';

export type RiderKeyState = RiderKey | Unavailable;

export type OpenedField =
  | { readonly ok: true; readonly value: string | null }
  | { readonly ok: false; readonly reason: Unavailable };

/** Where a field lives: all of it is authenticated with the value. */
export interface FieldRef {
  readonly table: 'riders' | 'trip_requests' | 'trip_legs';
  /** The sealed column, e.g. `full_name_enc`. */
  readonly column: string;
  readonly rowId: string;
  readonly facilityId: string;
}

export interface PiiCryptoOptions {
  readonly provider: KeyProvider;
  /** How long a decrypted tenant or rider key stays in memory (default 5 minutes). */
  readonly cacheTtlMs?: number;
  /** Tenant keys held at most (default 500); rider keys 20 times as many. */
  readonly cacheMaxTenants?: number;
  readonly now?: () => number;
}

/** Rider data keys have one version so far; the header carries it so a rotation can add the next. */
const RIDER_KEY_VERSION = 1;
const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_MAX_TENANTS = 500;
const INTAKE_PROVIDER_SECRET_ID = 'provider:intake';

const riderKeyContext = (facilityId: string, riderId: string) => `rider-key|${facilityId}|${riderId}`;
// A list page opens dozens of fields under one rider key: its header is built once.
const riderKeyHeaders = new WeakMap<RiderKey, Buffer>();
function riderKeyHeader(key: RiderKey): Buffer {
  let bytes = riderKeyHeaders.get(key);
  if (!bytes) {
    bytes = header({ scope: KeyScope.rider, keyId: key.riderId, version: key.version });
    riderKeyHeaders.set(key, bytes);
  }
  return bytes;
}

const fieldContext = (ref: FieldRef) => `field|${ref.table}|${ref.column}|${ref.rowId}|${ref.facilityId}`;

function tenantKeyFrom(facilityId: string, version: number, key: Buffer): TenantKey {
  return {
    facilityId,
    version,
    key,
    phoneIndexKey: deriveIndexKey(key, 'phone', facilityId),
    emailIndexKey: deriveIndexKey(key, 'email', facilityId),
  };
}

export class PiiCrypto {
  readonly provider: KeyProvider;
  private readonly tenantKeys: KeyCache<TenantKey>;
  private readonly riderKeys: KeyCache<RiderKey>;
  private readonly providerKeys: KeyCache<Buffer>;
  /**
   * Keys generated inside a transaction that has not committed yet, per transaction: they must
   * not reach the shared cache, or a rollback would leave this process holding a key the
   * database never kept.
   */
  private readonly uncommitted = new WeakMap<Queryable, Map<string, TenantKey | Buffer>>();

  constructor(options: PiiCryptoOptions) {
    this.provider = options.provider;
    const ttlMs = options.cacheTtlMs ?? DEFAULT_TTL_MS;
    const maxEntries = options.cacheMaxTenants ?? DEFAULT_MAX_TENANTS;
    const now = options.now;
    this.tenantKeys = new KeyCache({ ttlMs, maxEntries, now });
    this.riderKeys = new KeyCache({ ttlMs, maxEntries: maxEntries * 20, now });
    this.providerKeys = new KeyCache({ ttlMs, maxEntries: 4, now });
  }

  // ---- tenant keys ----------------------------------------------------------------------------

  /**
   * The tenant's current key, read from tenant_keys (the caller's role and RLS decide whether it
   * may), generated and stored on first use when `create` is set. Which version is current is
   * asked of the database every time (one indexed row), never cached: a process that went on
   * wrapping under a version it remembered would keep a rotation from retiring it
   * (docs/security/key-rotation.md). The keys themselves are cached per version.
   */
  async currentTenantKey(tx: Queryable, facilityId: string, options: { create: boolean }): Promise<TenantKey | undefined> {
    const pending = this.pendingFor(tx).get(`${facilityId}:current`);
    if (pending) return pending as TenantKey;

    const current = await this.selectTenantKey(tx, facilityId);
    if (current) return this.openStoredTenantKey(current);
    if (!options.create) return undefined;

    const generated = await this.provider.generateDataKey(facilityId);
    const inserted = await tx.query(
      `INSERT INTO tenant_keys (facility_id, version, wrapped_key, key_provider, master_key_id)
       VALUES ($1, 1, $2, $3, $4) ON CONFLICT (facility_id, version) DO NOTHING`,
      [facilityId, generated.wrapped, this.provider.name, generated.masterKeyId],
    );
    if (inserted.rowCount === 1) {
      const key = tenantKeyFrom(facilityId, 1, generated.plaintext);
      this.pendingFor(tx).set(`${facilityId}:current`, key);
      this.pendingFor(tx).set(`${facilityId}:1`, key);
      return key;
    }
    // Another transaction stored the tenant's first key meanwhile (and committed: the insert waited for it).
    const winner = await this.selectTenantKey(tx, facilityId);
    if (!winner) throw new IntegrityError('tenant key vanished');
    return this.openStoredTenantKey(winner);
  }

  /**
   * Every version of the tenant's key that may still have blind indexes under it: the current one
   * and, while a rotation is under way, the one it replaces. A lookup computes its index under
   * each (docs/security/key-rotation.md). Empty when the tenant has no key yet.
   */
  async liveTenantKeys(tx: Queryable, facilityId: string): Promise<TenantKey[]> {
    const { rows } = await tx.query<{ version: number; wrapped_key: Buffer }>(
      `SELECT version, wrapped_key FROM tenant_keys
        WHERE facility_id = $1::uuid AND retired_at IS NULL AND wrapped_key IS NOT NULL ORDER BY version DESC`,
      [facilityId],
    );
    return Promise.all(rows.map((row) => this.openStoredTenantKey({ facilityId, version: row.version, wrapped: row.wrapped_key })));
  }

  /**
   * One version of a tenant's key, e.g. the one a rider key names in its header. Looked up by that
   * version, so a process whose cache holds only an older version still opens a re-wrapped key.
   */
  async tenantKeyVersion(tx: Queryable, facilityId: string, version: number): Promise<TenantKey> {
    const pending = this.pendingFor(tx).get(`${facilityId}:${version}`);
    if (pending) return pending as TenantKey;
    const cached = this.tenantKeys.get(`${facilityId}:${version}`);
    if (cached) return cached;
    const stored = await this.selectTenantKey(tx, facilityId, version);
    if (!stored) throw new IntegrityError('the tenant key this value names does not exist');
    return this.openStoredTenantKey(stored);
  }

  /** Opens a stored tenant key through the key service, at most once per tenant and version per TTL. */
  openStoredTenantKey(stored: StoredTenantKey): Promise<TenantKey> {
    return this.tenantKeys.getOrLoad(`${stored.facilityId}:${stored.version}`, async () =>
      tenantKeyFrom(stored.facilityId, stored.version, await this.provider.decryptDataKey(stored.facilityId, stored.wrapped)));
  }

  /**
   * A brand-new tenant key: version 1 for a tenant the caller is about to create (the intake), or
   * the next version of a rotation. Never cached: the caller stores it first.
   */
  async generateTenantKey(facilityId: string, version = 1): Promise<{ key: TenantKey; wrapped: Buffer; masterKeyId: string }> {
    const generated = await this.provider.generateDataKey(facilityId);
    return { key: tenantKeyFrom(facilityId, version, generated.plaintext), wrapped: generated.wrapped, masterKeyId: generated.masterKeyId };
  }

  // ---- rider keys -----------------------------------------------------------------------------

  newRiderKey(tenantKey: TenantKey, riderId: string): { key: RiderKey; wrapped: Buffer } {
    return this.wrapRiderKey(tenantKey, riderId, randomBytes(DATA_KEY_BYTES));
  }

  /**
   * The same rider key wrapped under another version of its tenant's key (rotation). The rider
   * key itself does not change, so every field sealed under it opens as before. Throws
   * IntegrityError when `wrapped` is not this rider's key under `from`.
   */
  rewrapRiderKey(from: TenantKey, to: TenantKey, riderId: string, wrapped: Buffer): { key: RiderKey; wrapped: Buffer } {
    if (from.facilityId !== to.facilityId) throw new Error('a rider key stays in its tenant');
    return this.wrapRiderKey(to, riderId, this.unwrapRiderKey(from, riderId, wrapped).key);
  }

  private wrapRiderKey(tenantKey: TenantKey, riderId: string, key: Buffer): { key: RiderKey; wrapped: Buffer } {
    const wrapped = seal(
      tenantKey.key,
      { scope: KeyScope.tenant, keyId: tenantKey.facilityId, version: tenantKey.version },
      riderKeyContext(tenantKey.facilityId, riderId),
      key,
    );
    return { key: { facilityId: tenantKey.facilityId, riderId, version: RIDER_KEY_VERSION, key, wrappedBy: tenantKey.version }, wrapped };
  }

  /**
   * The rider's data key from its wrapped form (riders.data_key). NULL means the rider was erased;
   * a wrapped key that is not this rider's (copied from another rider or tenant, or edited) is
   * "unreadable" and logged. Only an unavailable key service throws.
   */
  async openRiderKey(tx: Queryable, facilityId: string, riderId: string, wrapped: Buffer | null): Promise<RiderKeyState> {
    if (wrapped === null) return 'erased';
    const cacheId = `${facilityId}:${riderId}:${wrapped.toString('base64')}`;
    const cached = this.riderKeys.get(cacheId);
    if (cached) return cached;
    try {
      const ref = readKeyRef(wrapped);
      if (ref.scope !== KeyScope.tenant || ref.keyId !== facilityId) throw new IntegrityError('rider key names another tenant');
      const tenantKey = await this.tenantKeyVersion(tx, facilityId, ref.version);
      const key = this.unwrapRiderKey(tenantKey, riderId, wrapped);
      this.riderKeys.set(cacheId, key);
      return key;
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      logger.error('rider data key failed its integrity check', { facilityId, riderId });
      return 'unreadable';
    }
  }

  /**
   * The rider keys a set of rows needs, in their order: `riderOf` names a row's rider and wrapped
   * key, or undefined when the row needs none (which then gets undefined). A rider met twice is
   * looked up once; with `known` (one rider's rows, key already open) nothing is looked up.
   */
  async openRiderKeysFor<Row>(
    tx: Queryable,
    rows: readonly Row[],
    riderOf: (row: Row) => { facilityId: string; riderId: string; wrapped: Buffer | null } | undefined,
    known?: RiderKeyState,
  ): Promise<(RiderKeyState | undefined)[]> {
    const opened = new Map<string, { wrapped: Buffer | null; key: RiderKeyState }>();
    const keys: (RiderKeyState | undefined)[] = [];
    for (const row of rows) {
      const rider = riderOf(row);
      if (rider === undefined || known !== undefined) {
        keys.push(rider && known);
        continue;
      }
      const id = `${rider.facilityId}:${rider.riderId}`;
      const seen = opened.get(id);
      if (seen && (seen.wrapped === rider.wrapped || (seen.wrapped && rider.wrapped && seen.wrapped.equals(rider.wrapped)))) {
        keys.push(seen.key);
        continue;
      }
      const key = await this.openRiderKey(tx, rider.facilityId, rider.riderId, rider.wrapped);
      opened.set(id, { wrapped: rider.wrapped, key });
      keys.push(key);
    }
    return keys;
  }

  /** Same as openRiderKey with the tenant key already in hand (the intake). */
  openRiderKeyWith(tenantKey: TenantKey, riderId: string, wrapped: Buffer): RiderKeyState {
    try {
      return this.unwrapRiderKey(tenantKey, riderId, wrapped);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      logger.error('rider data key failed its integrity check', { facilityId: tenantKey.facilityId, riderId });
      return 'unreadable';
    }
  }

  private unwrapRiderKey(tenantKey: TenantKey, riderId: string, wrapped: Buffer): RiderKey {
    const ref = readKeyRef(wrapped);
    if (ref.scope !== KeyScope.tenant || ref.keyId !== tenantKey.facilityId || ref.version !== tenantKey.version) {
      throw new IntegrityError('rider key names another tenant key');
    }
    const key = open(tenantKey.key, wrapped, riderKeyContext(tenantKey.facilityId, riderId));
    return { facilityId: tenantKey.facilityId, riderId, version: RIDER_KEY_VERSION, key, wrappedBy: tenantKey.version };
  }

  // ---- fields ---------------------------------------------------------------------------------

  sealField(riderKey: RiderKey, ref: FieldRef, value: string | null): Buffer | null {
    if (value === null) return null;
    if (ref.facilityId !== riderKey.facilityId) throw new Error('a field is sealed with a key of its own tenant');
    return seal(riderKey.key, { scope: KeyScope.rider, keyId: riderKey.riderId, version: riderKey.version }, fieldContext(ref),
      Buffer.from(value, 'utf8'));
  }

  /** The plaintext of one field, or why it cannot be shown; a failed integrity check is logged (ids only). */
  openField(state: RiderKeyState, ref: FieldRef, sealed: Buffer | null): OpenedField {
    if (sealed === null) return { ok: true, value: null };
    if (typeof state === 'string') return { ok: false, reason: state };
    try {
      return { ok: true, value: open(state.key, sealed, fieldContext(ref), riderKeyHeader(state)).toString('utf8') };
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      logger.error('protected field failed its integrity check', {
        table: ref.table, column: ref.column, rowId: ref.rowId, facilityId: ref.facilityId,
      });
      return { ok: false, reason: 'unreadable' };
    }
  }

  /** Seals any JSON value (a stored idempotent answer) under a rider key, bound to `context`. */
  sealJson(riderKey: RiderKey, context: string, value: unknown): string {
    return seal(riderKey.key, { scope: KeyScope.rider, keyId: riderKey.riderId, version: riderKey.version }, `json|${context}`,
      Buffer.from(JSON.stringify(value), 'utf8')).toString('base64');
  }

  openJson(state: RiderKeyState, context: string, sealed: string): { ok: true; value: unknown } | { ok: false; reason: Unavailable } {
    if (typeof state === 'string') return { ok: false, reason: state };
    try {
      return { ok: true, value: JSON.parse(open(state.key, Buffer.from(sealed, 'base64'), `json|${context}`).toString('utf8')) };
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      logger.error('sealed answer failed its integrity check', { facilityId: state.facilityId, riderId: state.riderId });
      return { ok: false, reason: 'unreadable' };
    }
  }

  // ---- blind indexes --------------------------------------------------------------------------

  phoneIndex(tenantKey: TenantKey, phone: string): Buffer {
    return blindIndex(tenantKey.phoneIndexKey, normalisePhone(phone));
  }

  emailIndex(tenantKey: TenantKey, email: string): Buffer {
    return blindIndex(tenantKey.emailIndexKey, normaliseEmail(email));
  }

  /**
   * The intake's index of a phone number: the one lookup that crosses tenants (private-pay
   * riders, each in an individual tenant), so its key is provider-level: issued by the key
   * service under the nil facility id, stored wrapped in provider_keys and reached only through
   * the `intake_index_key` function (schema/0011). Kept for a Dispatcher's duplicate search and as
   * the destination of the intake's per-phone receipt limit (schema/0019).
   */
  async intakePhoneIndex(tx: Queryable, phone: string): Promise<Buffer> {
    return blindIndex(await this.providerKey(tx, 'intake-phone'), normalisePhone(phone));
  }

  /** The provider-level index of an email address: the destination of the per-address receipt limit. */
  async intakeEmailIndex(tx: Queryable, email: string): Promise<Buffer> {
    return blindIndex(await this.providerKey(tx, 'intake-email'), normaliseEmail(email));
  }

  /**
   * The HMAC key that signs and verifies the intake's proof-of-work challenges (schema/0019),
   * derived by HKDF with its own label from the same provider-level key as the phone index. Why not
   * an environment variable or a constant: a constant is public in the code; an environment
   * variable is plaintext in the function's configuration (AppFunction refuses names that look like
   * secrets); this key is generated by the key service, stored only wrapped, opened only by a role
   * allowed to use the `pii` key, shared by every intake container without a deployment step, and
   * separate from the phone index key by its label (one cannot be computed from the other).
   */
  async intakeChallengeKey(tx: Queryable): Promise<string> {
    return (await this.providerKey(tx, 'intake-challenge')).toString('hex');
  }

  private async providerKey(tx: Queryable, purpose: 'intake-phone' | 'intake-email' | 'intake-challenge'): Promise<Buffer> {
    return deriveIndexKey(await this.intakeProviderSecret(tx), purpose, PROVIDER_FACILITY_ID);
  }

  /** The provider-level secret every intake key is derived from; opened through the key service once per TTL. */
  private async intakeProviderSecret(tx: Queryable): Promise<Buffer> {
    const pending = this.pendingFor(tx).get(INTAKE_PROVIDER_SECRET_ID);
    if (pending) return pending as Buffer;
    const cached = this.providerKeys.get(INTAKE_PROVIDER_SECRET_ID);
    if (cached) return cached;
    const stored = await this.callIntakeIndexKey(tx, null, null);
    if (stored) return this.openIntakeProviderSecret(stored);
    const generated = await this.provider.generateDataKey(PROVIDER_FACILITY_ID);
    const kept = await this.callIntakeIndexKey(tx, generated.wrapped, generated.masterKeyId);
    if (kept?.equals(generated.wrapped)) {
      this.pendingFor(tx).set(INTAKE_PROVIDER_SECRET_ID, generated.plaintext);
      return generated.plaintext;
    }
    if (!kept) throw new IntegrityError('intake index key was not kept');
    return this.openIntakeProviderSecret(kept);
  }

  private openIntakeProviderSecret(wrapped: Buffer): Promise<Buffer> {
    return this.providerKeys.getOrLoad(INTAKE_PROVIDER_SECRET_ID, () => this.provider.decryptDataKey(PROVIDER_FACILITY_ID, wrapped));
  }

  private async callIntakeIndexKey(tx: Queryable, wrapped: Buffer | null, masterKeyId: string | null): Promise<Buffer | null> {
    const { rows } = await tx.query<{ wrapped: Buffer | null }>('SELECT intake_index_key($1::bytea, $2, $3) AS wrapped',
      [wrapped, wrapped ? this.provider.name : null, masterKeyId]);
    return rows[0]?.wrapped ?? null;
  }

  // ---- storage --------------------------------------------------------------------------------

  private pendingFor(tx: Queryable): Map<string, TenantKey | Buffer> {
    let pending = this.uncommitted.get(tx);
    if (!pending) {
      pending = new Map();
      this.uncommitted.set(tx, pending);
    }
    return pending;
  }

  private async selectTenantKey(tx: Queryable, facilityId: string, version?: number): Promise<StoredTenantKey | undefined> {
    // A retired version still opens (a reader may hold a rider key it read just before the re-wrap)
    // until its material is destroyed; the newest version is never retired.
    const { rows } = await tx.query<{ version: number; wrapped_key: Buffer }>(
      version === undefined
        ? 'SELECT version, wrapped_key FROM tenant_keys WHERE facility_id = $1::uuid ORDER BY version DESC LIMIT 1'
        : 'SELECT version, wrapped_key FROM tenant_keys WHERE facility_id = $1::uuid AND version = $2 AND wrapped_key IS NOT NULL',
      version === undefined ? [facilityId] : [facilityId, version],
    );
    const row = rows[0];
    return row ? { facilityId, version: row.version, wrapped: row.wrapped_key } : undefined;
  }
}
