import type { Queryable } from '../../shared/db/port';
import type { Actor } from '../../shared/tenancy/actor';
import { Where, scopeToActor } from '../handlers/support';

export type Mobility = 'ambulatory' | 'wheelchair' | 'stretcher';
export type NotifyChannel = 'sms' | 'email' | 'none';

export interface RiderRow {
  id: string;
  facility_id: string;
  full_name: string;
  phone: string | null;
  email: string | null;
  date_of_birth: string | null;
  home_address: string | null;
  care_notes: string | null;
  mobility: Mobility;
  notify_channel: NotifyChannel;
  notify_consent: boolean;
  sms_opted_out: boolean;
  created_at: string;
  version: number;
  cursor_at: string;
}

export const RIDER_COLUMNS = `id, facility_id, full_name, phone, email, date_of_birth, home_address, care_notes, mobility,
  notify_channel, notify_consent, sms_opted_out, created_at, version, created_at::text AS cursor_at`;

/** The columns a client may write, keyed by their API names (the only source of dynamic column names). */
export const RIDER_FIELDS = {
  fullName: 'full_name',
  phone: 'phone',
  email: 'email',
  dateOfBirth: 'date_of_birth',
  homeAddress: 'home_address',
  careNotes: 'care_notes',
  mobility: 'mobility',
  notifyChannel: 'notify_channel',
  notifyConsent: 'notify_consent',
} as const satisfies Record<string, keyof RiderRow>;
export type RiderField = keyof typeof RIDER_FIELDS;
export type RiderValues = { [F in RiderField]?: RiderRow[(typeof RIDER_FIELDS)[F]] };

export function toRider(row: RiderRow) {
  return {
    id: row.id,
    facilityId: row.facility_id,
    fullName: row.full_name,
    phone: row.phone,
    email: row.email,
    dateOfBirth: row.date_of_birth,
    homeAddress: row.home_address,
    careNotes: row.care_notes,
    mobility: row.mobility,
    notifyChannel: row.notify_channel,
    notifyConsent: row.notify_consent,
    smsOptedOut: row.sms_opted_out,
    createdAt: row.created_at,
    version: row.version,
  };
}

export async function findRider(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<RiderRow | undefined> {
  const where = scopeToActor(new Where(), actor).add('id = ?', id);
  const { rows } = await tx.query<RiderRow>(
    `SELECT ${RIDER_COLUMNS} FROM riders ${where.sql()}${options.forUpdate ? ' FOR UPDATE' : ''}`,
    where.values as never,
  );
  return rows[0];
}

export async function insertRider(tx: Queryable, facilityId: string, values: RiderValues): Promise<RiderRow> {
  const where = new Where();
  const columns = ['facility_id'];
  const placeholders = [where.param(facilityId)];
  for (const [field, column] of Object.entries(RIDER_FIELDS) as [RiderField, string][]) {
    const value = values[field];
    if (value === undefined) continue;
    columns.push(column);
    placeholders.push(where.param(value));
  }
  const { rows } = await tx.query<RiderRow>(
    `INSERT INTO riders (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${RIDER_COLUMNS}`,
    where.values as never,
  );
  return rows[0] as RiderRow;
}

export async function updateRider(tx: Queryable, rider: Pick<RiderRow, 'id' | 'facility_id'>, values: RiderValues): Promise<RiderRow> {
  const where = new Where();
  const assignments: string[] = [];
  for (const [field, column] of Object.entries(RIDER_FIELDS) as [RiderField, string][]) {
    const value = values[field];
    if (value !== undefined) assignments.push(`${column} = ${where.param(value)}`);
  }
  const { rows } = await tx.query<RiderRow>(
    `UPDATE riders SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(rider.facility_id)} AND id = ${where.param(rider.id)} RETURNING ${RIDER_COLUMNS}`,
    where.values as never,
  );
  return rows[0] as RiderRow;
}
