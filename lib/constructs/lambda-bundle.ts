import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';

/**
 * How every Lambda of the app is built: one esbuild run per function, used by the CDK construct
 * (lib/constructs/app-function.ts) at synth, and by P1, the bundle budgets and the contents test,
 * so what they measure is what deploys. No aws-cdk-lib here: the benchmark imports this file.
 *
 * ES modules with code splitting: a module the code loads with `import()` (an SDK client, the
 * handlers of one group of routes) goes into a file of its own that Node reads and compiles only
 * when a request first needs it, instead of at every cold start. `NodejsFunction` always writes
 * a single file, which is why the construct runs this build itself (docs/performance.md P1).
 */
export const PROJECT_ROOT = join(__dirname, '..', '..');

/** The Node major of the Lambda runtime (app-function.ts's NODE_RUNTIME; the construct refuses any other). */
export const LAMBDA_NODE_MAJOR = 24;

/** Files a function reads beside its code at run time, e.g. the migrations' `schema/*.sql`. */
export interface BundledFiles {
  /** Directory relative to the repository root; copied to the same name beside the code. */
  readonly directory: string;
  readonly extension: string;
}

export interface LambdaBundle {
  /** The file Lambda loads: `index.mjs`, exporting `handler`. */
  readonly entryFile: string;
  /** Every JavaScript file written (the entry and its chunks), relative to the output directory. */
  readonly files: readonly string[];
  /** Bytes of all JavaScript files. */
  readonly totalBytes: number;
  /** Bytes of the entry and the chunks it imports statically: what a cold start reads and compiles. */
  readonly initBytes: number;
  /** The same, file by file (relative names). */
  readonly initFiles: readonly string[];
  readonly metafile: Metafile;
}

/**
 * CommonJS packages in the bundle (pg) `require` Node's built-ins, and a few read `__dirname`:
 * an ES module has neither, so each output file defines them. The names are the ones those
 * packages use; esbuild's own identifiers are minified and cannot collide with them.
 */
const COMMONJS_SHIM = [
  "import{createRequire as __nemtCreateRequire}from'node:module';",
  "import{fileURLToPath as __nemtFileURLToPath}from'node:url';",
  "import{dirname as __nemtDirname}from'node:path';",
  'const require=__nemtCreateRequire(import.meta.url);',
  'const __filename=__nemtFileURLToPath(import.meta.url);',
  'const __dirname=__nemtDirname(__filename);',
].join('');

function lambdaBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: resolve(PROJECT_ROOT, entry) },
    outdir,
    bundle: true,
    platform: 'node',
    target: `node${LAMBDA_NODE_MAJOR}`,
    format: 'esm',
    splitting: true,
    // Entry and chunks side by side, so `__dirname` means the same in all of them.
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    banner: { js: COMMONJS_SHIM },
    minify: true,
    // Maps ship beside each file to decode a crash by hand; Node is not told to read them
    // (no --enable-source-maps: reading the maps would cost every cold start for stack traces
    // the logs never carry, ids and error codes only).
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    // The packages' ES module builds first: esbuild drops the exports a bundle never imports
    // (e.g. the SDK's browser user-agent parser, bowser), which their CommonJS builds keep.
    mainFields: ['module', 'main'],
    // The drivers' optional native and edge-runtime back ends are never loaded on Lambda.
    external: ['pg-native', 'pg-cloudflare', 'cloudflare:sockets'],
    // Lambda hands the role's credentials over in the environment, and every client takes them
    // from there (lambdas/shared/aws): the SDK's default provider chain is replaced, not bundled.
    // The SDK loads the browser user-agent parser with `import()`, in browsers only.
    alias: {
      '@aws-sdk/credential-provider-node': join(PROJECT_ROOT, 'lambdas/shared/aws/default-credential-provider.ts'),
      '@aws-sdk/credential-providers': join(PROJECT_ROOT, 'lambdas/shared/aws/default-credential-provider.ts'),
      bowser: join(PROJECT_ROOT, 'lambdas/shared/aws/no-browser-user-agent.ts'),
    },
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  };
}

/** Builds one function's code into `outdir` (created if missing); throws on any esbuild error. */
export function bundleLambda(entry: string, outdir: string, bundledFiles?: BundledFiles): LambdaBundle {
  mkdirSync(outdir, { recursive: true });
  const result = buildSync(lambdaBuildOptions(entry, outdir));
  if (bundledFiles) {
    const from = join(PROJECT_ROOT, bundledFiles.directory);
    const to = join(outdir, bundledFiles.directory);
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from).filter((file) => file.endsWith(bundledFiles.extension)).sort()) {
      copyFileSync(join(from, name), join(to, name));
    }
  }
  if (!result.metafile) throw new Error(`esbuild wrote no metafile for ${entry}`);
  return describeBundle(result.metafile, outdir);
}

/** Sizes of a build from its metafile: all of it, and what the entry loads before it runs. */
function describeBundle(metafile: Metafile, outdir: string): LambdaBundle {
  const outputs = metafile.outputs;
  const name = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  const scripts = Object.keys(outputs).filter((path) => path.endsWith('.mjs'));
  // Code loaded with `import()` has an entry point of its own in the metafile; Lambda's is index.mjs.
  const entry = scripts.find((path) => name(path) === 'index.mjs');
  if (!entry) throw new Error('esbuild wrote no entry file');
  const loadedAtInit = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const path = pending.pop() as string;
    if (loadedAtInit.has(path)) continue;
    loadedAtInit.add(path);
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind === 'import-statement' && imported.path in outputs) pending.push(imported.path);
    }
  }
  const bytes = (paths: Iterable<string>) => [...paths].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0);
  return {
    entryFile: join(outdir, name(entry)),
    files: scripts.map(name).sort(),
    totalBytes: bytes(scripts),
    initBytes: bytes(loadedAtInit),
    initFiles: [...loadedAtInit].map(name).sort(),
    metafile,
  };
}
