import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { LAMBDA_CLIENT_CONFIG } from './lambda-credentials';

/** The user-management Lambda's Cognito client; see kms-client.ts for why it has a module of its own. */
export function newCognitoClient(): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient(LAMBDA_CLIENT_CONFIG);
}
