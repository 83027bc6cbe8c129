import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_BUDGETS_KB, bundleSizes, overBudget } from '../../bench/p1-budgets';
import { API_ENTRIES, LAMBDA_ENTRIES, SIZE_LIMIT_KB } from '../../bench/p1-bundles';

/**
 * Every Lambda bundle, built by the construct's own build (lib/constructs/lambda-bundle.ts),
 * stays within its size budgets (bench/p1-budgets.ts): what a cold start loads, and everything.
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

  it('holds the API-facing bundles to PERFORMANCE.md\'s 300 KB at init', () => {
    expect(SIZE_LIMIT_KB).toBe(300);
    expect(API_ENTRIES.size).toBe(3);
    for (const entry of API_ENTRIES) {
      expect([entry, BUNDLE_BUDGETS_KB[entry as keyof typeof BUNDLE_BUDGETS_KB].init <= SIZE_LIMIT_KB]).toEqual([entry, true]);
    }
  });

  it('keeps every bundle within its budget', () => {
    const sizes = bundleSizes(LAMBDA_ENTRIES, ROOT);
    expect(sizes.map((size) => size.entry)).toEqual([...LAMBDA_ENTRIES]);
    // Real bundles, not stubs: the assertion below compares what esbuild wrote.
    for (const size of sizes) {
      expect(size.kb).toBeGreaterThan(0.1);
      expect(size.totalKb).toBeGreaterThanOrEqual(size.kb);
    }
    expect(overBudget(sizes, BUNDLE_BUDGETS_KB)).toEqual([]);
  });

  it('reports a bundle that outgrows either budget, and one without a budget', () => {
    const entry = 'test/infra/fixtures/bundle-budget/small-handler.ts';
    const [size] = bundleSizes([entry], ROOT);
    if (!size) throw new Error('the fixture was not bundled');
    expect(size.kb).toBeGreaterThan(0.05);
    const enough = { init: size.kb + 1, total: size.totalKb + 1 };
    expect(overBudget([size], { [entry]: enough })).toEqual([]);
    expect(overBudget([size], { [entry]: { ...enough, init: size.kb / 2 } })).toEqual([expect.stringContaining('loaded at init')]);
    expect(overBudget([size], { [entry]: { ...enough, total: size.totalKb / 2 } })).toEqual([expect.stringContaining('in all')]);
    expect(overBudget([size], {})).toEqual([`${entry}: ${size.kb.toFixed(1)} KB > no budget KB`]);
  });
});
