import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/lambda-bundle';

/**
 * The CDK app reads declarations from lambdas/ (routes, limits, roles), never handler code: a
 * handler module pulls in database drivers and SDK clients at synth time, and couples every
 * deploy to whatever the handler does when it loads. Walks the runtime imports (not `import
 * type`) from every file under lib/ and bin/, through every module they reach in lambdas/.
 */
const HANDLER_CODE = [
  /^lambdas\/[^/]+\/handler\.ts$/,
  /^lambdas\/api\/(request|app|router|openapi|lambda-dependencies|handler-types)\.ts$/,
  /^lambdas\/api\/handlers\//,
  /^lambdas\/api\/data\//,
];
/** Packages with runtime weight that only functions may load. */
const FUNCTION_PACKAGES = /^(pg|@aws-sdk\/|@middy\/|@aws-lambda-powertools\/|aws-jwt-verify|altcha-lib)/;

interface RuntimeImport {
  readonly specifier: string;
  readonly from: string;
}

/** Import and re-export specifiers of a file, leaving out type-only ones. */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(statement)) {
    if (match[2]) continue;
    const clause = match[3] ?? '';
    // `import { type A, type B } from` loads nothing either.
    const names = /\{([^}]*)\}/.exec(clause)?.[1];
    if (names && !/^\s*[A-Za-z_$*]/.test(clause) && names.split(',').map((name) => name.trim()).filter(Boolean)
      .every((name) => name.startsWith('type '))) continue;
    specifiers.push(match[4] as string);
  }
  return specifiers;
}

function resolveModule(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every lambdas/ module the CDK app loads, and every package import seen on the way. */
function reachedFromCdkApp(): { modules: Set<string>; packages: RuntimeImport[] } {
  const roots = [...sourcesUnder(join(PROJECT_ROOT, 'lib')), join(PROJECT_ROOT, 'bin', 'app.ts')];
  const seen = new Set<string>();
  const modules = new Set<string>();
  const packages: RuntimeImport[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const here = relative(PROJECT_ROOT, file).split('\\').join('/');
    if (here.startsWith('lambdas/')) modules.add(here);
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        if (here.startsWith('lambdas/')) packages.push({ specifier, from: here });
        continue;
      }
      const target = resolveModule(file, specifier);
      // The console's build helper and web/ declarations are not lambdas/ code; follow lambdas/ only.
      if (target && relative(PROJECT_ROOT, target).startsWith('lambdas')) queue.push(target);
      else if (target && here.startsWith('lib/')) queue.push(target);
    }
  }
  return { modules, packages };
}

describe('the CDK app loads no handler code', () => {
  const { modules, packages } = reachedFromCdkApp();

  test('it does read declarations from lambdas/ (the walk sees them)', () => {
    expect([...modules]).toEqual(expect.arrayContaining(['lambdas/api/limits.ts', 'lambdas/api/routes.ts']));
  });

  test('no handler, request parser, router or data module is reached from lib/ or bin/', () => {
    const handlerCode = [...modules].filter((module) => HANDLER_CODE.some((pattern) => pattern.test(module)));
    expect(handlerCode).toEqual([]);
  });

  test('nothing reached from lambdas/ loads a database driver, an SDK client or middleware', () => {
    expect(packages.filter((entry) => FUNCTION_PACKAGES.test(entry.specifier))).toEqual([]);
  });

  test('the walk tells runtime imports from type-only ones (the check can fail)', () => {
    expect(runtimeImports("import { MAX_BODY_BYTES } from '../../lambdas/api/request';")).toEqual(['../../lambdas/api/request']);
    expect(runtimeImports("import type { RouteDeclaration } from './route-types';")).toEqual([]);
    expect(runtimeImports("import { type A, type B } from './x';")).toEqual([]);
    expect(runtimeImports("import { type A, b } from './x';\nexport { c } from './y';")).toEqual(['./x', './y']);
    expect(HANDLER_CODE.some((pattern) => pattern.test('lambdas/api/request.ts'))).toBe(true);
  });
});
