import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Queryable } from '../lambdas/shared/db/port';
import { type Actor, isStaffRole, ROLES, type Role } from '../lambdas/shared/tenancy/actor';

/**
 * What a start leaves behind for `npm run token` and the end-to-end test: the issuer (its URL is
 * the `iss` of every token), the ports, and the active users with their tenant. No secrets: the
 * key stays in its own file, and the dev database password is a constant in local/layout.ts.
 */
export interface StackUser {
  sub: string;
  role: Role;
  email: string;
  displayName: string;
  facilityId: string | null;
  facilityName: string | null;
  contactId: string | null;
  /** Seeded by the local stack (printed at start), as opposed to created later through the API. */
  demo: boolean;
}

export interface StackManifest {
  issuer: string;
  port: number;
  postgres: { port: number; database: string };
  users: StackUser[];
}

export function writeManifest(file: string, manifest: StackManifest): void {
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`, { encoding: 'utf8', mode: 0o644 });
}

/** Undefined when there is none or it is unreadable: the next start writes it again. */
export function readManifest(file: string): StackManifest | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackManifest;
  } catch {
    return undefined;
  }
}

export function actorFor(user: StackUser): Actor {
  if (isStaffRole(user.role)) return { sub: user.sub, role: user.role };
  if (!user.facilityId) throw new Error(`${user.email} has a facility role but no facility`);
  return {
    sub: user.sub,
    role: user.role,
    facilityId: user.facilityId,
    ...(user.contactId ? { contactId: user.contactId } : {}),
  };
}

/** Staff first, then facility roles, each in the order of ROLES; oldest account first. */
export async function loadActiveUsers(owner: Queryable, demoEmails: readonly string[]): Promise<StackUser[]> {
  const { rows } = await owner.query<{
    id: string; role: Role; email: string; display_name: string; facility_id: string | null; facility_name: string | null;
    contact_id: string | null;
  }>(
    `SELECT u.id, u.role, u.email, u.display_name, u.facility_id, f.name AS facility_name, u.contact_id
       FROM users u LEFT JOIN facilities f ON f.id = u.facility_id
      WHERE u.active
      ORDER BY array_position($1::text[], u.role), u.created_at, u.id`,
    [`{${ROLES.join(',')}}`],
  );
  const demo = new Set(demoEmails.map((email) => email.toLowerCase()));
  return rows.map((row) => ({
    sub: row.id,
    role: row.role,
    email: row.email,
    displayName: row.display_name,
    facilityId: row.facility_id,
    facilityName: row.facility_name,
    contactId: row.contact_id,
    demo: demo.has(row.email.toLowerCase()),
  }));
}
