import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { ConsoleConfig } from '../web/console-config';
import { consoleSecurityHeaders } from '../web/security-headers';
import type { PlainRequest } from './api-gateway-event';
import type { GatewayAnswer } from './server';

/**
 * The built console (`web/dist`) as CloudFront serves it from S3, on the stack's own origin: the
 * same security headers (web/security-headers.ts, without upgrade-insecure-requests over plain
 * HTTP), long immutable caching for Vite's hashed `/assets/*`, revalidation for everything else,
 * `/request` for the public page and the SPA's `index.html` for any other path. Read from disk
 * on every request, so a rebuild shows on the next reload.
 */
export type { ConsoleConfig } from '../web/console-config';

export interface ConsoleSiteOptions {
  distDir: string;
  config: ConsoleConfig;
  /** Origins the console calls besides its own (the sign-in): its CSP's connect-src and form-action. */
  signInOrigins: readonly string[];
}

export interface ConsoleSite {
  dispatch(request: PlainRequest): Promise<GatewayAnswer>;
}

export const CONFIG_PATH = '/config.json';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `distDir` a URL path names, or why not. Refused rather than resolved: anything
 * that decodes to `..`, a backslash, a NUL or a dot-file (the build stamp, editor files), so no
 * spelling of a path leaves the folder; the final check on the resolved path backs that up.
 */
export function fileForPath(distDir: string, urlPath: string): { file: string } | { refused: 400 | 404 } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { refused: 400 };
  }
  if (!decoded.startsWith('/') || /[\\\0]/.test(decoded)) return { refused: 404 };
  const segments = decoded.split('/').slice(1);
  if (segments.some((segment) => segment === '..' || segment.startsWith('.'))) return { refused: 404 };
  const root = resolve(distDir);
  const file = resolve(join(root, ...segments));
  if (file !== root && !file.startsWith(root + sep)) return { refused: 404 };
  return { file: decoded.endsWith('/') ? join(file, 'index.html') : file };
}

async function regularFile(file: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

export function createConsoleSite(options: ConsoleSiteOptions): ConsoleSite {
  const root = resolve(options.distDir);
  const securityHeaders = consoleSecurityHeaders({ signInOrigins: options.signInOrigins }, { https: false });
  const configBody = JSON.stringify(options.config);

  const plain = (status: number, text: string, extra: Record<string, string> = {}): GatewayAnswer => ({
    status,
    headers: { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra },
    body: text,
  });

  const serveFile = async (request: PlainRequest, file: string, cacheControl: string): Promise<GatewayAnswer | undefined> => {
    const info = await regularFile(file);
    if (!info) return undefined;
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers = { ...securityHeaders, 'Content-Type': contentTypeOf(file), 'Cache-Control': cacheControl, ETag: etag };
    const ifNoneMatch = request.headers?.['if-none-match'] ?? request.headers?.['If-None-Match'];
    if (ifNoneMatch === etag) return { status: 304, headers, body: '' };
    return { status: 200, headers, body: await readFile(file) };
  };

  const notBuilt = (): GatewayAnswer => ({
    status: 503,
    headers: { ...securityHeaders, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head><body><main>' +
      '<h1>The console is not built</h1><p>Run <code>npm run build:web</code>, or restart with <code>npm start</code> ' +
      '(it builds the console unless started with <code>--no-build</code>).</p><p>The API is at <code>/v1</code>.</p></main></body></html>',
  });

  return {
    async dispatch(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return plain(405, 'Method not allowed', { Allow: 'GET, HEAD' });
      }
      const path = new URL(request.url, 'http://localhost').pathname;
      if (path === CONFIG_PATH) {
        return { status: 200, headers: { ...securityHeaders, 'Content-Type': 'application/json', 'Cache-Control': REVALIDATE }, body: configBody };
      }
      const spaIndex = join(root, 'index.html');
      if (path === '/request' || path === '/request/') {
        return (await serveFile(request, join(root, 'request', 'index.html'), REVALIDATE)) ?? notBuilt();
      }
      const target = fileForPath(root, path);
      if ('refused' in target) return plain(target.refused, target.refused === 400 ? 'Bad request' : 'Not found');
      const hashedAsset = path.startsWith('/assets/');
      const isHtml = contentTypeOf(target.file).startsWith('text/html');
      const found = await serveFile(request, target.file, hashedAsset && !isHtml ? IMMUTABLE : REVALIDATE);
      if (found) return found;
      // A missing script or image must not come back as the app's HTML (wrong type, confusing errors).
      const lastSegment = path.split('/').pop() ?? '';
      if (hashedAsset || lastSegment.includes('.')) return plain(404, 'Not found');
      return (await serveFile(request, spaIndex, REVALIDATE)) ?? notBuilt();
    },
  };
}
