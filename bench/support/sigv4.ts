import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 by hand, with node:crypto only: the least code that does what the SDK
 * does for the cold request (an RDS IAM token is a presigned `connect` URL; a KMS call is a signed
 * POST). The cold-request floor (P1) uses it, and the fake RDS Proxy checks every token with it,
 * so the application's token and the floor's are held to the same signature.
 */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const RDS_TOKEN_SECONDS = 900;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();
const uriEscape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function amzDate(at: Date): { long: string; short: string } {
  const long = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { long, short: long.slice(0, 8) };
}

function signature(credentials: AwsCredentials, long: string, scope: string, canonicalRequest: string): string {
  const [short, region, service] = scope.split('/') as [string, string, string];
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, short), region), service), 'aws4_request');
  return createHmac('sha256', key).update(`AWS4-HMAC-SHA256\n${long}\n${scope}\n${sha256(canonicalRequest)}`).digest('hex');
}

const canonicalQuery = (query: Record<string, string>) =>
  Object.keys(query).sort().map((name) => `${uriEscape(name)}=${uriEscape(query[name] as string)}`).join('&');

function rdsQuery(host: string, port: number, user: string, region: string, credentials: AwsCredentials, long: string) {
  const scope = `${long.slice(0, 8)}/${region}/rds-db/aws4_request`;
  const query: Record<string, string> = {
    Action: 'connect',
    DBUser: user,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': long,
    'X-Amz-Expires': String(RDS_TOKEN_SECONDS),
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
    'X-Amz-SignedHeaders': 'host',
  };
  const canonical = `GET\n/\n${canonicalQuery(query)}\nhost:${host}:${port}\n\nhost\n${EMPTY_SHA256}`;
  return { query, signature: signature(credentials, long, scope, canonical) };
}

/** An RDS IAM authentication token, as @aws-sdk/rds-signer makes one. */
export function rdsAuthToken(options: { host: string; port: number; user: string; region: string; credentials: AwsCredentials; at?: Date }): string {
  const { long } = amzDate(options.at ?? new Date());
  const { query, signature: signed } = rdsQuery(options.host, options.port, options.user, options.region, options.credentials, long);
  return `${options.host}:${options.port}/?${canonicalQuery({ ...query, 'X-Amz-Signature': signed })}`;
}

/** Whether `token` is a valid IAM token for this endpoint and login, signed with these credentials, not expired. */
export function rdsAuthTokenIsValid(token: string, expected: { host: string; port: number; user: string; region: string; credentials: AwsCredentials; now?: Date }): boolean {
  const prefix = `${expected.host}:${expected.port}/?`;
  if (!token.startsWith(prefix)) return false;
  const params = new URLSearchParams(token.slice(prefix.length));
  const long = params.get('X-Amz-Date') ?? '';
  const parsed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(long);
  if (!parsed || params.get('Action') !== 'connect' || params.get('DBUser') !== expected.user) return false;
  const signedAt = Date.UTC(Number(parsed[1]), Number(parsed[2]) - 1, Number(parsed[3]), Number(parsed[4]), Number(parsed[5]), Number(parsed[6]));
  const age = (expected.now ?? new Date()).getTime() - signedAt;
  if (age < -60_000 || age > RDS_TOKEN_SECONDS * 1000) return false;
  const { signature: wanted } = rdsQuery(expected.host, expected.port, expected.user, expected.region, expected.credentials, long);
  return params.get('X-Amz-Signature') === wanted;
}

/** Headers of a signed AWS JSON-protocol POST (e.g. KMS `TrentService.Decrypt`). */
export function signedJsonHeaders(options: { host: string; region: string; service: string; target: string; body: string;
  credentials: AwsCredentials; at?: Date }): Record<string, string> {
  const { long, short } = amzDate(options.at ?? new Date());
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: options.host,
    'x-amz-date': long,
    ...(options.credentials.sessionToken ? { 'x-amz-security-token': options.credentials.sessionToken } : {}),
    'x-amz-target': options.target,
  };
  const names = Object.keys(headers).sort();
  const scope = `${short}/${options.region}/${options.service}/aws4_request`;
  const canonical = `POST\n/\n\n${names.map((name) => `${name}:${headers[name]}\n`).join('')}\n${names.join(';')}\n${sha256(options.body)}`;
  const signed = signature(options.credentials, long, scope, canonical);
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${options.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signed}`,
  };
}
