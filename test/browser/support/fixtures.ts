import { type APIRequestContext, test as base, expect, request as requests } from '@playwright/test';
import type { Role } from '../../../lambdas/shared/tenancy/actor';
import { type BrowserProblemWatch, watchBrowserProblems } from './browser-problems';
import { type StackIdentity, stackIdentity } from './tokens';

/**
 * The test every browser spec imports instead of Playwright's: each browser context is watched,
 * and a test fails when any of its pages logged a console error, threw, or violated the
 * Content-Security-Policy — unless the test declared that message expected:
 *
 *   test.use({ allowedConsoleErrors: [/status of 409/] });   // for the whole file, or
 *   browserProblems.allow(/status of 409/);                    // from inside one test
 *
 * For arranging data through the API: `apiAs('FacilityUser')` is a request context of the stack
 * that sends that demo user's token (`apiAs('FacilityAdmin', 'admin@oakgrove.example')` for
 * another user); `stack` mints the tokens themselves (support/tokens.ts).
 */
export interface HarnessFixtures {
  allowedConsoleErrors: RegExp[];
  browserProblems: BrowserProblemWatch;
  stack: StackIdentity;
  apiAs: (role: Role, email?: string) => Promise<APIRequestContext>;
}

export const test = base.extend<HarnessFixtures>({
  allowedConsoleErrors: [[], { option: true }],
  browserProblems: async ({ context, allowedConsoleErrors }, use) => {
    const watch = await watchBrowserProblems(context, allowedConsoleErrors);
    await use(watch);
    expect(watch.problems(), `the pages reported problems:\n${watch.describe()}`).toEqual([]);
  },
  // Every test that opens a page is watched, whether or not it names browserProblems.
  page: async ({ page, browserProblems }, use) => {
    void browserProblems;
    await use(page);
  },
  stack: async ({ baseURL }, use) => {
    if (!baseURL) throw new Error('no baseURL: the global setup did not start the local stack');
    await use(stackIdentity());
  },
  apiAs: async ({ baseURL, stack }, use) => {
    const opened: APIRequestContext[] = [];
    await use(async (role, email) => {
      const context = await requests.newContext({ baseURL, extraHTTPHeaders: stack.authorization(role, email) });
      opened.push(context);
      return context;
    });
    await Promise.all(opened.map((context) => context.dispose()));
  },
});

export { expect };
