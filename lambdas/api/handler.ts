import { createTokenVerifier } from '../shared/auth/verifier';
import { piiCryptoFromEnvironment } from '../shared/crypto/from-environment';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import type { IdentityAdmin } from '../shared/identity/port';
import type { OutboxPublisher } from '../shared/outbox/publisher';
import { createApiHandler } from './app';
import { apiHandlers } from './handlers';

/**
 * The API Lambda entry: the AWS implementations of every port, built once per container at
 * module scope (connection pool, verifier with its key cache) or at first use (the SDK clients
 * of the route-specific ports), then the same handler the tests and the local stack run.
 */
const env = process.env;
const region = required(env, 'AWS_REGION');
const userPoolId = required(env, 'USER_POOL_ID');
const outboxQueueUrl = required(env, 'OUTBOX_QUEUE_URL');

/**
 * Built on first use, once: the SDK clients only some routes need (Cognito for user management,
 * SQS after a write) stay out of module init, which every cold start pays (docs/performance.md,
 * P1). Configuration is still read above, so a missing value fails the cold start, not a request.
 */
function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

const cognito = onFirstUse(async () => {
  const [{ CognitoIdentityProviderClient }, { createCognitoIdentityAdmin }] = await Promise.all([
    import('@aws-sdk/client-cognito-identity-provider'),
    import('../shared/identity/cognito'),
  ]);
  return createCognitoIdentityAdmin(new CognitoIdentityProviderClient({}), userPoolId);
});
const identity: IdentityAdmin = {
  createUser: async (newIdentity) => (await cognito()).createUser(newIdentity),
  disableUser: async (sub) => (await cognito()).disableUser(sub),
  enableUser: async (sub) => (await cognito()).enableUser(sub),
  deleteUser: async (sub) => (await cognito()).deleteUser(sub),
};

const sqs = onFirstUse(async () => {
  const [{ SQSClient }, { createSqsOutboxPublisher }] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('../shared/outbox/sqs-publisher'),
  ]);
  return createSqsOutboxPublisher(new SQSClient({}), outboxQueueUrl);
});
const outbox: OutboxPublisher = {
  publish: async (outboxIds) => (await sqs()).publish(outboxIds),
};

export const handler = createApiHandler(
  {
    db: databaseFromEnvironment(env),
    verifier: createTokenVerifier({
      issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
      jwksUri: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}/.well-known/jwks.json`,
      clientIds: required(env, 'APP_CLIENT_IDS').split(','),
      scope: required(env, 'API_SCOPE'),
    }),
    outbox,
    identity,
    pii: piiCryptoFromEnvironment(env),
    settings: {
      pickupWindowMinutes: Number(env.PICKUP_WINDOW_MINUTES ?? '30'),
      providerName: env.PROVIDER_NAME ?? 'NEMT Dispatch',
    },
  },
  apiHandlers,
);
