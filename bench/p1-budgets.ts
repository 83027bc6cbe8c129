import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, type BundlingOptions, bundlingOptionsFromConstruct, type LAMBDA_ENTRIES } from './p1-bundles';

/**
 * Size budgets of the Lambda bundles (minified, KB of 1,024 bytes), as the CDK app builds them
 * (test/infra/bundle-budget.test.ts). Size is deterministic, so a test can hold it; time stays in
 * the benchmark (P1). Set on 2026-12-07 at the sizes after the first cold-start cuts of issue 17
 * (ES module entry points, no legal comments, credentials from the environment only, one small
 * module per SDK client) plus about 3 %: lower each one when a cut lands, so a bundle that grows
 * back fails. PERFORMANCE.md's target for the API-facing ones is 300 KB.
 */
export const BUNDLE_BUDGETS_KB: Readonly<Record<(typeof LAMBDA_ENTRIES)[number], number>> = {
  'lambdas/api/handler.ts': 661,
  'lambdas/users/handler.ts': 677,
  'lambdas/intake/handler.ts': 460,
  'lambdas/notify/handler.ts': 480,
  'lambdas/relay/handler.ts': 307,
  'lambdas/migrate/handler.ts': 197,
  'lambdas/pre-token/handler.ts': 2,
  'lambdas/anchor/handler.ts': 427,
  'lambdas/standing-orders/handler.ts': 159,
};

export interface BundleSize {
  readonly entry: string;
  readonly kb: number;
}

/** Builds the entries side by side with the construct's options; their minified sizes. */
export async function bundleSizes(entries: readonly string[], root: string, options: BundlingOptions = bundlingOptionsFromConstruct()):
  Promise<BundleSize[]> {
  const work = mkdtempSync(join(tmpdir(), 'nemt-bundle-budget-'));
  try {
    return await Promise.all(entries.map(async (entry, index) => {
      const built = await bundle(join(root, entry), join(work, String(index)), options);
      return { entry, kb: built.bytes / 1024 };
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The bundles over their budget (an entry without a budget is over it). */
export function overBudget(sizes: readonly BundleSize[], budgets: Readonly<Record<string, number>>): string[] {
  return sizes
    .filter((size) => !(size.kb <= (budgets[size.entry] ?? -1)))
    .map((size) => `${size.entry}: ${size.kb.toFixed(1)} KB > ${budgets[size.entry] ?? 'no budget'} KB`);
}
