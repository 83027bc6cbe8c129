import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { bundlingOptionsFromConstruct, LAMBDA_ENTRIES } from '../../bench/p1-bundles';

/**
 * What no Lambda bundle may carry, built as the construct builds it (the options P1 reads from
 * lib/constructs/app-function.ts): the SDK's default credential chain (credentials come from the
 * Lambda environment, lambdas/shared/aws) and browser-only code. Size budgets are P1's business;
 * this says which packages, so a dropped alias or a CommonJS build sneaking back fails here.
 */
const ROOT = join(__dirname, '..', '..');
const FORBIDDEN = /node_modules\/(@aws-sdk\/credential-provider-[a-z-]+|@aws-sdk\/nested-clients|@smithy\/credential-provider-imds|bowser)\//;

async function packagesIn(entry: string): Promise<string[]> {
  const options = bundlingOptionsFromConstruct();
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    platform: 'node',
    target: options.target,
    format: options.format,
    minify: options.minify,
    external: options.external,
    mainFields: options.mainFields,
    alias: options.alias,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0] as Metafile['outputs'][string];
  return Object.entries(output.inputs).filter(([, info]) => info.bytesInOutput > 0).map(([input]) => input);
}

test('the construct replaces the default credential chain and prefers ES module builds', () => {
  const options = bundlingOptionsFromConstruct();
  expect(options.mainFields).toEqual(['module', 'main']);
  expect(options.alias?.['@aws-sdk/credential-provider-node']).toBe(join(ROOT, 'lambdas/shared/aws/default-credential-provider.ts'));
});

test.each(LAMBDA_ENTRIES.filter((entry) => !entry.includes('pre-token')))('%s bundles no credential chain and no browser code', async (entry) => {
  const inputs = await packagesIn(entry);
  expect(inputs.some((input) => input.includes('@aws-sdk/'))).toBe(true);
  expect(inputs.filter((input) => FORBIDDEN.test(input))).toEqual([]);
});
