import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createTokenVerifier } from '../shared/auth/verifier';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { createCognitoIdentityAdmin } from '../shared/identity/cognito';
import { createSqsOutboxPublisher } from '../shared/outbox/sqs-publisher';
import { createApiHandler } from './app';
import { apiHandlers } from './handlers';

/**
 * The API Lambda entry: the AWS implementations of every port, built once per container at
 * module scope (connection pool, verifier with its key cache, SDK clients), then the same
 * handler the tests and the local stack run.
 */
const env = process.env;
const region = required(env, 'AWS_REGION');
const userPoolId = required(env, 'USER_POOL_ID');

export const handler = createApiHandler(
  {
    db: databaseFromEnvironment(env),
    verifier: createTokenVerifier({
      issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
      jwksUri: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}/.well-known/jwks.json`,
      clientIds: required(env, 'APP_CLIENT_IDS').split(','),
      scope: required(env, 'API_SCOPE'),
    }),
    outbox: createSqsOutboxPublisher(new SQSClient({}), required(env, 'OUTBOX_QUEUE_URL')),
    identity: createCognitoIdentityAdmin(new CognitoIdentityProviderClient({}), userPoolId),
    settings: {
      pickupWindowMinutes: Number(env.PICKUP_WINDOW_MINUTES ?? '30'),
      providerName: env.PROVIDER_NAME ?? 'NEMT Dispatch',
    },
  },
  apiHandlers,
);
