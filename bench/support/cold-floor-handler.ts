import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { request } from 'node:https';
import pg from 'pg';
import { type AwsCredentials, rdsAuthToken, signedJsonHeaders } from './sigv4';

/**
 * The floor of P1's cold request: an empty handler, bundled like the Lambdas, that makes the
 * network calls a first request needs by hand, with nothing but node:crypto, node:https and pg:
 * the token keys fetched and the token checked (RS256, issuer, expiry), an IAM token signed, one
 * KMS Decrypt, and the handler's own SQL (recorded from it) in one transaction. What the plan
 * holds comes from the benchmark (BENCH_COLD_PLAN); the hosts are the real AWS names.
 */
export interface ColdPlan {
  region: string;
  jwks?: { uri: string; issuer: string };
  db: { host: string; port: number; user: string; database: string };
  /** The transaction as the handler ran it: its opening statement, then its statements. */
  begin: string;
  statements: { sql: string; params?: unknown[] }[];
  kms: { host: string; body: string };
}

function fetchText(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode === 200) resolve(text);
        else reject(new Error(`${url} answered ${response.statusCode}: ${text.slice(0, 200)}`));
      });
    });
    call.on('error', reject);
    call.end(options.body);
  });
}

async function checkToken(authorization: string | undefined, jwks: NonNullable<ColdPlan['jwks']>): Promise<void> {
  const [header, payload, signature] = (authorization ?? '').replace(/^Bearer /, '').split('.');
  if (!header || !payload || !signature) throw new Error('no token');
  const keys = (JSON.parse(await fetchText(jwks.uri)) as { keys: (JsonWebKey & { kid: string })[] }).keys;
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string };
  const jwk = keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error('unknown key');
  const signed = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(signature, 'base64url'));
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss: string; exp: number };
  if (!signed || claims.iss !== jwks.issuer || claims.exp * 1000 <= Date.now()) throw new Error('token refused');
}

let client: pg.Client | undefined;

export const handler = async (event: { headers?: Record<string, string | undefined> }) => {
  const plan = JSON.parse(process.env.BENCH_COLD_PLAN ?? '{}') as ColdPlan;
  const env = process.env;
  const credentials: AwsCredentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '', sessionToken: env.AWS_SESSION_TOKEN,
  };
  if (plan.jwks) await checkToken(event.headers?.Authorization, plan.jwks);
  if (!client) {
    const { host, port, user, database } = plan.db;
    client = new pg.Client({ host, port, user, database, ssl: { servername: host },
      password: rdsAuthToken({ host, port, user, region: plan.region, credentials }) });
    await client.connect();
  }
  await client.query(plan.begin);
  let rows = 0;
  for (const statement of plan.statements) rows += (await client.query(statement.sql, statement.params)).rowCount ?? 0;
  const key = JSON.parse(await fetchText(`https://${plan.kms.host}/`, {
    method: 'POST',
    headers: signedJsonHeaders({ host: plan.kms.host, region: plan.region, service: 'kms', target: 'TrentService.Decrypt',
      body: plan.kms.body, credentials }),
    body: plan.kms.body,
  })) as { Plaintext?: string };
  await client.query('COMMIT');
  if (!key.Plaintext) throw new Error('no key');
  return { statusCode: 200, body: JSON.stringify({ rows }) };
};
