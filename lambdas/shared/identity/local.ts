import { randomUUID } from 'node:crypto';
import type { IdentityAdmin, NewIdentity } from './port';

/** The local stack's and tests' identity directory: same contract as Cognito, in memory. */
export interface LocalIdentity extends NewIdentity {
  sub: string;
  enabled: boolean;
  signedOutAt?: Date;
}

export function createLocalIdentityAdmin(directory = new Map<string, LocalIdentity>()): IdentityAdmin & {
  directory: Map<string, LocalIdentity>;
} {
  return {
    directory,
    async createUser(identity) {
      if ([...directory.values()].some((user) => user.email.toLowerCase() === identity.email.toLowerCase())) {
        throw Object.assign(new Error('user exists'), { name: 'UsernameExistsException' });
      }
      const sub = randomUUID();
      directory.set(sub, { ...identity, sub, enabled: true });
      return { sub };
    },
    async disableUser(sub) {
      const user = directory.get(sub);
      if (user) {
        user.enabled = false;
        user.signedOutAt = new Date();
      }
    },
    async enableUser(sub) {
      const user = directory.get(sub);
      if (user) user.enabled = true;
    },
    async changeAssignment(sub, { to }) {
      const user = directory.get(sub);
      if (!user) return;
      const { facilityId: _facility, contactId: _contact, ...rest } = user;
      directory.set(sub, { ...rest, ...to });
    },
    async deleteUser(sub) {
      directory.delete(sub);
    },
  };
}
