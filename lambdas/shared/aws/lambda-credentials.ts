/** What SDK clients and the RDS token signer accept as `credentials`. */
export interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The function role's credentials where Lambda puts them: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN. A Lambda needs nothing else, so its SDK clients and its database token
 * take credentials from here instead of the SDK's default chain, whose SSO, INI file, process,
 * container and instance-metadata providers a Lambda never reaches but would load with every
 * client (docs/performance.md, P1). Read per call, as the SDK's own environment provider does.
 */
export async function credentialsFromEnvironment(): Promise<EnvironmentCredentials> {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('missing configuration: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Configuration every SDK client of a Lambda starts from; a client adds its own settings after it. */
export const LAMBDA_CLIENT_CONFIG = { credentials: credentialsFromEnvironment } as const;
