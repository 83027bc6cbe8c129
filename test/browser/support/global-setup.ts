import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalStackProcess } from '../../support/local-stack-process';
import { assertChromiumInstalled } from './chromium';

/**
 * Starts the real local stack (`npm start -- --fresh` in a fresh temporary data folder, on a free
 * port) and hands its URL and data folder to the tests through the environment, which the
 * workers inherit: NEMT_BROWSER_BASE_URL (the config's baseURL) and NEMT_LOCAL_DIR (tokens for
 * set-up calls, support/tokens.ts). The function it returns is the global teardown: the stack
 * stops as on Ctrl-C, its process group goes with it, PostgreSQL included, and so does the folder.
 *
 * PLAYWRIGHT_BASE_URL points the tests at a stack you already run instead (`npm start`, with
 * NEMT_LOCAL_DIR if it is not .local/); it is then left running.
 */
const ROOT = resolve(__dirname, '..', '..', '..');

export default async function globalSetup(): Promise<() => Promise<void>> {
  assertChromiumInstalled();
  const external = process.env.PLAYWRIGHT_BASE_URL?.trim();
  if (external) {
    process.env.NEMT_BROWSER_BASE_URL = external.replace(/\/$/, '');
    return async () => undefined;
  }
  const logDir = join(ROOT, 'test-results');
  mkdirSync(logDir, { recursive: true });
  const started = Date.now();
  const stack = await startLocalStackProcess({ logFile: join(logDir, 'local-stack.log') });
  process.stdout.write(`local stack ready at ${stack.url} in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(log: test-results/local-stack.log)\n`);
  process.env.NEMT_BROWSER_BASE_URL = stack.url;
  process.env.NEMT_LOCAL_DIR = stack.dataDir;
  return async () => {
    const code = await stack.stop();
    if (code !== 0) process.stdout.write(`local stack exited with ${code}; see test-results/local-stack.log\n`);
  };
}
