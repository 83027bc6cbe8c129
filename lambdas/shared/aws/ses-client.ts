import { SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { LAMBDA_CLIENT_CONFIG } from './lambda-credentials';

/** The notifier's SES client; see kms-client.ts for why it has a module of its own. */
export function newSesClient(config: SESv2ClientConfig = {}): SESv2Client {
  return new SESv2Client({ ...LAMBDA_CLIENT_CONFIG, ...config });
}
