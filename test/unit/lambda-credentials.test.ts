import { defaultProvider } from '../../lambdas/shared/aws/default-credential-provider';
import { credentialsFromEnvironment, LAMBDA_CLIENT_CONFIG } from '../../lambdas/shared/aws/lambda-credentials';

/** A Lambda's SDK clients and database token take the role's credentials from the environment only. */
const NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
});
afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

test('the role\'s key, secret and session token as Lambda sets them, read at each call', async () => {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAFIRST', AWS_SECRET_ACCESS_KEY: 'secret-1', AWS_SESSION_TOKEN: 'token-1' });
  await expect(credentialsFromEnvironment()).resolves.toEqual({ accessKeyId: 'ASIAFIRST', secretAccessKey: 'secret-1', sessionToken: 'token-1' });
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIASECOND', AWS_SECRET_ACCESS_KEY: 'secret-2' });
  delete process.env.AWS_SESSION_TOKEN;
  await expect(credentialsFromEnvironment()).resolves.toEqual({ accessKeyId: 'AKIASECOND', secretAccessKey: 'secret-2' });
});

test('without a key or a secret there are no credentials, and the error names the variables, not values', async () => {
  process.env.AWS_SECRET_ACCESS_KEY = 'secret-only';
  delete process.env.AWS_ACCESS_KEY_ID;
  await expect(credentialsFromEnvironment()).rejects.toThrow(/^missing configuration: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$/);
  process.env.AWS_ACCESS_KEY_ID = 'AKIAKEYONLY';
  delete process.env.AWS_SECRET_ACCESS_KEY;
  await expect(credentialsFromEnvironment()).rejects.toThrow(/missing configuration/);
});

test('the client configuration and the bundles\' stand-in for the default chain both use them', () => {
  expect(LAMBDA_CLIENT_CONFIG.credentials).toBe(credentialsFromEnvironment);
  expect(defaultProvider()).toBe(credentialsFromEnvironment);
});
