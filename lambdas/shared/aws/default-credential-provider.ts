import { credentialsFromEnvironment } from './lambda-credentials';

/**
 * Stands in for `@aws-sdk/credential-provider-node` and `@aws-sdk/credential-providers` in Lambda
 * bundles (esbuild aliases in lib/constructs/lambda-bundle.ts). Every client and the RDS token
 * signer are given credentialsFromEnvironment already, but each SDK client's runtime
 * configuration still imports the default chain as its fallback (the signer through the
 * umbrella package, whose other providers load theirs with `import()`); the aliases keep the
 * chain's code (and the nested STS, SSO and Cognito clients it brings) out of the bundle. Same
 * names and shapes as the packages' exports.
 */
export function defaultProvider(): typeof credentialsFromEnvironment {
  return credentialsFromEnvironment;
}

export const fromNodeProviderChain = defaultProvider;
