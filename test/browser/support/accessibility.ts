import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/**
 * axe-core on the page as it is now (run it again after a dialog opens or a step completes: axe
 * sees only what is rendered). Fails on any violation of impact `serious` or `critical`, naming
 * each rule, its help text and the elements it found; moderate and minor ones are attached to
 * the test's report but do not fail it.
 */
export interface AxeOptions {
  /** Only this part of the page (CSS selector). */
  include?: string;
  /** Leave out parts the test does not own, e.g. a third-party widget (CSS selectors). */
  exclude?: string[];
}

const FAILING = new Set(['serious', 'critical']);

export async function expectNoSeriousA11yViolations(page: Page, options: AxeOptions = {}): Promise<void> {
  let builder = new AxeBuilder({ page });
  if (options.include) builder = builder.include(options.include);
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  const results = await builder.analyze();
  const serious = results.violations.filter((violation) => FAILING.has(violation.impact ?? ''));
  const described = serious.map((violation) => {
    const targets = violation.nodes.map((node) => node.target.map(String).join(' >> ')).slice(0, 10);
    const more = violation.nodes.length > targets.length ? ` (+${violation.nodes.length - targets.length} more)` : '';
    return `${violation.id} [${violation.impact}] ${violation.help}: ${targets.join(', ')}${more}`;
  });
  expect(described, `axe found serious or critical accessibility violations on ${page.url()}:\n${described.join('\n')}`)
    .toEqual([]);
}
