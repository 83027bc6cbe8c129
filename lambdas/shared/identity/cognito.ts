import {
  AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminDeleteUserAttributesCommand, AdminDeleteUserCommand,
  AdminDisableUserCommand, AdminEnableUserCommand, AdminGetUserCommand, AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand, AdminUserGlobalSignOutCommand, type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { IdentityAdmin } from './port';

/** The tenant attributes the pre-token trigger copies into access tokens (lambdas/pre-token). */
const TENANT_ATTRIBUTES = { facilityId: 'custom:facility_id', contactId: 'custom:contact_id' } as const;

/**
 * Cognito admin APIs. Cognito usernames are the `sub` here (the pool signs in by email alias),
 * so every later call addresses the user by the id the database knows.
 */
export function createCognitoIdentityAdmin(client: CognitoIdentityProviderClient, userPoolId: string): IdentityAdmin {
  return {
    async createUser({ email, role, facilityId, contactId }) {
      const attributes = [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
        ...(facilityId ? [{ Name: 'custom:facility_id', Value: facilityId }] : []),
        ...(contactId ? [{ Name: 'custom:contact_id', Value: contactId }] : []),
      ];
      const created = await client.send(
        new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: email, UserAttributes: attributes, DesiredDeliveryMediums: ['EMAIL'] }),
      );
      const sub = created.User?.Attributes?.find((a) => a.Name === 'sub')?.Value
        ?? (await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }))).UserAttributes?.find((a) => a.Name === 'sub')?.Value;
      if (!sub) throw new Error('Cognito returned no sub for the new user');
      try {
        await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: sub, GroupName: role }));
      } catch (error) {
        // A user in no group can never use the API but would keep the email address taken.
        try {
          await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: sub }));
        } catch {
          // The group failure is what the caller must see; the orphan is visible in the pool.
        }
        throw error;
      }
      return { sub };
    },
    // Sign-out first, while the user is still enabled (the call is documented for active users),
    // then disable; the API's database check refuses the user's access tokens from the same commit.
    async disableUser(sub) {
      await client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: sub }));
      await client.send(new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: sub }));
    },
    async enableUser(sub) {
      await client.send(new AdminEnableUserCommand({ UserPoolId: userPoolId, Username: sub }));
    },
    // Out of the old group before into the new one: a failure in between leaves the user in no
    // group (no token works; the database change rolls back and the Dispatcher retries), never in
    // two. Attributes follow; ones the new assignment lacks are deleted, or the pre-token trigger
    // would keep copying a stale contact or facility into the user's tokens.
    async changeAssignment(sub, { from, to }) {
      if (from.role !== to.role) {
        await client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: userPoolId, Username: sub, GroupName: from.role }));
        await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: sub, GroupName: to.role }));
      }
      const keys = Object.keys(TENANT_ATTRIBUTES) as (keyof typeof TENANT_ATTRIBUTES)[];
      const updated = keys.filter((key) => to[key] !== undefined && to[key] !== from[key])
        .map((key) => ({ Name: TENANT_ATTRIBUTES[key], Value: to[key] as string }));
      const removed = keys.filter((key) => to[key] === undefined && from[key] !== undefined).map((key) => TENANT_ATTRIBUTES[key]);
      if (updated.length > 0) {
        await client.send(new AdminUpdateUserAttributesCommand({ UserPoolId: userPoolId, Username: sub, UserAttributes: updated }));
      }
      if (removed.length > 0) {
        await client.send(new AdminDeleteUserAttributesCommand({ UserPoolId: userPoolId, Username: sub, UserAttributeNames: removed }));
      }
    },
    async deleteUser(sub) {
      await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: sub }));
    },
  };
}
