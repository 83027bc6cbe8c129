import { randomUUID } from 'node:crypto';
import type { PiiCrypto, RiderKey, RiderKeyState, TenantKey, Unavailable } from '../../shared/crypto/pii';
import type { Queryable } from '../../shared/db/port';
import type { Actor } from '../../shared/tenancy/actor';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, scopeToActor, selectOne } from '../handlers/support';

import type { Mobility } from '../../shared/domain/vehicles';

export type { Mobility };
export type NotifyChannel = 'sms' | 'email' | 'none';

/** A rider as stored: PII sealed under the rider's data key (schema/0010), never plaintext. */
export interface RiderRow {
  id: string;
  facility_id: string;
  data_key: Buffer | null;
  full_name_enc: Buffer | null;
  phone_enc: Buffer | null;
  email_enc: Buffer | null;
  date_of_birth_enc: Buffer | null;
  home_address_enc: Buffer | null;
  care_notes_enc: Buffer | null;
  mobility: Mobility;
  notify_channel: NotifyChannel;
  notify_consent: boolean;
  sms_opted_out: boolean;
  merged_into_rider_id: string | null;
  erased_at: string | null;
  created_at: string;
  version: number;
  cursor_at: string;
}

export const RIDER_COLUMNS = `id, facility_id, data_key, full_name_enc, phone_enc, email_enc, date_of_birth_enc, home_address_enc,
  care_notes_enc, mobility, notify_channel, notify_consent, sms_opted_out, merged_into_rider_id, erased_at, created_at, version,
  created_at::text AS cursor_at`;

/** The sealed fields, API name → column (the only source of their column names in SQL). */
export const RIDER_PII_COLUMNS = {
  fullName: 'full_name_enc',
  phone: 'phone_enc',
  email: 'email_enc',
  dateOfBirth: 'date_of_birth_enc',
  homeAddress: 'home_address_enc',
  careNotes: 'care_notes_enc',
} as const satisfies Record<string, keyof RiderRow>;
export type RiderPiiField = keyof typeof RIDER_PII_COLUMNS;
export const RIDER_PII_FIELDS = Object.keys(RIDER_PII_COLUMNS) as RiderPiiField[];

/** The plain fields a client may write. */
export const RIDER_PLAIN_COLUMNS = {
  mobility: 'mobility',
  notifyChannel: 'notify_channel',
  notifyConsent: 'notify_consent',
} as const satisfies Record<string, keyof RiderRow>;
export type RiderPlainField = keyof typeof RIDER_PLAIN_COLUMNS;

export type RiderPii = { [F in RiderPiiField]: string | null };
export type RiderField = RiderPiiField | RiderPlainField;
export type RiderValues = Partial<RiderPii> & {
  mobility?: Mobility;
  notifyChannel?: NotifyChannel;
  notifyConsent?: boolean;
};

/** A rider with its PII opened: each field is its value, or null with the reason in `unavailable`. */
export interface RiderView extends RiderRow {
  pii: RiderPii;
  unavailable: Partial<Record<RiderPiiField, Unavailable>>;
}

export function toRider(rider: RiderView) {
  return {
    id: rider.id,
    facilityId: rider.facility_id,
    ...rider.pii,
    mobility: rider.mobility,
    notifyChannel: rider.notify_channel,
    notifyConsent: rider.notify_consent,
    smsOptedOut: rider.sms_opted_out,
    mergedIntoRiderId: rider.merged_into_rider_id,
    erased: rider.erased_at !== null,
    erasedAt: rider.erased_at,
    ...(Object.keys(rider.unavailable).length > 0 ? { unavailable: rider.unavailable } : {}),
    createdAt: rider.created_at,
    version: rider.version,
  };
}

const fieldRef = (row: Pick<RiderRow, 'id' | 'facility_id'>, field: RiderPiiField) =>
  ({ table: 'riders', column: RIDER_PII_COLUMNS[field], rowId: row.id, facilityId: row.facility_id }) as const;

/** Opens one rider's PII with its data key (erased riders: every field marked erased). */
export function openRiderWith(pii: PiiCrypto, row: RiderRow, state: RiderKeyState): RiderView {
  const values = {} as RiderPii;
  const unavailable: RiderView['unavailable'] = {};
  for (const field of RIDER_PII_FIELDS) {
    if (row.erased_at !== null) {
      values[field] = null;
      unavailable[field] = 'erased';
      continue;
    }
    const opened = pii.openField(state, fieldRef(row, field), row[RIDER_PII_COLUMNS[field]]);
    values[field] = opened.ok ? opened.value : null;
    if (!opened.ok) unavailable[field] = opened.reason;
  }
  return { ...row, pii: values, unavailable };
}

export async function openRider(pii: PiiCrypto, tx: Queryable, row: RiderRow): Promise<{ view: RiderView; key: RiderKeyState }> {
  const key = await pii.openRiderKey(tx, row.facility_id, row.id, row.data_key);
  return { view: openRiderWith(pii, row, key), key };
}

/**
 * A page of riders: their keys fetched here (one key-service call per tenant at most, the tenant
 * key is cached; none when warm), their fields opened by the returned function, which lists run
 * while their COMMIT travels (see RouteResult.body).
 */
export async function prepareRiders(pii: PiiCrypto, tx: Queryable, rows: RiderRow[]): Promise<() => RiderView[]> {
  const keys = await pii.openRiderKeysFor(tx, rows, (row) => ({ facilityId: row.facility_id, riderId: row.id, wrapped: row.data_key }));
  return () => rows.map((row, index) => openRiderWith(pii, row, keys[index] as RiderKeyState));
}

export async function findRider(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<RiderRow | undefined> {
  const where = scopeToActor(new Where(), actor).add('id = ?', id);
  return selectOne<RiderRow>(tx, { columns: RIDER_COLUMNS, from: 'riders', where, forUpdate: options.forUpdate });
}

export interface RiderFilters {
  facilityId?: string;
  /**
   * Blind indexes of an exact phone or e-mail, one under each live version of the tenant's key
   * (during a rotation a rider is indexed under the old or the new one; they match within one tenant).
   */
  phoneIndexes?: readonly Buffer[];
  emailIndexes?: readonly Buffer[];
}

/** Newest first, keyset on (created_at, id): a facility role's own facility's, staff any (or the one named). */
export function listRiders(tx: Queryable, actor: Actor, filters: RiderFilters, page: PageRequest): Promise<RiderRow[]> {
  const where = scopeToActor(new Where(), actor);
  if (filters.facilityId) where.add('facility_id = ?', filters.facilityId);
  const anyOf = (column: string, indexes: readonly Buffer[]) => `${column} IN (${indexes.map(() => '?').join(', ')})`;
  if (filters.phoneIndexes?.length) where.add(anyOf('phone_index', filters.phoneIndexes), ...filters.phoneIndexes);
  if (filters.emailIndexes?.length) where.add(anyOf('email_index', filters.emailIndexes), ...filters.emailIndexes);
  return selectPage<RiderRow>(tx, { columns: RIDER_COLUMNS, from: 'riders', where, page });
}

/** What the sealed columns and indexes become for these PII values (only the fields present). */
async function sealedColumns(
  pii: PiiCrypto,
  tx: Queryable,
  rider: { id: string; facility_id: string },
  keys: { riderKey: RiderKey; tenantKey: TenantKey; individual: boolean },
  values: Partial<RiderPii>,
): Promise<Record<string, Buffer | null>> {
  const columns: Record<string, Buffer | null> = {};
  for (const field of RIDER_PII_FIELDS) {
    const value = values[field];
    if (value === undefined) continue;
    columns[RIDER_PII_COLUMNS[field]] = pii.sealField(keys.riderKey, fieldRef(rider, field), value);
  }
  if (values.phone !== undefined) {
    columns.phone_index = values.phone === null ? null : pii.phoneIndex(keys.tenantKey, values.phone);
    // Only private-pay riders are findable by the public intake (schema/0011).
    if (keys.individual) columns.intake_phone_index = values.phone === null ? null : await pii.intakePhoneIndex(tx, values.phone);
  }
  if (values.email !== undefined) columns.email_index = values.email === null ? null : pii.emailIndex(keys.tenantKey, values.email);
  return columns;
}

async function isIndividualTenant(tx: Queryable, facilityId: string): Promise<boolean> {
  const { rows } = await tx.query<{ kind: string }>('SELECT kind FROM facilities WHERE id = $1', [facilityId]);
  return rows[0]?.kind === 'individual';
}

/** Creates a rider with a fresh data key (and the tenant's key on first use); returns the row and its key. */
export async function insertRider(
  pii: PiiCrypto,
  tx: Queryable,
  facilityId: string,
  values: RiderValues,
): Promise<{ row: RiderRow; riderKey: RiderKey }> {
  const rider = { id: randomUUID(), facility_id: facilityId };
  const tenantKey = await pii.currentTenantKey(tx, facilityId, { create: true });
  if (!tenantKey) throw new Error('unreachable: a tenant key is created on first use');
  const { key: riderKey, wrapped } = pii.newRiderKey(tenantKey, rider.id);
  const sealed = await sealedColumns(pii, tx, rider, { riderKey, tenantKey, individual: await isIndividualTenant(tx, facilityId) },
    values);
  const where = new Where();
  const columns = ['facility_id', 'id', 'data_key'];
  const placeholders = [where.param(facilityId), where.param(rider.id), where.param(wrapped)];
  for (const [column, value] of Object.entries(sealed)) {
    columns.push(column);
    placeholders.push(where.param(value));
  }
  for (const [field, column] of Object.entries(RIDER_PLAIN_COLUMNS) as [RiderPlainField, string][]) {
    const value = values[field];
    if (value === undefined) continue;
    columns.push(column);
    placeholders.push(where.param(value));
  }
  const { rows } = await tx.query<RiderRow>(
    `INSERT INTO riders (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${RIDER_COLUMNS}`,
    where.values as never,
  );
  return { row: rows[0] as RiderRow, riderKey };
}

export async function updateRider(
  pii: PiiCrypto,
  tx: Queryable,
  rider: Pick<RiderRow, 'id' | 'facility_id'>,
  riderKey: RiderKey,
  values: RiderValues,
): Promise<RiderRow | undefined> {
  // Blind indexes are computed under the tenant key version that wraps the rider's key (the row is
  // locked), so a rotation that re-wraps the key re-indexes it in the same write (docs/security/key-rotation.md).
  const tenantKey = await pii.tenantKeyVersion(tx, rider.facility_id, riderKey.wrappedBy);
  const individual = values.phone !== undefined && await isIndividualTenant(tx, rider.facility_id);
  const sealed = await sealedColumns(pii, tx, rider, { riderKey, tenantKey, individual }, values);
  const where = new Where();
  const assignments: string[] = [];
  for (const [column, value] of Object.entries(sealed)) assignments.push(`${column} = ${where.param(value)}`);
  for (const [field, column] of Object.entries(RIDER_PLAIN_COLUMNS) as [RiderPlainField, string][]) {
    const value = values[field];
    if (value !== undefined) assignments.push(`${column} = ${where.param(value)}`);
  }
  const { rows } = await tx.query<RiderRow>(
    `UPDATE riders SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(rider.facility_id)} AND id = ${where.param(rider.id)} RETURNING ${RIDER_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}

/**
 * Crypto-shredding: the data key, every sealed field and every blind index go, the rider is
 * marked erased and stops being notified. Fields sealed under the destroyed key elsewhere (trip
 * clinical notes, leg completion notes) stay as ciphertext nobody can open.
 */
export async function eraseRider(tx: Queryable, rider: Pick<RiderRow, 'id' | 'facility_id'>): Promise<RiderRow | undefined> {
  const { rows } = await tx.query<RiderRow>(
    `UPDATE riders SET data_key = NULL, full_name_enc = NULL, phone_enc = NULL, email_enc = NULL, date_of_birth_enc = NULL,
            home_address_enc = NULL, care_notes_enc = NULL, phone_index = NULL, email_index = NULL,
            intake_phone_index = NULL, notify_channel = 'none', notify_consent = false, erased_at = now()
      WHERE facility_id = $1 AND id = $2 RETURNING ${RIDER_COLUMNS}`,
    [rider.facility_id, rider.id],
  );
  return rows[0];
}
