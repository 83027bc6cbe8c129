import { SQSClient } from '@aws-sdk/client-sqs';
import { LAMBDA_CLIENT_CONFIG } from './lambda-credentials';

/** The Lambdas' SQS client; see kms-client.ts for why it has a module of its own. */
export function newSqsClient(): SQSClient {
  return new SQSClient(LAMBDA_CLIENT_CONFIG);
}
