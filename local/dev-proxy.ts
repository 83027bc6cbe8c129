/**
 * `npm run dev:web`: Vite's dev server (hot reload) on http://localhost:5173 in front of a running
 * `npm start`. Everything that is not the console's own source is passed to the stack: the API,
 * the sign-in and the console's runtime configuration. For web/vite.config.ts:
 *
 *   import { DEV_SERVER_PORT, devServerProxy } from '../local/dev-proxy';
 *   server: { port: DEV_SERVER_PORT, strictPort: true, proxy: devServerProxy() },
 *
 * The sign-in itself happens at the stack's origin (config.json names it as the authority, so
 * tokens carry the same `iss` as with `npm start`); the stack registers
 * http://localhost:5173/callback and answers the dev origin's discovery, token and revocation
 * calls with CORS. No imports: Vite bundles this file into its config.
 */
export const DEV_SERVER_PORT = 5173;

/** Path prefixes served by the local stack, not by Vite. */
export const STACK_PATHS = ['/v1', '/oauth2', '/.well-known', '/logout', '/config.json'] as const;

export interface DevProxyRoute {
  target: string;
  /** Keep the browser's Host and Origin: the stack checks the origin against the registered ones. */
  changeOrigin: false;
  /** Redirects (sign-in, sign-out) keep pointing where the stack sent them. */
  autoRewrite: false;
}

/** Vite's `server.proxy` map: each stack path to the stack on `PORT` (default 3000). */
export function devServerProxy(
  stackOrigin = `http://127.0.0.1:${globalThis.process?.env?.PORT?.trim() || '3000'}`,
): Record<string, DevProxyRoute> {
  return Object.fromEntries(STACK_PATHS.map((path) => [path, { target: stackOrigin, changeOrigin: false, autoRewrite: false }]));
}
