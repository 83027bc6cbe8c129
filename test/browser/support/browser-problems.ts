import type { BrowserContext, ConsoleMessage, Page } from '@playwright/test';

/**
 * Everything a page reports as going wrong: console errors, uncaught exceptions and rejections,
 * and Content-Security-Policy violations. Chromium logs most CSP refusals as console errors on
 * its own; the init script also reports each `securitypolicyviolation` event, so a violation
 * is caught even where no message is logged (report-only policies, blocked styles). Init scripts
 * run through the DevTools protocol, outside the page's CSP: the app itself needs no inline script.
 *
 * Used by the test fixture (support/fixtures.ts) and the console benchmark; no test runner here.
 */
export const CSP_VIOLATION_PREFIX = '[csp-violation]';

export interface BrowserProblem {
  readonly kind: 'console-error' | 'page-error' | 'csp-violation';
  readonly text: string;
  readonly url: string;
}

export interface BrowserProblemWatch {
  /** Problems so far, allowed ones excluded. */
  problems(): BrowserProblem[];
  /** Stops counting messages that match: a test that expects a 409 expects Chromium's "Failed to load resource … 409". */
  allow(pattern: RegExp): void;
  /** One line per problem, for an assertion message. */
  describe(): string;
}

function reportViolations(prefix: string): void {
  const report = console.error.bind(console);
  document.addEventListener('securitypolicyviolation', (event) => {
    report(`${prefix} ${JSON.stringify({
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      source: event.sourceFile,
      line: event.lineNumber,
      sample: event.sample,
    })}`);
  }, true);
}

export async function watchBrowserProblems(context: BrowserContext, allowed: readonly RegExp[] = []): Promise<BrowserProblemWatch> {
  const found: BrowserProblem[] = [];
  const allowList = [...allowed];
  await context.addInitScript(reportViolations, CSP_VIOLATION_PREFIX);
  context.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const location = message.location();
    found.push({
      kind: text.startsWith(CSP_VIOLATION_PREFIX) ? 'csp-violation' : 'console-error',
      text,
      url: location.url ? `${location.url}:${location.lineNumber}` : (message.page()?.url() ?? ''),
    });
  });
  context.on('weberror', (error) => {
    const thrown = error.error();
    found.push({ kind: 'page-error', text: thrown.stack ?? thrown.message, url: error.page()?.url() ?? '' });
  });
  const problems = () => found.filter((problem) => !allowList.some((pattern) => pattern.test(problem.text)));
  return {
    problems,
    allow: (pattern) => {
      allowList.push(pattern);
    },
    describe: () => problems().map((problem) => `${problem.kind} at ${problem.url || '(no url)'}: ${problem.text}`).join('\n'),
  };
}

/** For a single page opened outside a watched context. */
export async function watchPage(page: Page, allowed: readonly RegExp[] = []): Promise<BrowserProblemWatch> {
  return watchBrowserProblems(page.context(), allowed);
}
