/**
 * Who is acting. Built only from verified token claims (lambdas/shared/auth) or by trusted
 * server code; never from a request body, path or query.
 */
export const STAFF_ROLES = ['Dispatcher', 'Driver', 'Billing'] as const;
export const FACILITY_ROLES = ['FacilityAdmin', 'FacilityUser'] as const;
export const ROLES = [...STAFF_ROLES, ...FACILITY_ROLES] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];
export type FacilityRole = (typeof FACILITY_ROLES)[number];
export type Role = StaffRole | FacilityRole;

export interface StaffActor {
  readonly sub: string;
  readonly role: StaffRole;
}

export interface FacilityActor {
  readonly sub: string;
  readonly role: FacilityRole;
  readonly facilityId: string;
  readonly contactId?: string;
}

export type Actor = StaffActor | FacilityActor;

export function isFacilityActor(actor: Actor): actor is FacilityActor {
  return (FACILITY_ROLES as readonly string[]).includes(actor.role);
}

export function isStaffRole(role: string): role is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(role);
}
