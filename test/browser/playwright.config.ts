import { join, resolve } from 'node:path';
import { defineConfig } from '@playwright/test';
import { chromiumPath } from './support/chromium';

/**
 * Browser tests (`npm run test:browser`, the last step of `npm test`): Playwright Test in Debian's
 * Chromium (never a downloaded browser) against the real local stack, which the global setup
 * starts fresh on a free port and stops afterwards. One worker: the tests share that one stack
 * and its database, and the machine has two cores. Traces and screenshots of failed tests go
 * to test-results/browser/, the HTML report to playwright-report/ (both ignored by git).
 */
const ROOT = resolve(__dirname, '..', '..');
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

export default defineConfig({
  testDir: __dirname,
  testMatch: '**/*.spec.ts',
  outputDir: join(ROOT, 'test-results', 'browser'),
  globalSetup: './support/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { outputFolder: join(ROOT, 'playwright-report'), open: 'never' }]],
  use: {
    // Set by the global setup; the config is read again in each worker, after it ran.
    baseURL: process.env.NEMT_BROWSER_BASE_URL,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath(), args: ['--no-sandbox'] },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: 'off',
  },
});
