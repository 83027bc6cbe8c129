import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { bundle, bundlingOptionsFromConstruct, LAMBDA_ENTRIES } from '../../bench/p1-bundles';

/**
 * What no Lambda bundle may carry, built as the construct builds it (the options P1 reads from
 * lib/constructs/app-function.ts): the SDK's default credential chain (credentials come from the
 * Lambda environment, lambdas/shared/aws) and browser-only code. Size budgets are P1's business;
 * this says which packages, so a dropped alias or a CommonJS build sneaking back fails here.
 */
const ROOT = join(__dirname, '..', '..');
const FORBIDDEN = /node_modules\/(@aws-sdk\/credential-provider-[a-z-]+|@aws-sdk\/nested-clients|@smithy\/credential-provider-imds|bowser)\//;

/** The inputs that reached the bundle, built by P1's own `bundle` with the construct's options. */
async function packagesIn(entry: string): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'nemt-bundle-contents-'));
  try {
    const { metafile } = await bundle(join(ROOT, entry), work, bundlingOptionsFromConstruct());
    const output = Object.values(metafile.outputs).find((out) => out.entryPoint) as Metafile['outputs'][string];
    return Object.entries(output.inputs).filter(([, info]) => info.bytesInOutput > 0).map(([input]) => input);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test('the construct replaces the default credential chain and prefers ES module builds', () => {
  const options = bundlingOptionsFromConstruct();
  expect(options.mainFields).toEqual(['module', 'main']);
  expect(options.alias?.['@aws-sdk/credential-provider-node']).toBe(join(ROOT, 'lambdas/shared/aws/default-credential-provider.ts'));
});

test('the bench refuses a construct whose esbuild flags it would not apply', () => {
  const source = readFileSync(join(ROOT, 'lib/constructs/app-function.ts'), 'utf8');
  expect(() => bundlingOptionsFromConstruct(source)).not.toThrow();
  const withMore = source.replace("'--legal-comments': 'none',", "'--legal-comments': 'none', '--drop-labels': 'DEV',");
  expect(withMore).not.toBe(source);
  expect(() => bundlingOptionsFromConstruct(withMore)).toThrow('does not read esbuildArgs --drop-labels');
});

test.each(LAMBDA_ENTRIES.filter((entry) => !entry.includes('pre-token')))('%s bundles no credential chain and no browser code', async (entry) => {
  const inputs = await packagesIn(entry);
  expect(inputs.some((input) => input.includes('@aws-sdk/'))).toBe(true);
  expect(inputs.filter((input) => FORBIDDEN.test(input))).toEqual([]);
});
