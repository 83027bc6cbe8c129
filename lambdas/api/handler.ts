import { piiCryptoFromEnvironment } from '../shared/crypto/from-environment';
import { required } from '../shared/db/rds-proxy';
import type { IdentityAdmin } from '../shared/identity/port';
import type { OutboxPublisher } from '../shared/outbox/publisher';
import { createApiHandler } from './app';
import { lazyRouting } from './lazy-routing';
import { onFirstUse } from '../shared/on-first-use';
import { notHere, sharedDependencies } from './lambda-dependencies';

/**
 * The API Lambda entry: every authenticated route but user management (lambdas/users/handler.ts),
 * with the AWS implementations of its ports built once per container, at module scope (pool,
 * verifier) or at first use (the SQS client, the KMS client inside the PII port), then the same
 * handler the tests and the local stack run. It holds no identity-provider rights.
 */
const env = process.env;
const outboxQueueUrl = required(env, 'OUTBOX_QUEUE_URL');

const sqs = onFirstUse(async () => {
  const [{ newSqsClient }, { createSqsOutboxPublisher }] = await Promise.all([
    import('../shared/aws/sqs-client'),
    import('../shared/outbox/sqs-publisher'),
  ]);
  return createSqsOutboxPublisher(newSqsClient(), outboxQueueUrl);
});
const outbox: OutboxPublisher = {
  publish: async (outboxIds) => (await sqs()).publish(outboxIds),
};

const identity: IdentityAdmin = {
  createUser: async () => notHere('user administration'),
  disableUser: async () => notHere('user administration'),
  enableUser: async () => notHere('user administration'),
  changeAssignment: async () => notHere('user administration'),
  deleteUser: async () => notHere('user administration'),
};

export const handler = createApiHandler(
  { ...sharedDependencies(env), outbox, identity, pii: piiCryptoFromEnvironment(env) },
  lazyRouting(),
  ['api'],
);
