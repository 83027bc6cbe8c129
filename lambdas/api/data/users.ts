import { ACCESS_TOKEN_MAX_MINUTES } from '../../shared/auth/token-lifetime';
import type { Queryable } from '../../shared/db/port';
import type { Actor, Role } from '../../shared/tenancy/actor';
import { type PageRequest, selectPage } from '../handlers/pagination';
import { Where, scopeToActor, selectOne } from '../handlers/support';

export interface UserRow {
  id: string;
  role: Role;
  facility_id: string | null;
  contact_id: string | null;
  email: string;
  display_name: string;
  active: boolean;
  created_at: string;
  version: number;
  cursor_at: string;
}

export const USER_COLUMNS = `id, role, facility_id, contact_id, email, display_name, active, created_at, version,
  created_at::text AS cursor_at`;

export function toUser(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    facilityId: row.facility_id,
    contactId: row.contact_id,
    active: row.active,
    createdAt: row.created_at,
    version: row.version,
  };
}

/** Dispatchers manage every user; a FacilityAdmin only its own facility's. */
export function userScope(actor: Actor, where = new Where()): Where {
  return scopeToActor(where, actor);
}

export async function findUser(
  tx: Queryable,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<UserRow | undefined> {
  const where = userScope(actor).add('id = ?', id);
  return selectOne<UserRow>(tx, { columns: USER_COLUMNS, from: 'users', where, forUpdate: options.forUpdate });
}

/** Newest first, keyset on (created_at, id), within the actor's scope. */
export function listUsers(tx: Queryable, actor: Actor, filters: { facilityId?: string; role?: Role }, page: PageRequest): Promise<UserRow[]> {
  const where = userScope(actor);
  if (filters.facilityId) where.add('facility_id = ?', filters.facilityId);
  if (filters.role) where.add('role = ?', filters.role);
  return selectPage<UserRow>(tx, { columns: USER_COLUMNS, from: 'users', where, page });
}

/** Any visible user holding this address, compared as the unique index does (lower(email)). */
export async function emailInUse(tx: Queryable, email: string): Promise<boolean> {
  const { rows } = await tx.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
  return rows.length > 0;
}

/**
 * Whether any user at all has this address, including those the caller's policies hide (another
 * tenant's, staff): one yes or no, through a function that reveals nothing else (schema/0021).
 */
export async function emailRegistered(tx: Queryable, email: string): Promise<boolean> {
  const { rows } = await tx.query<{ registered: boolean }>('SELECT user_email_registered($1) AS registered', [email]);
  return rows[0]?.registered === true;
}

export async function insertUser(
  tx: Queryable,
  input: { id: string; role: Role; facilityId: string | null; contactId: string | null; email: string; displayName: string },
): Promise<UserRow> {
  const { rows } = await tx.query<UserRow>(
    `INSERT INTO users (id, role, facility_id, contact_id, email, display_name)
     VALUES ($1::uuid, $2, $3::uuid, $4::uuid, $5, $6) RETURNING ${USER_COLUMNS}`,
    [input.id, input.role, input.facilityId, input.contactId, input.email, input.displayName],
  );
  return rows[0] as UserRow;
}

/**
 * The user's tenant as read with the row: a facility's users match their facility, staff (no
 * facility) match only as staff, so a user write names the tenant it was found in.
 */
type UserOfTenant = Pick<UserRow, 'id' | 'facility_id'>;

/** No row (undefined) when the user is not of the named tenant. */
export async function deactivateUser(tx: Queryable, user: UserOfTenant): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(
    `UPDATE users SET active = false, disabled_at = now()
      WHERE facility_id IS NOT DISTINCT FROM $1::uuid AND id = $2 RETURNING ${USER_COLUMNS}`, [user.facility_id, user.id]);
  return rows[0];
}

/** No row (undefined) when the user is not of the named tenant. */
export async function activateUser(tx: Queryable, user: UserOfTenant): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(
    `UPDATE users SET active = true, disabled_at = NULL
      WHERE facility_id IS NOT DISTINCT FROM $1::uuid AND id = $2 RETURNING ${USER_COLUMNS}`, [user.facility_id, user.id]);
  return rows[0];
}

/**
 * Whether a disabled user's access tokens from before the disable may still be valid: a user
 * disabled before schema/0017 counts from its row's last update, which the disable was. A user
 * not of the named tenant counts as recent, so nothing is enabled on another tenant's answer.
 */
export async function disabledWithinTokenLifetime(tx: Queryable, user: UserOfTenant): Promise<boolean> {
  const { rows } = await tx.query<{ recent: boolean }>(
    `SELECT coalesce(disabled_at, updated_at) > now() - make_interval(mins => $3::int) AS recent
       FROM users WHERE facility_id IS NOT DISTINCT FROM $1::uuid AND id = $2::uuid`,
    [user.facility_id, user.id, ACCESS_TOKEN_MAX_MINUTES],
  );
  return rows[0]?.recent ?? true;
}

/** A user's role and tenant as the database holds them: staff have neither facility nor contact. */
export interface UserAssignment {
  role: Role;
  facilityId: string | null;
  contactId: string | null;
}

/**
 * Moves the user to a new role and tenant (schema/0026 lets only a Dispatcher do it). No row
 * (undefined) when the user is no longer of the tenant it was read in.
 */
export async function reassignUser(tx: Queryable, user: UserOfTenant, to: UserAssignment): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(
    `UPDATE users SET role = $3, facility_id = $4::uuid, contact_id = $5::uuid
      WHERE facility_id IS NOT DISTINCT FROM $1::uuid AND id = $2 RETURNING ${USER_COLUMNS}`,
    [user.facility_id, user.id, to.role, to.facilityId, to.contactId],
  );
  return rows[0];
}

/** Whether a driver still has legs to drive: they must be handed to another driver before the role changes. */
export async function driverHasOpenLegs(tx: Queryable, driverId: string): Promise<boolean> {
  const { rows } = await tx.query(
    `SELECT 1 FROM trip_legs WHERE driver_id = $1 AND status NOT IN ('completed', 'no_show', 'cancelled') LIMIT 1`, [driverId]);
  return rows.length > 0;
}
