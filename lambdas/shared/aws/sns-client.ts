import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { LAMBDA_CLIENT_CONFIG } from './lambda-credentials';

/** The notifier's SNS client; see kms-client.ts for why it has a module of its own. */
export function newSnsClient(config: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ ...LAMBDA_CLIENT_CONFIG, ...config });
}
