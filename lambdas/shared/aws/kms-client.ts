import { KMSClient } from '@aws-sdk/client-kms';
import { LAMBDA_CLIENT_CONFIG } from './lambda-credentials';

/**
 * The Lambdas' KMS client. Loaded with `import()` where it is built at first use; importing this
 * module rather than the package lets esbuild drop the commands, schemas and aggregated client a
 * dynamic import of the whole package would keep (docs/performance.md, P1).
 */
export function newKmsClient(): KMSClient {
  return new KMSClient(LAMBDA_CLIENT_CONFIG);
}
