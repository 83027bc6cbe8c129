import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import pg from 'pg';
import type { FakeKms } from '../../test/support/kms';
import { type AwsCredentials, rdsAuthTokenIsValid } from './sigv4';

/**
 * Local stand-ins for the AWS endpoints a cold request reaches (P1): Cognito's JWKS, KMS, and RDS
 * Proxy, each over TLS with a throwaway certificate for the real host names. A fresh process is
 * pointed at them by a connect hook (see `networkMapScript`), so the code under test opens the
 * same connections, does the same TLS handshakes, signs the same way and parses the same answers
 * as in AWS; only the far end is local. KMS answers come from the tests' fake (test/support/kms.ts,
 * aws-sdk-client-mock at the client boundary) behind an HTTP front.
 */
export interface TlsMaterial {
  readonly certFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A self-signed certificate for these names (the child trusts it through NODE_EXTRA_CA_CERTS). */
export function makeCertificate(dir: string, names: readonly string[]): TlsMaterial {
  const keyFile = join(dir, 'fake-aws.key');
  const certFile = join(dir, 'fake-aws.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=nemt-bench-fake-aws', '-addext', `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`], { stdio: 'ignore' });
  return { certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

export interface LocalEndpoint {
  readonly port: number;
  /** Requests (HTTP) or authenticated sessions (proxy) served. */
  served(): number;
  close(): Promise<void>;
}

const listen = (server: HttpsServer | NetServer) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
const closeServer = (server: HttpsServer | NetServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Cognito's key set, at the path the verifier asks for. */
export async function startJwksEndpoint(tls: TlsMaterial, path: string, jwks: unknown): Promise<LocalEndpoint> {
  let served = 0;
  const body = JSON.stringify(jwks);
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    if (request.method !== 'GET' || request.url !== path) {
      response.writeHead(404).end();
      return;
    }
    served += 1;
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  const port = await listen(server);
  return { port, served: () => served, close: () => closeServer(server) };
}

type KmsJson = Record<string, unknown>;

/**
 * KMS's JSON protocol in front of the tests' fake: Decrypt and GenerateDataKey, for requests that
 * carry a SigV4 Authorization header (its signature is not checked: the signing work is timed on
 * both sides all the same; the proxy stand-in does check its IAM tokens).
 */
export async function startKmsEndpoint(tls: TlsMaterial, kms: FakeKms): Promise<LocalEndpoint> {
  let served = 0;
  const blob = (value: unknown) => (typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : undefined);
  const base64 = (value: Uint8Array | undefined) => (value ? Buffer.from(value).toString('base64') : undefined);
  const answer = async (target: string, input: KmsJson): Promise<KmsJson> => {
    if (target === 'TrentService.Decrypt') {
      const output = await kms.client.send(new DecryptCommand({ ...input, CiphertextBlob: blob(input.CiphertextBlob) } as never));
      return { KeyId: output.KeyId, Plaintext: base64(output.Plaintext), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    }
    if (target === 'TrentService.GenerateDataKey') {
      const output = await kms.client.send(new GenerateDataKeyCommand(input as never));
      return { KeyId: output.KeyId, Plaintext: base64(output.Plaintext), CiphertextBlob: base64(output.CiphertextBlob) };
    }
    throw Object.assign(new Error(`the fake does not serve ${target}`), { name: 'UnsupportedOperationException' });
  };
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: KmsJson) =>
        response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      if (!/^AWS4-HMAC-SHA256 Credential=/.test(String(request.headers.authorization ?? ''))) {
        reply(400, { __type: 'MissingAuthenticationTokenException', message: 'unsigned request' });
        return;
      }
      served += 1;
      answer(String(request.headers['x-amz-target'] ?? ''), JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as KmsJson)
        .then((body) => reply(200, body), (error: Error) => reply(400, { __type: error.name, message: error.message }));
    });
  });
  const port = await listen(server);
  return { port, served: () => served, close: () => closeServer(server) };
}

const SSL_REQUEST_CODE = 80877103;

/** One PostgreSQL protocol message from a buffer: [type, body, rest], or undefined until complete. */
function takeMessage(buffer: Buffer, typed: boolean): [string, Buffer, Buffer] | undefined {
  const offset = typed ? 1 : 0;
  if (buffer.length < offset + 4) return undefined;
  const length = buffer.readInt32BE(offset);
  if (buffer.length < offset + length) return undefined;
  return [typed ? String.fromCharCode(buffer[0] as number) : '', buffer.subarray(offset + 4, offset + length), buffer.subarray(offset + length)];
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const int32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
};

/** Reads messages from a socket in order, keeping what arrived beyond them. */
function reader(socket: Socket | TLSSocket) {
  let buffered: Buffer = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  };
  socket.on('data', onData);
  return {
    async next(typed: boolean): Promise<[string, Buffer]> {
      for (;;) {
        const taken = takeMessage(buffered, typed);
        if (taken) {
          buffered = taken[2];
          return [taken[0], taken[1]];
        }
        await new Promise<void>((resolve, reject) => {
          waiting = resolve;
          socket.once('close', () => reject(new Error('closed during the handshake')));
        });
      }
    },
    /** Stops reading; returns what arrived beyond the last message. */
    release(): Buffer {
      socket.off('data', onData);
      return buffered;
    },
  };
}

/**
 * RDS Proxy, as far as a client sees it: TLS required, IAM authentication (the password is an
 * auth token, checked here against the expected host, login and credentials), then the session
 * relayed to a database connection the proxy opened beforehand with the login's password (the
 * proxy's pool), byte for byte.
 */
export async function startRdsProxyFake(options: {
  tls: TlsMaterial;
  host: string;
  port: number;
  region: string;
  credentials: AwsCredentials;
  upstreamUrl: (login: string) => string;
}): Promise<LocalEndpoint & { rejected(): number; prepare(login: string, sessions: number): Promise<void> }> {
  let served = 0;
  let rejected = 0;
  const idle = new Map<string, Promise<pg.Client>[]>();
  const open = (login: string) => {
    const client = new pg.Client({ connectionString: options.upstreamUrl(login) });
    client.on('error', () => undefined);
    return client.connect().then(() => client);
  };
  // A session takes a connection opened before the measurement: opening one makes the database
  // fork a backend, work that would land on the measured process's time on a two-core machine.
  const take = (login: string) => idle.get(login)?.shift() ?? open(login);
  const sessions = new Set<Socket | TLSSocket>();

  const handle = async (socket: Socket) => {
    sessions.add(socket);
    socket.on('close', () => sessions.delete(socket));
    const plain = reader(socket);
    const [, request] = await plain.next(false);
    if (request.readInt32BE(0) !== SSL_REQUEST_CODE) throw new Error('RDS Proxy requires TLS');
    plain.release();
    socket.write('S');
    const secure = new TLSSocket(socket, { isServer: true, key: options.tls.key, cert: options.tls.cert });
    sessions.add(secure);
    const session = reader(secure);
    const [, startup] = await session.next(false);
    const fields = startup.subarray(4).toString('utf8').split('\0');
    const parameters = new Map<string, string>();
    for (let index = 0; index + 1 < fields.length && fields[index]; index += 2) parameters.set(fields[index] as string, fields[index + 1] as string);
    const user = parameters.get('user') ?? '';
    secure.write(message('R', int32(3)));
    const [type, password] = await session.next(true);
    const token = password.subarray(0, Math.max(0, password.length - 1)).toString('utf8');
    if (type !== 'p' || !rdsAuthTokenIsValid(token, { host: options.host, port: options.port, user, region: options.region,
      credentials: options.credentials })) {
      rejected += 1;
      secure.end(message('E', Buffer.from('SFATAL\0C28P01\0MIAM authentication failed\0\0')));
      return;
    }
    const upstream = await take(user);
    served += 1;
    const stream = (upstream as unknown as { connection: { stream: Socket } }).connection.stream;
    // The client library's parser lets go of the connection: from here on bytes pass through.
    stream.removeAllListeners('data');
    const early = session.release();
    secure.write(Buffer.concat([message('R', int32(0)), message('Z', Buffer.from('I'))]));
    if (early.length > 0) stream.write(early);
    secure.pipe(stream);
    stream.pipe(secure);
    secure.on('close', () => stream.destroy());
    stream.on('close', () => secure.destroy());
    secure.on('error', () => stream.destroy());
  };

  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    handle(socket).catch(() => socket.destroy());
  });
  const port = await listen(server);
  return {
    port,
    served: () => served,
    rejected: () => rejected,
    async prepare(login, count) {
      const ready = idle.get(login) ?? [];
      idle.set(login, ready);
      while (ready.length < count) ready.push(open(login));
      await Promise.all(ready);
    },
    async close() {
      for (const socket of sessions) socket.destroy();
      await closeServer(server);
      for (const ready of idle.values()) {
        for (const client of ready) await client.then((connected) => connected.end()).catch(() => undefined);
      }
    },
  };
}

/**
 * A preload for the fresh process: connections to the mapped `host:port` pairs go to the local
 * endpoints (TLS still verifies the real host name); every other connection is refused, so the
 * code under test stays offline and cannot reach anything unplanned.
 */
export function networkMapScript(map: Readonly<Record<string, number>>): string {
  return `
const net = require('node:net');
const map = ${JSON.stringify(map)};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let [first, second] = args;
  if (Array.isArray(first)) [first, second] = first;
  const options = first !== null && typeof first === 'object' ? first : { port: Number(first), host: typeof second === 'string' ? second : 'localhost' };
  const callback = args.find((arg) => typeof arg === 'function') ?? (Array.isArray(args[0]) ? args[0][1] : undefined);
  const local = map[options.host + ':' + options.port];
  if (!local) throw new Error('network access outside the benchmark map: ' + options.host + ':' + options.port);
  return connect.call(this, { ...options, host: '127.0.0.1', port: local, lookup: undefined }, callback);
};
`;
}
