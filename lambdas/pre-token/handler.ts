import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { STAFF_ROLES } from '../shared/tenancy/actor';
import { isUuid } from '../shared/uuid';

/**
 * Cognito V2 pre-token generation (PRODUCT §2): copies the administrator-set tenant attributes
 * `custom:facility_id` / `custom:contact_id` into the ACCESS token as `facility_id` /
 * `contact_id`, the claims the API trusts for tenancy. Staff users get nothing added, so a staff
 * token never carries a tenant (the API refuses one that does). A value that is not a UUID is not
 * copied: the API then refuses the facility user for lack of a tenant instead of guessing one.
 */
const COPIED = { facility_id: 'custom:facility_id', contact_id: 'custom:contact_id' } as const;

export function tenantClaims(event: PreTokenGenerationV2TriggerEvent): Record<string, string> {
  const groups = event.request.groupConfiguration?.groupsToOverride ?? [];
  if (groups.some((group) => (STAFF_ROLES as readonly string[]).includes(group))) return {};
  const claims: Record<string, string> = {};
  for (const [claim, attribute] of Object.entries(COPIED)) {
    const value = event.request.userAttributes[attribute]?.trim();
    if (isUuid(value)) claims[claim] = value.toLowerCase();
  }
  return claims;
}

export async function handler(event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> {
  const claims = tenantClaims(event);
  if (Object.keys(claims).length === 0) return event;
  const details = event.response.claimsAndScopeOverrideDetails ?? {};
  event.response.claimsAndScopeOverrideDetails = {
    ...details,
    accessTokenGeneration: {
      ...details.accessTokenGeneration,
      claimsToAddOrOverride: { ...details.accessTokenGeneration?.claimsToAddOrOverride, ...claims },
    },
  };
  return event;
}
