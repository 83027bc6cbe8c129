import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda } from '../lib/constructs/lambda-bundle';
import type { LAMBDA_ENTRIES } from './p1-bundles';

/**
 * Size budgets of the Lambda bundles (minified, KB of 1,024 bytes), as the CDK app builds them
 * (test/infra/bundle-budget.test.ts): `init`, what a cold start reads and compiles (the entry and
 * the chunks it imports statically), and `total`, every file deployed (with the chunks loaded on
 * first use). Size is deterministic, so a test can hold it; time stays in the benchmark (P1). Set
 * on 2026-12-07 when the bundles became split ES modules and the API's routes loaded by group, at
 * the sizes then plus about 3 %: lower each one when a cut lands, so a bundle that grows back
 * fails. PERFORMANCE.md's target for the API-facing ones is 300 KB, measured as `init`; the API,
 * users and intake budgets are under it.
 */
export const BUNDLE_BUDGETS_KB: Readonly<Record<(typeof LAMBDA_ENTRIES)[number], Budget>> = {
  'lambdas/api/handler.ts': { init: 285, total: 664 },
  'lambdas/users/handler.ts': { init: 284, total: 638 },
  'lambdas/intake/handler.ts': { init: 250, total: 435 },
  'lambdas/notify/handler.ts': { init: 150, total: 460 },
  'lambdas/relay/handler.ts': { init: 124, total: 308 },
  'lambdas/migrate/handler.ts': { init: 179, total: 194 },
  'lambdas/pre-token/handler.ts': { init: 2, total: 2 },
  'lambdas/anchor/handler.ts': { init: 420, total: 423 },
  'lambdas/standing-orders/handler.ts': { init: 133, total: 177 },
};

/** KB a cold start may load (the entry and what it imports statically), and KB in all. */
export interface Budget {
  readonly init: number;
  readonly total: number;
}

export interface BundleSize {
  readonly entry: string;
  /** What a cold start loads: the entry and the chunks it imports statically (P1's size). */
  readonly kb: number;
  /** Every file deployed, including chunks loaded on first use. */
  readonly totalKb: number;
}

/** Builds the entries with the construct's own build; their minified sizes. */
export function bundleSizes(entries: readonly string[], root: string): BundleSize[] {
  const work = mkdtempSync(join(tmpdir(), 'nemt-bundle-budget-'));
  try {
    return entries.map((entry, index) => {
      const built = bundleLambda(join(root, entry), join(work, String(index)));
      return { entry, kb: built.initBytes / 1024, totalKb: built.totalBytes / 1024 };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The bundles over their budget (an entry without a budget is over it). */
export function overBudget(sizes: readonly BundleSize[], budgets: Readonly<Record<string, Budget>>): string[] {
  return sizes.flatMap((size) => {
    const budget = budgets[size.entry];
    if (!budget) return [`${size.entry}: ${size.kb.toFixed(1)} KB > no budget KB`];
    return [
      ...(size.kb <= budget.init ? [] : [`${size.entry}: ${size.kb.toFixed(1)} KB loaded at init > ${budget.init} KB`]),
      ...(size.totalKb <= budget.total ? [] : [`${size.entry}: ${size.totalKb.toFixed(1)} KB in all > ${budget.total} KB`]),
    ];
  });
}
