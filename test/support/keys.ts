import { randomBytes } from 'node:crypto';
import { createLocalKeyProvider } from '../../lambdas/shared/crypto/local-key-provider';
import { PiiCrypto } from '../../lambdas/shared/crypto/pii';
import type { Queryable } from '../../lambdas/shared/db/port';

/**
 * The key hierarchy of a test file: a master key generated in memory (never written anywhere),
 * shared by the fixtures and the handlers under test, so rows sealed by one open in the other.
 * Jest gives every test file its own module registry, hence its own master key and database.
 */
export const TEST_MASTER_KEY = randomBytes(32);

let shared: PiiCrypto | undefined;

export function testPii(): PiiCrypto {
  shared ??= new PiiCrypto({ provider: createLocalKeyProvider(TEST_MASTER_KEY) });
  return shared;
}

/** Opens one sealed field of a rider as the owner (for assertions on what the database holds). */
export async function openRiderField(
  owner: Queryable,
  riderId: string,
  column: 'full_name_enc' | 'phone_enc' | 'email_enc' | 'date_of_birth_enc' | 'home_address_enc' | 'care_notes_enc',
  pii: PiiCrypto = testPii(),
): Promise<string | null> {
  const { rows } = await owner.query<{ facility_id: string; data_key: Buffer | null; sealed: Buffer | null }>(
    `SELECT facility_id, data_key, ${column} AS sealed FROM riders WHERE id = $1`, [riderId]);
  const row = rows[0];
  if (!row) throw new Error(`no rider ${riderId}`);
  const key = await pii.openRiderKey(owner, row.facility_id, riderId, row.data_key);
  const opened = pii.openField(key, { table: 'riders', column, rowId: riderId, facilityId: row.facility_id }, row.sealed);
  if (!opened.ok) throw new Error(`rider ${riderId} ${column} is ${opened.reason}`);
  return opened.value;
}
