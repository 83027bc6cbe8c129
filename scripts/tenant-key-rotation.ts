import { readKeyRef } from '../lambdas/shared/crypto/envelope';
import { IntegrityError } from '../lambdas/shared/crypto/errors';
import type { PiiCrypto, TenantKey } from '../lambdas/shared/crypto/pii';
import type { Database, Queryable } from '../lambdas/shared/db/port';

/**
 * Tenant-key rotation (docs/security/key-rotation.md): for each tenant, a new key version; every
 * live rider's data key re-wrapped under it with the rider's blind indexes recomputed, in batches;
 * the old version retired once no rider key names it; its wrapped material destroyed once
 * `graceMs` has passed since. Every step is a transaction as nemt_key_rotator (schema/0020) with
 * the tenant's id as its context, recorded on the tenant's audit chain.
 *
 * The progress is the data itself, so a run resumes wherever the last one stopped: a tenant with
 * a version older than its newest that is not retired is mid-rotation (and gets no third
 * version); riders already under the newest version are not selected again; a retired version
 * whose material is still there is destroyed. A run only starts rotations of tenants whose newest
 * version was created before `olderThan`, so rerunning with the same cutoff does nothing more.
 *
 * Waits, both `graceMs` long and both once per run (not per tenant):
 *   - between creating new versions and re-wrapping under them: a lookup reads the tenant's live
 *     versions, then searches; one that read them before the new version existed must finish
 *     before any rider is re-indexed under it, or it would miss that rider;
 *   - between retiring a version and destroying its material: a reader that fetched a rider's key
 *     just before its re-wrap may still ask for the old version to open it.
 */
export interface RotationOptions {
  readonly db: Database;
  readonly pii: PiiCrypto;
  /** Tenants whose newest key version was created before this get a new version. */
  readonly olderThan: Date;
  /** Riders re-wrapped per transaction. */
  readonly batchSize?: number;
  /** How long transactions that read the old key state may still be running (default 60 s). */
  readonly graceMs?: number;
  /** The request id every audit event of the run carries (`app.request_id`). */
  readonly requestId: string;
  /** Called after each committed batch; a throw stops the run there (tests inject a crash). */
  readonly afterBatch?: (progress: { facilityId: string; riders: number; toVersion: number }) => void | Promise<void>;
  readonly log?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface TenantRotation {
  readonly facilityId: string;
  /** `no-key`: no rider was ever registered; `current`: nothing was due; `rotated`: done now; `incomplete`: see `unreadable`. */
  outcome: 'no-key' | 'current' | 'rotated' | 'incomplete';
  toVersion?: number;
  started: boolean;
  rewrapped: number;
  retired: number[];
  destroyed: number[];
  /** Riders whose stored key or indexed field failed its integrity check: they keep the old version, which stays. */
  unreadable: string[];
}

export const DEFAULT_BATCH_SIZE = 200;
export const DEFAULT_GRACE_MS = 60_000;
/** Passes over a tenant's riders before giving up on retiring: only writers still in flight add riders under an old version. */
const MAX_PASSES = 5;

interface KeyVersionState {
  version: number;
  retired: boolean;
  kept: boolean;
  /** Created before the run's cutoff (`olderThan`), by the database's clock. */
  due: boolean;
  /** Whole seconds since the version was created, by the database's clock. */
  age_s: number;
  retired_age_s: number | null;
}

interface RiderToRewrap {
  id: string;
  data_key: Buffer;
  phone_enc: Buffer | null;
  email_enc: Buffer | null;
  cursor_at: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One transaction as the rotator role, scoped to one tenant (or to none, to list tenants). */
export function asRotator<T>(db: Database, facilityId: string | null, requestId: string, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL ROLE nemt_key_rotator');
    return work(tx);
  }, { settings: { 'app.role': 'System', 'app.sub': '', 'app.facility_id': facilityId ?? '', 'app.contact_id': '', 'app.request_id': requestId } });
}

/** Every tenant id, in pages (ids only: the rotator reads nothing else of a facility). */
export async function listTenants(db: Database, requestId: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const after = ids.at(-1) ?? '00000000-0000-0000-0000-000000000000';
    const { rows } = await asRotator(db, null, requestId, (tx) =>
      tx.query<{ id: string }>('SELECT id FROM facilities WHERE id > $1::uuid ORDER BY id LIMIT 1000', [after]));
    ids.push(...rows.map((row) => row.id));
    if (rows.length < 1000) return ids;
  }
}

async function recordKeyEvent(tx: Queryable, facilityId: string, action: string, details: Record<string, number | string>): Promise<void> {
  // Ids and counts only, like every audit detail.
  await tx.query(
    `INSERT INTO audit_events (facility_id, actor_role, entity_type, entity_id, action, details)
     VALUES ($1::uuid, 'System', 'tenant_key', $2::uuid, $3, $4::jsonb)`,
    [facilityId, facilityId, action, JSON.stringify(details)],
  );
}

async function keyVersions(tx: Queryable, facilityId: string, olderThan: Date): Promise<KeyVersionState[]> {
  const { rows } = await tx.query<KeyVersionState>(
    `SELECT version, retired_at IS NOT NULL AS retired, wrapped_key IS NOT NULL AS kept, created_at < $2::timestamptz AS due,
            LEAST(floor(extract(epoch FROM now() - created_at)), 2000000000)::int4 AS age_s,
            LEAST(floor(extract(epoch FROM now() - retired_at)), 2000000000)::int4 AS retired_age_s
       FROM tenant_keys WHERE facility_id = $1::uuid ORDER BY version`,
    [facilityId, olderThan],
  );
  return rows;
}

const versionBytes = (version: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(version);
  return bytes;
};

export class TenantKeyRotation {
  private readonly batchSize: number;
  private readonly graceMs: number;
  private readonly log: (line: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RotationOptions) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.log = options.log ?? (() => undefined);
    this.sleep = options.sleep ?? defaultSleep;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 5000) throw new RangeError('batch size 1 to 5000');
  }

  /** Rotates (or finishes rotating) each tenant's key; see the module comment for the phases. */
  async run(facilityIds: readonly string[]): Promise<TenantRotation[]> {
    const results = new Map<string, TenantRotation>();
    let newestStartAgeS = Number.POSITIVE_INFINITY;
    for (const facilityId of facilityIds) {
      const { result, targetAgeS } = await this.start(facilityId);
      results.set(facilityId, result);
      if (targetAgeS !== undefined) newestStartAgeS = Math.min(newestStartAgeS, targetAgeS);
    }
    await this.waitForGrace(newestStartAgeS, 'lookups that began before the new versions existed');

    let newestRetirementAgeS = Number.POSITIVE_INFINITY;
    for (const result of results.values()) {
      if (result.toVersion === undefined) continue;
      await this.rewrapAndRetire(result);
    }
    for (const result of results.values()) {
      for (const state of await this.versions(result.facilityId)) {
        if (state.retired && state.kept) newestRetirementAgeS = Math.min(newestRetirementAgeS, state.retired_age_s ?? 0);
      }
    }
    await this.waitForGrace(newestRetirementAgeS, 'readers that fetched a rider key before its re-wrap');

    for (const result of results.values()) {
      if (result.outcome === 'no-key') continue;
      await this.destroyRetired(result);
      if (result.outcome !== 'incomplete' && (result.started || result.rewrapped > 0 || result.retired.length > 0
        || result.destroyed.length > 0)) result.outcome = 'rotated';
    }
    return [...results.values()];
  }

  private versions(facilityId: string): Promise<KeyVersionState[]> {
    return asRotator(this.options.db, facilityId, this.options.requestId, (tx) => keyVersions(tx, facilityId, this.options.olderThan));
  }

  private async waitForGrace(youngestAgeS: number, why: string): Promise<void> {
    if (!Number.isFinite(youngestAgeS)) return;
    const remaining = this.graceMs - youngestAgeS * 1000;
    if (remaining <= 0) return;
    this.log(`waiting ${Math.ceil(remaining / 1000)} s for ${why} to finish`);
    await this.sleep(remaining);
  }

  /** Adds the next version unless the tenant is mid-rotation or its newest version is recent enough. */
  private async start(facilityId: string): Promise<{ result: TenantRotation; targetAgeS?: number }> {
    const result: TenantRotation = { facilityId, outcome: 'current', started: false, rewrapped: 0, retired: [], destroyed: [], unreadable: [] };
    const versions = await this.versions(facilityId);
    const newest = versions.at(-1);
    if (!newest) {
      result.outcome = 'no-key';
      return { result };
    }
    // Mid-rotation: an older version still wraps riders, or its material is still to be destroyed.
    const unfinished = versions.filter((state) => state.version < newest.version && state.kept);
    if (unfinished.length > 0) {
      result.toVersion = newest.version;
      this.log(`${facilityId}: resuming the rotation to version ${newest.version}`);
      return { result, targetAgeS: newest.age_s };
    }
    if (!newest.due) return { result };

    const toVersion = newest.version + 1;
    const generated = await this.options.pii.generateTenantKey(facilityId, toVersion);
    const stored = await asRotator(this.options.db, facilityId, this.options.requestId, async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO tenant_keys (facility_id, version, wrapped_key, key_provider, master_key_id)
         VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (facility_id, version) DO NOTHING`,
        [facilityId, toVersion, generated.wrapped, this.options.pii.provider.name, generated.masterKeyId],
      );
      if (inserted.rowCount === 1) {
        await recordKeyEvent(tx, facilityId, 'tenant_key.rotation_started', { fromVersion: newest.version, toVersion });
      }
      return inserted.rowCount === 1;
    });
    // Another run added this version meanwhile: this one helps it finish.
    result.started = stored;
    result.toVersion = toVersion;
    this.log(`${facilityId}: ${stored ? 'created' : 'found'} key version ${toVersion}`);
    return { result, targetAgeS: 0 };
  }

  private async rewrapAndRetire(result: TenantRotation): Promise<void> {
    const { facilityId } = result;
    const toVersion = result.toVersion as number;
    for (let pass = 1; pass <= MAX_PASSES; pass += 1) {
      const unreadable = new Set<string>();
      let cursor: { at: string; id: string } | undefined;
      for (;;) {
        const batch = await this.rewrapBatch(facilityId, toVersion, cursor, unreadable);
        result.rewrapped += batch.rewrapped;
        if (batch.rewrapped > 0) {
          await this.options.afterBatch?.({ facilityId, riders: batch.rewrapped, toVersion });
          this.log(`${facilityId}: ${result.rewrapped} rider keys re-wrapped under version ${toVersion}`);
        }
        if (!batch.next) break;
        cursor = batch.next;
      }
      result.unreadable = [...unreadable];
      if (await this.retireReplaced(result, unreadable.size)) return;
      if (unreadable.size > 0) {
        result.outcome = 'incomplete';
        return;
      }
    }
    result.outcome = 'incomplete';
  }

  /**
   * One batch: the next riders (newest first, after `cursor`) whose key another version wraps,
   * locked, re-wrapped and re-indexed, with one audit event. Riders whose key or indexed fields do
   * not open are left as they are and named (ids only).
   */
  private rewrapBatch(facilityId: string, toVersion: number, cursor: { at: string; id: string } | undefined, unreadable: Set<string>):
    Promise<{ rewrapped: number; next?: { at: string; id: string } }> {
    const { pii } = this.options;
    return asRotator(this.options.db, facilityId, this.options.requestId, async (tx) => {
      const params: (string | number | Buffer)[] = [facilityId, versionBytes(toVersion), this.batchSize];
      const after = cursor ? `AND (created_at, id) < ($4::timestamptz, $5::uuid)` : '';
      if (cursor) params.push(cursor.at, cursor.id);
      const { rows } = await tx.query<RiderToRewrap>(
        `SELECT id, data_key, phone_enc, email_enc, created_at::text AS cursor_at FROM riders
          WHERE facility_id = $1::uuid AND data_key IS NOT NULL AND substring(data_key FROM 19 FOR 4) <> $2 ${after}
          ORDER BY created_at DESC, id DESC LIMIT $3 FOR UPDATE`,
        params,
      );
      const target = await pii.tenantKeyVersion(tx, facilityId, toVersion);
      let rewrapped = 0;
      for (const row of rows) {
        const columns = await this.rewrapped(tx, facilityId, row, target);
        if (!columns) {
          unreadable.add(row.id);
          continue;
        }
        const updated = await tx.query(
          `UPDATE riders SET data_key = $3, phone_index = $4, email_index = $5
            WHERE facility_id = $1::uuid AND id = $2::uuid AND data_key = $6`,
          [facilityId, row.id, columns.dataKey, columns.phoneIndex, columns.emailIndex, row.data_key],
        );
        rewrapped += updated.rowCount;
      }
      if (rewrapped > 0) await recordKeyEvent(tx, facilityId, 'tenant_key.riders_rewrapped', { toVersion, riders: rewrapped });
      const last = rows.at(-1);
      return { rewrapped, ...(rows.length === this.batchSize && last ? { next: { at: last.cursor_at, id: last.id } } : {}) };
    });
  }

  /** The rider's key under `target` and its indexes recomputed under it, or undefined when something does not open. */
  private async rewrapped(tx: Queryable, facilityId: string, row: RiderToRewrap, target: TenantKey):
    Promise<{ dataKey: Buffer; phoneIndex: Buffer | null; emailIndex: Buffer | null } | undefined> {
    const { pii } = this.options;
    try {
      const ref = readKeyRef(row.data_key);
      const from = await pii.tenantKeyVersion(tx, facilityId, ref.version);
      const { key, wrapped } = pii.rewrapRiderKey(from, target, row.id, row.data_key);
      const field = (column: 'phone_enc' | 'email_enc') => {
        const opened = pii.openField(key, { table: 'riders', column, rowId: row.id, facilityId }, row[column]);
        if (!opened.ok) throw new IntegrityError(`${column} does not open`);
        return opened.value;
      };
      const phone = field('phone_enc');
      const email = field('email_enc');
      return {
        dataKey: wrapped,
        phoneIndex: phone === null ? null : pii.phoneIndex(target, phone),
        emailIndex: email === null ? null : pii.emailIndex(target, email),
      };
    } catch (error) {
      if (error instanceof IntegrityError) return undefined;
      throw error;
    }
  }

  /**
   * Retires every replaced version no rider key names any more. The exclusive per-tenant lock waits
   * for every transaction still storing a rider key (schema/0020 takes it shared), so a rider
   * written under the old version by one of them is counted; once retired, the version can wrap
   * nothing. True when nothing older than the target is left unretired.
   */
  private async retireReplaced(result: TenantRotation, unreadable: number): Promise<boolean> {
    const { facilityId } = result;
    const toVersion = result.toVersion as number;
    return asRotator(this.options.db, facilityId, this.options.requestId, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('tenant-key:' || $1::text, 0))`, [facilityId]);
      const { rows } = await tx.query<{ version: number; riders: number }>(
        `SELECT k.version, (SELECT count(*)::int4 FROM riders r WHERE r.facility_id = k.facility_id AND r.data_key IS NOT NULL
                              AND substring(r.data_key FROM 19 FOR 4) = int4send(k.version)) AS riders
           FROM tenant_keys k WHERE k.facility_id = $1::uuid AND k.version < $2 AND k.retired_at IS NULL ORDER BY k.version`,
        [facilityId, toVersion],
      );
      let left = 0;
      for (const { version, riders } of rows) {
        if (riders > 0) {
          left += 1;
          if (unreadable === 0) this.log(`${facilityId}: ${riders} rider keys still under version ${version} (written meanwhile); another pass`);
          continue;
        }
        await tx.query('UPDATE tenant_keys SET retired_at = now() WHERE facility_id = $1::uuid AND version = $2', [facilityId, version]);
        await recordKeyEvent(tx, facilityId, 'tenant_key.retired', { version, replacedBy: toVersion });
        result.retired.push(version);
        this.log(`${facilityId}: retired key version ${version}`);
      }
      return left === 0;
    });
  }

  /** Destroys the wrapped material of every retired version retired at least `graceMs` ago. */
  private async destroyRetired(result: TenantRotation): Promise<void> {
    const { facilityId } = result;
    const graceS = Math.ceil(this.graceMs / 1000);
    await asRotator(this.options.db, facilityId, this.options.requestId, async (tx) => {
      const { rows } = await tx.query<{ version: number }>(
        `UPDATE tenant_keys SET wrapped_key = NULL
          WHERE facility_id = $1::uuid AND retired_at IS NOT NULL AND wrapped_key IS NOT NULL
            AND retired_at <= now() - make_interval(secs => $2)
          RETURNING version`,
        [facilityId, graceS],
      );
      for (const { version } of rows.sort((a, b) => a.version - b.version)) {
        await recordKeyEvent(tx, facilityId, 'tenant_key.destroyed', { version });
        result.destroyed.push(version);
        this.log(`${facilityId}: destroyed the wrapped material of key version ${version}`);
      }
    });
  }
}
