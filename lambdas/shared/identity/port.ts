import type { Role } from '../tenancy/actor';

/**
 * User administration in the identity provider (Cognito in AWS, an in-process directory locally).
 * The database keeps the authoritative role/tenant copy used by row-level security.
 */
export interface NewIdentity {
  email: string;
  role: Role;
  facilityId?: string;
  contactId?: string;
}

/** A user's role and tenant, as the identity provider carries them into tokens. */
export interface Assignment {
  role: Role;
  facilityId?: string;
  contactId?: string;
}

export interface IdentityAdmin {
  /** Creates the user in exactly one group with its tenant attributes; returns the `sub`. */
  createUser(identity: NewIdentity): Promise<{ sub: string }>;
  /** Disables sign-in and revokes every session (global sign-out). */
  disableUser(sub: string): Promise<void>;
  /** Lets a disabled user sign in again (with a new sign-in: their sessions stay revoked). */
  enableUser(sub: string): Promise<void>;
  /**
   * Moves the user from one role group to another and rewrites the tenant attributes, so the next
   * token issued (sign-in or refresh) carries the new assignment. Tokens already issued keep the
   * old claims until they expire; the API refuses them because the database row changed first.
   */
  changeAssignment(sub: string, change: { from: Assignment; to: Assignment }): Promise<void>;
  /** Compensation when the database refuses a user the identity provider already created. */
  deleteUser(sub: string): Promise<void>;
}
