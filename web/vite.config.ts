import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';
import { DEV_SERVER_PORT, devServerProxy } from '../local/dev-proxy';

/**
 * Two pages, built to web/dist: the signed-in console (index.html, a React SPA) and the public
 * "Request a ride" page (request/index.html, no React). Run with web/ as the root
 * (`vite build web`, `vite web`), so every path here is relative to web/.
 *
 * The output must live under the strict CSP of web/security-headers.ts (script-src 'self', no
 * inline script or style, worker-src 'self'): no module-preload polyfill (Vite would inline it as
 * a script), no assets inlined as data: URLs, workers emitted as their own files.
 */
export default defineConfig(({ mode }) => {
  // NEMT_STACK_ORIGIN (environment or .env): where `npm run dev:web` finds the local stack.
  const stack = loadEnv(mode, '..', 'NEMT_').NEMT_STACK_ORIGIN ?? 'http://127.0.0.1:3000';
  return {
    plugins: [react()],
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      assetsDir: 'assets',
      assetsInlineLimit: 0,
      sourcemap: false,
      target: 'es2022',
      modulePreload: { polyfill: false },
      rolldownOptions: {
        input: { console: 'index.html', request: 'request/index.html' },
      },
    },
    worker: { format: 'es' },
    // `npm run dev:web`: hot reload, with the API, the sign-in and /config.json from the running local stack.
    // The stack registers http://localhost:5173/callback for it (local/dev-proxy.ts).
    server: { host: 'localhost', port: DEV_SERVER_PORT, strictPort: true, proxy: devServerProxy(stack) },
    preview: { host: '127.0.0.1' },
  };
});
