import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda, type LambdaBundle } from '../../lib/constructs/lambda-bundle';
import { dummyEnvironment, entryEnvironment, environmentThatLoads, LAMBDA_ENTRIES, NETWORK_GUARD } from '../../bench/p1-bundles';

/**
 * What the construct's build (lib/constructs/lambda-bundle.ts, the one P1 measures) writes: no
 * file of any bundle carries the SDK's default credential chain (credentials come from the Lambda
 * environment, lambdas/shared/aws) or browser-only code, even as a chunk nobody loads; the SDK
 * clients and the RDS token signer sit in chunks loaded on first use, not in what a cold start
 * reads. Size budgets are P1's business; this says which packages, so a dropped alias, a
 * CommonJS build or a static import sneaking back fails here.
 */
const ROOT = join(__dirname, '..', '..');
const FORBIDDEN = /node_modules\/(@aws-sdk\/credential-provider-[a-z-]+|@aws-sdk\/credential-providers|@aws-sdk\/nested-clients|@smithy\/credential-provider-imds|bowser)\//;
const SDK_CLIENT = /node_modules\/(@aws-sdk\/(client-[a-z-]+|rds-signer))\//;

// Each entry is built once for the whole file, into a folder removed at the end.
const work = mkdtempSync(join(tmpdir(), 'nemt-bundle-contents-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bundles = new Map<string, LambdaBundle>();

function built(entry: string): LambdaBundle {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = bundleLambda(entry, join(work, String(bundles.size)));
    bundles.set(entry, bundle);
  }
  return bundle;
}

/** Inputs that reached the given output files (names relative to the output directory). */
function inputsOf(bundle: LambdaBundle, files: readonly string[]): string[] {
  return Object.entries(bundle.metafile.outputs)
    .filter(([path]) => files.includes(path.slice(path.lastIndexOf('/') + 1)))
    .flatMap(([, output]) => Object.entries(output.inputs).filter(([, info]) => info.bytesInOutput > 0).map(([input]) => input));
}

test.each(LAMBDA_ENTRIES.filter((entry) => !entry.includes('pre-token')))('%s carries no credential chain and no browser code in any file', (entry) => {
  const bundle = built(entry);
  const inputs = inputsOf(bundle, bundle.files);
  expect(inputs.some((input) => input.includes('@aws-sdk/'))).toBe(true);
  expect(inputs.filter((input) => FORBIDDEN.test(input))).toEqual([]);
});

test.each(['lambdas/api/handler.ts', 'lambdas/users/handler.ts', 'lambdas/intake/handler.ts', 'lambdas/notify/handler.ts',
  'lambdas/relay/handler.ts'])(
  '%s loads its SDK clients and the token signer on first use, not at init', (entry) => {
    const bundle = built(entry);
    const atInit = inputsOf(bundle, bundle.initFiles);
    const later = inputsOf(bundle, bundle.files.filter((file) => !bundle.initFiles.includes(file)));
    expect(atInit.filter((input) => SDK_CLIENT.test(input))).toEqual([]);
    expect(later.some((input) => input.includes('@aws-sdk/rds-signer/'))).toBe(true);
    expect(later.some((input) => /node_modules\/@aws-sdk\/client-/.test(input))).toBe(true);
  });

test.each(['lambdas/api/handler.ts', 'lambdas/users/handler.ts'])('%s builds no route group and loads no handler at init', (entry) => {
  const bundle = built(entry);
  const atInit = inputsOf(bundle, bundle.initFiles);
  const everything = inputsOf(bundle, bundle.files);
  const routeCode = /^lambdas\/api\/(route-table\/(?!access\.ts)|handlers\/|schemas\/(?!common\.ts))/;
  expect(atInit.filter((input) => routeCode.test(input))).toEqual([]);
  // …while the groups and handlers are all deployed, each to load on first use.
  expect(everything.some((input) => input === 'lambdas/api/route-table/trip-requests.ts')).toBe(true);
  expect(everything.some((input) => input === 'lambdas/api/handlers/legs.ts')).toBe(true);
});

test.each([...LAMBDA_ENTRIES])('%s loads in a fresh Node as Lambda loads it (import() of index.mjs), with no network', async (entry) => {
  const bundle = built(entry);
  expect(bundle.entryFile).toMatch(/\/index\.mjs$/);
  expect(bundle.files.every((file) => file.endsWith('.mjs'))).toBe(true);
  // The CommonJS shims (pg's `require`s of Node's modules) head every file.
  expect(readFileSync(bundle.entryFile, 'utf8')).toContain('const require=__nemtCreateRequire(import.meta.url);');
  const guard = join(work, 'network-guard.cjs');
  writeFileSync(guard, NETWORK_GUARD);
  // Dummy configuration the entry asks for; loading fails if the module is broken or exports no handler.
  const { sample } = await environmentThatLoads(bundle.entryFile, guard, { ...dummyEnvironment(), ...entryEnvironment(entry) });
  expect({ entry, error: sample.error }).toEqual({ entry, error: undefined });
});

test('the migration function gets the schema beside its code', () => {
  const withSchema = mkdtempSync(join(tmpdir(), 'nemt-bundle-files-'));
  try {
    bundleLambda('lambdas/migrate/handler.ts', withSchema, { directory: 'schema', extension: '.sql' });
    expect(readFileSync(join(withSchema, 'schema', '0001_roles_and_context.sql'), 'utf8'))
      .toBe(readFileSync(join(ROOT, 'schema', '0001_roles_and_context.sql'), 'utf8'));
  } finally {
    rmSync(withSchema, { recursive: true, force: true });
  }
});
