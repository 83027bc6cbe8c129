import * as z from 'zod';
import { type Actor, FACILITY_ROLES, ROLES, type Role } from '../tenancy/actor';
import { UUID_PATTERN } from '../uuid';

/**
 * Turns verified access-token claims into an Actor, or explains why not. The signature, issuer,
 * expiry, token_use, client_id and scope were already checked by the verifier; this decides the
 * role and tenant: exactly one of the five groups, a facility claim for facility roles and none
 * for staff. Nothing is guessed.
 */
const uuid = z.string().regex(UUID_PATTERN);

const ClaimsSchema = z.object({
  sub: uuid,
  'cognito:groups': z.array(z.string().max(128)).max(50).optional(),
  facility_id: uuid.optional(),
  contact_id: uuid.optional(),
});

export type ClaimsRejection =
  | 'malformed_claims'
  | 'no_role_group'
  | 'several_role_groups'
  | 'facility_role_without_facility'
  | 'staff_role_with_facility';

export type ClaimsResult = { ok: true; actor: Actor } | { ok: false; reason: ClaimsRejection };

export function actorFromClaims(payload: unknown): ClaimsResult {
  const parsed = ClaimsSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: 'malformed_claims' };
  const claims = parsed.data;
  const roles = (claims['cognito:groups'] ?? []).filter((group): group is Role =>
    (ROLES as readonly string[]).includes(group),
  );
  if (roles.length === 0) return { ok: false, reason: 'no_role_group' };
  if (new Set(roles).size > 1) return { ok: false, reason: 'several_role_groups' };
  const role = roles[0] as Role;
  const sub = claims.sub.toLowerCase();
  if ((FACILITY_ROLES as readonly string[]).includes(role)) {
    if (!claims.facility_id) return { ok: false, reason: 'facility_role_without_facility' };
    return {
      ok: true,
      actor: {
        sub,
        role: role as (typeof FACILITY_ROLES)[number],
        facilityId: claims.facility_id.toLowerCase(),
        ...(claims.contact_id ? { contactId: claims.contact_id.toLowerCase() } : {}),
      },
    };
  }
  if (claims.facility_id || claims.contact_id) return { ok: false, reason: 'staff_role_with_facility' };
  return { ok: true, actor: { sub, role: role as Exclude<Role, (typeof FACILITY_ROLES)[number]> } };
}
