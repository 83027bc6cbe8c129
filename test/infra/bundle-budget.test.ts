import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_BUDGETS_KB, bundleSizes, overBudget } from '../../bench/p1-budgets';
import { LAMBDA_ENTRIES } from '../../bench/p1-bundles';

/**
 * Every Lambda bundle, built as the CDK app builds it (esbuild with the options read from
 * lib/constructs/app-function.ts), stays within its size budget (bench/p1-budgets.ts).
 */
const ROOT = join(__dirname, '..', '..');

describe('Lambda bundle sizes', () => {
  it('knows every Lambda the stacks deploy', () => {
    const stacks = join(ROOT, 'lib', 'stacks');
    const deployed = readdirSync(stacks).filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [...readFileSync(join(stacks, file), 'utf8').matchAll(/\bentry:\s*'([^']+)'/g)].map((match) => match[1] as string));
    expect(deployed.length).toBeGreaterThan(0);
    expect([...new Set(deployed)].sort()).toEqual([...LAMBDA_ENTRIES].sort());
  });

  it('has one budget per Lambda entry and none for anything else', () => {
    expect(Object.keys(BUNDLE_BUDGETS_KB).sort()).toEqual([...LAMBDA_ENTRIES].sort());
  });

  it('keeps every bundle within its budget', async () => {
    const sizes = await bundleSizes(LAMBDA_ENTRIES, ROOT);
    expect(sizes.map((size) => size.entry)).toEqual([...LAMBDA_ENTRIES]);
    // Real bundles, not stubs: the assertion below compares what esbuild wrote.
    for (const size of sizes) expect(size.kb).toBeGreaterThan(0.1);
    expect(overBudget(sizes, BUNDLE_BUDGETS_KB)).toEqual([]);
  });

  it('reports a bundle that outgrows its budget, and one without a budget', async () => {
    const entry = 'test/infra/fixtures/bundle-budget/small-handler.ts';
    const [size] = await bundleSizes([entry], ROOT);
    if (!size) throw new Error('the fixture was not bundled');
    expect(size.kb).toBeGreaterThan(0.05);
    expect(overBudget([size], { [entry]: size.kb + 1 })).toEqual([]);
    expect(overBudget([size], { [entry]: size.kb / 2 })).toEqual([expect.stringContaining(entry)]);
    expect(overBudget([size], {})).toEqual([`${entry}: ${size.kb.toFixed(1)} KB > no budget KB`]);
  });
});
