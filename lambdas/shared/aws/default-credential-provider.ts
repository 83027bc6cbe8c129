import { credentialsFromEnvironment } from './lambda-credentials';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles (an esbuild alias in
 * lib/constructs/app-function.ts). Every client is given credentialsFromEnvironment already, but
 * each SDK client's runtime configuration still imports the default chain as its fallback; the
 * alias keeps the chain's code (and the nested STS, SSO and Cognito clients it brings) out of
 * the bundle. Same name and shape as the package's export.
 */
export function defaultProvider(): typeof credentialsFromEnvironment {
  return credentialsFromEnvironment;
}
