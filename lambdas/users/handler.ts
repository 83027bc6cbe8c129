import { createApiHandler } from '../api/app';
import { lazyRouting } from '../api/lazy-routing';
import { notHere, sharedDependencies } from '../api/lambda-dependencies';
import { onFirstUse } from '../shared/on-first-use';
import type { KeyProvider } from '../shared/crypto/key-provider';
import { PiiCrypto } from '../shared/crypto/pii';
import { required } from '../shared/db/rds-proxy';
import type { IdentityAdmin } from '../shared/identity/port';
import type { OutboxPublisher } from '../shared/outbox/publisher';

/**
 * The user-management Lambda entry: the routes the table assigns to `users` (invite, disable,
 * enable, change role), through the same road as every API route, with the one right the API function lacks:
 * administering the Cognito user pool. Its routes touch no rider data and send no notification,
 * so it has no key-service or queue client, and its role no such permission.
 */
const env = process.env;
const userPoolId = required(env, 'USER_POOL_ID');

const cognito = onFirstUse(async () => {
  const [{ newCognitoClient }, { createCognitoIdentityAdmin }] = await Promise.all([
    import('../shared/aws/cognito-client'),
    import('../shared/identity/cognito'),
  ]);
  return createCognitoIdentityAdmin(newCognitoClient(), userPoolId);
});
const identity: IdentityAdmin = {
  createUser: async (newIdentity) => (await cognito()).createUser(newIdentity),
  disableUser: async (sub) => (await cognito()).disableUser(sub),
  enableUser: async (sub) => (await cognito()).enableUser(sub),
  changeAssignment: async (sub, change) => (await cognito()).changeAssignment(sub, change),
  deleteUser: async (sub) => (await cognito()).deleteUser(sub),
};

const noKeyService: KeyProvider = {
  name: 'kms',
  generateDataKey: async () => notHere('the key service'),
  decryptDataKey: async () => notHere('the key service'),
};
const noOutbox: OutboxPublisher = { publish: async () => notHere('the notification queue') };

export const handler = createApiHandler(
  { ...sharedDependencies(env), outbox: noOutbox, identity, pii: new PiiCrypto({ provider: noKeyService }) },
  lazyRouting(),
  ['users'],
);
