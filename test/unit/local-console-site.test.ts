import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsoleConfig, createConsoleSite, fileForPath } from '../../local/console-site';
import { createLocalIssuer } from '../../local/issuer';
import { freePort } from '../../local/processes';
import { createLocalGateway, createLocalHttpServer, type LambdaHandler, type LocalHttpServer } from '../../local/server';
import { consoleSecurityHeaders } from '../../web/security-headers';

/**
 * The local stack's console server over real HTTP: the headers CloudFront would send (one
 * source, web/security-headers.ts), caching by kind of file, the two HTML entry points, the SPA
 * fallback, no way out of web/dist, and `/v1` still the API's.
 */
const folder = mkdtempSync(join(tmpdir(), 'nemt-console-site-'));
const dist = join(folder, 'dist');
let server: LocalHttpServer;
let port: number;
let base: string;
let config: ConsoleConfig;

const files: Record<string, string> = {
  'index.html': '<!doctype html><title>console</title><script type="module" src="/assets/index-Ab12Cd34.js"></script>',
  'request/index.html': '<!doctype html><title>request a ride</title>',
  'assets/index-Ab12Cd34.js': 'console.log("app")',
  'assets/index-Ef56Gh78.css': 'body{}',
  'assets/logo-1a2b3c4d.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'favicon.ico': 'ico',
  '.nemt-build-stamp': 'abc',
};

beforeAll(async () => {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dist, name, '..'), { recursive: true });
    writeFileSync(join(dist, name), content);
  }
  writeFileSync(join(folder, 'secret.txt'), 'outside the dist folder');
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  config = {
    authority: base,
    clientId: 'local-console',
    scope: 'openid email nemt-api/api',
    signOutEndpoint: `${base}/logout`,
    revocationEndpoint: `${base}/oauth2/revoke`,
    providerName: 'Test Transport',
    timeZone: 'America/New_York',
  };
  const api: LambdaHandler = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"api":true}' });
  server = createLocalHttpServer();
  await server.listen(port);
  server.ready(createLocalGateway({
    issuer: createLocalIssuer({ issuer: base }),
    api,
    intake: api,
    console: createConsoleSite({ distDir: dist, config, signInOrigins: [base] }),
  }));
});

afterAll(async () => {
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A raw request: the path goes out byte for byte, without the URL normalisation fetch applies. */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('every static answer carries exactly the console headers of web/security-headers.ts (plain HTTP variant)', async () => {
  const expected = consoleSecurityHeaders({ signInOrigins: [base] }, { https: false });
  expect(expected['Content-Security-Policy']).not.toContain('upgrade-insecure-requests');
  for (const path of ['/', '/request', '/assets/index-Ab12Cd34.js', '/board', '/config.json', '/assets/missing.js']) {
    const answer = await raw(path);
    for (const [name, value] of Object.entries(expected)) {
      expect({ path, name, value: answer.headers[name.toLowerCase()] }).toEqual({ path, name, value });
    }
  }
});

test('content types and caching: hashed assets immutable for a year, HTML and the rest revalidated', async () => {
  const cases: [string, number, string, string, string][] = [
    ['/', 200, 'text/html; charset=utf-8', 'no-cache', 'console'],
    ['/index.html', 200, 'text/html; charset=utf-8', 'no-cache', 'console'],
    ['/assets/index-Ab12Cd34.js', 200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable', 'console.log'],
    ['/assets/index-Ef56Gh78.css', 200, 'text/css; charset=utf-8', 'public, max-age=31536000, immutable', 'body{}'],
    ['/assets/logo-1a2b3c4d.svg', 200, 'image/svg+xml', 'public, max-age=31536000, immutable', '<svg'],
    ['/favicon.ico', 200, 'image/x-icon', 'no-cache', 'ico'],
  ];
  for (const [path, status, type, cache, content] of cases) {
    const answer = await raw(path);
    expect({ path, status: answer.status, type: answer.headers['content-type'], cache: answer.headers['cache-control'] })
      .toEqual({ path, status, type, cache });
    expect(answer.body).toContain(content);
  }
  // Revalidation is cheap: the ETag comes back as 304.
  const first = await raw('/');
  const again = await raw('/', 'GET', { 'If-None-Match': String(first.headers.etag) });
  expect(again.status).toBe(304);
  const head = await raw('/assets/index-Ab12Cd34.js', 'HEAD');
  expect({ status: head.status, body: head.body, length: head.headers['content-length'] }).toEqual({ status: 200, body: '', length: '18' });
});

test('/request is the public page; other paths fall back to the SPA, but a missing file is a 404', async () => {
  for (const path of ['/request', '/request/']) {
    const answer = await raw(path);
    expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 200, body: files['request/index.html'] });
  }
  for (const path of ['/callback?code=x&state=y', '/board', '/trips/4b0c3f7e-2a59-4d2e-9d0e-0c1f5e6a7b8c', '/v1foo']) {
    const answer = await raw(path);
    expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 200, body: files['index.html'] });
  }
  for (const path of ['/assets/missing.js', '/assets/sub', '/robots.txt', '/.nemt-build-stamp']) {
    const answer = await raw(path);
    expect({ path, status: answer.status, type: answer.headers['content-type'] }).toEqual({ path, status: 404, type: 'text/plain; charset=utf-8' });
  }
});

test('no path leaves web/dist, however it is spelled', async () => {
  for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/assets/%00.js', '/%E0%A4%A']) {
    const answer = await raw(path);
    expect(answer.body).not.toContain('outside the dist folder');
    expect(answer.body).not.toContain('root:');
    // Node's URL parser resolves a literal `..` first, so those land on the SPA fallback, inside dist.
    expect({ path, ok: answer.status === 404 || answer.status === 400 || answer.body === files['index.html'] }).toEqual({ path, ok: true });
  }
  expect(fileForPath(dist, '/..%2fsecret.txt')).toEqual({ refused: 404 });
  expect(fileForPath(dist, '/a/../../secret.txt')).toEqual({ refused: 404 });
  expect(fileForPath(dist, '/%E0%A4%A')).toEqual({ refused: 400 });
  expect(fileForPath(dist, '/assets/x.js')).toEqual({ file: join(dist, 'assets', 'x.js') });
});

test('/config.json has the contract shape; /v1 still goes to the API; other methods are refused', async () => {
  const answer = await raw('/config.json');
  expect(answer.status).toBe(200);
  expect(answer.headers['content-type']).toBe('application/json');
  const body = JSON.parse(answer.body);
  expect(Object.keys(body).sort()).toEqual(['authority', 'clientId', 'providerName', 'revocationEndpoint', 'scope', 'signOutEndpoint', 'timeZone']);
  expect(body).toEqual(config);
  expect(JSON.parse((await raw('/v1/me')).body)).toEqual({ api: true });
  const post = await raw('/board', 'POST');
  expect({ status: post.status, allow: post.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
});

test('without a build, the console paths say how to build it', async () => {
  const site = createConsoleSite({ distDir: join(folder, 'nothing'), config, signInOrigins: [] });
  const answer = await site.dispatch({ method: 'GET', url: '/board' });
  expect(answer.status).toBe(503);
  expect(String(answer.body)).toContain('npm run build:web');
});
