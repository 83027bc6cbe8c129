import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { bundleLambda, type LambdaBundle } from '../../lib/constructs/lambda-bundle';
import { LAMBDA_ENTRIES } from '../../bench/p1-bundles';

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

function built<T>(entry: string, use: (bundle: LambdaBundle, dir: string) => T): T {
  const work = mkdtempSync(join(tmpdir(), 'nemt-bundle-contents-'));
  try {
    return use(bundleLambda(entry, work), work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Inputs that reached the given output files (names relative to the output directory). */
function inputsOf(bundle: LambdaBundle, files: readonly string[]): string[] {
  return Object.entries(bundle.metafile.outputs)
    .filter(([path]) => files.includes(path.slice(path.lastIndexOf('/') + 1)))
    .flatMap(([, output]) => Object.entries(output.inputs).filter(([, info]) => info.bytesInOutput > 0).map(([input]) => input));
}

test.each(LAMBDA_ENTRIES.filter((entry) => !entry.includes('pre-token')))('%s carries no credential chain and no browser code in any file', (entry) => {
  built(entry, (bundle) => {
    const inputs = inputsOf(bundle, bundle.files);
    expect(inputs.some((input) => input.includes('@aws-sdk/'))).toBe(true);
    expect(inputs.filter((input) => FORBIDDEN.test(input))).toEqual([]);
  });
});

test.each(['lambdas/api/handler.ts', 'lambdas/users/handler.ts', 'lambdas/intake/handler.ts'])(
  '%s loads its SDK clients and the token signer on first use, not at init', (entry) => {
    built(entry, (bundle) => {
      const atInit = inputsOf(bundle, bundle.initFiles);
      const later = inputsOf(bundle, bundle.files.filter((file) => !bundle.initFiles.includes(file)));
      expect(atInit.filter((input) => SDK_CLIENT.test(input))).toEqual([]);
      expect(later.some((input) => input.includes('@aws-sdk/rds-signer/'))).toBe(true);
      expect(later.some((input) => /node_modules\/@aws-sdk\/client-/.test(input))).toBe(true);
    });
  });

test.each(['lambdas/api/handler.ts', 'lambdas/users/handler.ts'])('%s builds no route group and loads no handler at init', (entry) => {
  built(entry, (bundle) => {
    const atInit = inputsOf(bundle, bundle.initFiles);
    const everything = inputsOf(bundle, bundle.files);
    const routeCode = /^lambdas\/api\/(route-table\/(?!access\.ts)|handlers\/|schemas\/(?!common\.ts))/;
    expect(atInit.filter((input) => routeCode.test(input))).toEqual([]);
    // …while the groups and handlers are all deployed, each to load on first use.
    expect(everything.some((input) => input === 'lambdas/api/route-table/trip-requests.ts')).toBe(true);
    expect(everything.some((input) => input === 'lambdas/api/handlers/legs.ts')).toBe(true);
  });
});

test('the bundle is ES modules Node loads as Lambda does, with the CommonJS shims and the files it reads', () => {
  built('lambdas/migrate/handler.ts', (bundle, dir) => {
    expect(bundle.entryFile).toBe(join(dir, 'index.mjs'));
    expect(bundle.files.every((file) => file.endsWith('.mjs'))).toBe(true);
    const entry = readFileSync(bundle.entryFile, 'utf8');
    expect(entry).toContain('const require=__nemtCreateRequire(import.meta.url);');
    // Loaded by Node as an ES module: the handler is exported and pg's CommonJS `require`s resolve.
    const loaded = spawnSync(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(pathToFileURL(bundle.entryFile).href)}); process.stdout.write(typeof m.handler);`],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:000000000000:cluster:x',
      DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x', DB_NAME: 'nemt', AWS_REGION: 'us-east-1' } });
    expect({ status: loaded.status, out: loaded.stdout, err: loaded.stderr.slice(0, 500) }).toEqual({ status: 0, out: 'function', err: '' });
  });
  const withSchema = mkdtempSync(join(tmpdir(), 'nemt-bundle-files-'));
  try {
    bundleLambda('lambdas/migrate/handler.ts', withSchema, { directory: 'schema', extension: '.sql' });
    expect(readFileSync(join(withSchema, 'schema', '0001_roles_and_context.sql'), 'utf8'))
      .toBe(readFileSync(join(ROOT, 'schema', '0001_roles_and_context.sql'), 'utf8'));
  } finally {
    rmSync(withSchema, { recursive: true, force: true });
  }
});
