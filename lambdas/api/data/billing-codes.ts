import type { Queryable } from '../../shared/db/port';
import { Where, selectOne } from '../handlers/support';

/** A level of service: the trip's required mobility (schema/0022), the key of the code mapping (schema/0023). */
export type LevelOfService = 'ambulatory' | 'wheelchair' | 'wheelchair_xl' | 'stretcher';

export interface BillingCodeRow {
  id: string;
  level_of_service: LevelOfService;
  base_code: string;
  mileage_code: string;
  description: string;
  updated_at: string;
  version: number;
}

const BILLING_CODE_COLUMNS = 'id, level_of_service, base_code, mileage_code, description, updated_at, version';

export function toBillingCode(row: BillingCodeRow) {
  return {
    levelOfService: row.level_of_service,
    baseCode: row.base_code,
    mileageCode: row.mileage_code,
    description: row.description,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** The whole mapping: one row per level of service, provider-wide. */
export async function listBillingCodes(tx: Queryable): Promise<BillingCodeRow[]> {
  const { rows } = await tx.query<BillingCodeRow>(`SELECT ${BILLING_CODE_COLUMNS} FROM billing_codes ORDER BY level_of_service`);
  return rows;
}

export function findBillingCode(
  tx: Queryable,
  levelOfService: LevelOfService,
  options: { forUpdate?: boolean } = {},
): Promise<BillingCodeRow | undefined> {
  const where = new Where().add('level_of_service = ?', levelOfService);
  return selectOne<BillingCodeRow>(tx, { columns: BILLING_CODE_COLUMNS, from: 'billing_codes', where, forUpdate: options.forUpdate });
}

export async function updateBillingCode(
  tx: Queryable,
  levelOfService: LevelOfService,
  values: Pick<BillingCodeRow, 'base_code' | 'mileage_code' | 'description'>,
): Promise<BillingCodeRow | undefined> {
  const { rows } = await tx.query<BillingCodeRow>(
    `UPDATE billing_codes SET base_code = $2, mileage_code = $3, description = $4
      WHERE level_of_service = $1 RETURNING ${BILLING_CODE_COLUMNS}`,
    [levelOfService, values.base_code, values.mileage_code, values.description],
  );
  return rows[0];
}
