import { credentialsFromEnvironment } from '../aws/lambda-credentials';
import { onFirstUse } from '../on-first-use';
import { createPgDatabase } from './pg-adapter';
import type { Database } from './port';

/**
 * The Lambdas' database: node-postgres through RDS Proxy, authenticated with a short-lived IAM
 * token per new connection (no password anywhere) over TLS verified against the trust store
 * (RDS Proxy presents an Amazon-issued certificate). Each function connects as its own login
 * user (DB_USER), so the database knows which role is asking.
 */
export function databaseFromEnvironment(env: NodeJS.ProcessEnv = process.env): Database {
  const host = required(env, 'DB_HOST');
  const port = Number(env.DB_PORT ?? '5432');
  const user = required(env, 'DB_USER');
  const region = env.AWS_REGION;
  // The role's credentials from the environment, as every client of the function takes them. The
  // signer (and the SDK code under it) loads when the pool first opens a connection.
  const signer = onFirstUse(async () => {
    const { Signer } = await import('@aws-sdk/rds-signer');
    return new Signer({ hostname: host, port, username: user, region, credentials: credentialsFromEnvironment });
  });
  return createPgDatabase({
    host,
    port,
    user,
    database: required(env, 'DB_NAME'),
    password: async () => (await signer()).getAuthToken(),
    ssl: { servername: host },
    // One Lambda serves one request at a time; a second connection covers the after-commit work.
    max: Number(env.DB_POOL_MAX ?? '2'),
    idleTimeoutMillis: 60_000,
    applicationName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'nemt-dispatch',
    // Every invocation of every function needs the database: the connection is opened during init.
    connectEarly: true,
  });
}

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`missing configuration: ${name}`);
  return value;
}
