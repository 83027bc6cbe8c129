import type { Queryable } from '../../shared/db/port';
import type { Actor } from '../../shared/tenancy/actor';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, scopeToActor, selectOne } from '../handlers/support';

/**
 * A facility's contact: a person at the clinic or home (a case manager, a nurse) whom trips and
 * facility users are tied to. FacilityUsers linked to a contact see that contact's trips.
 * Names, phones and e-mails of facility staff, stored in plaintext (docs/security/retention.md);
 * never logged or audited by value.
 */
export interface ContactRow {
  id: string;
  facility_id: string;
  full_name: string;
  phone: string | null;
  email: string | null;
  created_at: string;
  version: number;
  cursor_at: string;
}

export const CONTACT_COLUMNS = 'id, facility_id, full_name, phone, email, created_at, version, created_at::text AS cursor_at';

/** API field names and their columns: the names double as the audit's list of changed fields. */
export const CONTACT_FIELDS = { fullName: 'full_name', phone: 'phone', email: 'email' } as const;
export type ContactField = keyof typeof CONTACT_FIELDS;
export type ContactValues = Partial<Record<ContactField, string | null>>;

export function toContact(row: ContactRow) {
  return {
    id: row.id,
    facilityId: row.facility_id,
    fullName: row.full_name,
    phone: row.phone,
    email: row.email,
    createdAt: row.created_at,
    version: row.version,
  };
}

/** The contact `contactId` of tenant `facilityId`, if it is one: the check before a trip, series or user names it. */
export async function contactOf(tx: Queryable, facilityId: string, contactId: string): Promise<{ id: string } | undefined> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM contacts WHERE facility_id = $1 AND id = $2', [facilityId, contactId]);
  return rows[0];
}

export async function findContact(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ContactRow | undefined> {
  const where = scopeToActor(new Where(), actor).add('id = ?::uuid', id);
  return selectOne<ContactRow>(tx, { columns: CONTACT_COLUMNS, from: 'contacts', where, forUpdate: options.forUpdate });
}

/** Newest first, keyset on (created_at, id): a facility role's own facility's, staff any (or the one named). */
export function listContacts(tx: Queryable, actor: Actor, filters: { facilityId?: string }, page: PageRequest): Promise<ContactRow[]> {
  const where = scopeToActor(new Where(), actor);
  if (filters.facilityId) where.add('facility_id = ?::uuid', filters.facilityId);
  return selectPage<ContactRow>(tx, { columns: CONTACT_COLUMNS, from: 'contacts', where, page });
}

export async function insertContact(tx: Queryable, facilityId: string, values: ContactValues): Promise<ContactRow> {
  const { rows } = await tx.query<ContactRow>(
    `INSERT INTO contacts (facility_id, full_name, phone, email) VALUES ($1::uuid, $2, $3, $4) RETURNING ${CONTACT_COLUMNS}`,
    [facilityId, values.fullName ?? null, values.phone ?? null, values.email ?? null],
  );
  return rows[0] as ContactRow;
}

/** Changes the contact of the named tenant only: no row (undefined) when the contact is not that tenant's. */
export async function updateContact(
  tx: Queryable,
  contact: Pick<ContactRow, 'id' | 'facility_id'>,
  changes: ContactValues,
): Promise<ContactRow | undefined> {
  const where = new Where();
  const assignments = (Object.keys(changes) as ContactField[]).map((field) => `${CONTACT_FIELDS[field]} = ${where.param(changes[field])}`);
  const { rows } = await tx.query<ContactRow>(
    `UPDATE contacts SET ${assignments.join(', ')}
      WHERE facility_id = ${where.param(contact.facility_id)}::uuid AND id = ${where.param(contact.id)}::uuid RETURNING ${CONTACT_COLUMNS}`,
    where.values as never,
  );
  return rows[0];
}
