import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleBuildError, consoleSourceHash, ensureConsoleBuilt, STAMP_FILE } from '../../local/console-build';

/**
 * `npm start` rebuilds the console only when what its build reads changed: web/ (not its
 * node_modules or dist) and the route table and schemas the API client is generated from.
 * The build itself is replaced by a function that writes dist, so the test measures the decision.
 */
let root: string;
let builds: number;
const lines: string[] = [];
const print = (line: string) => lines.push(line);

function write(path: string, content: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

const fakeBuild = (root: string) => {
  builds += 1;
  mkdirSync(join(root, 'web', 'dist'), { recursive: true });
  writeFileSync(join(root, 'web', 'dist', 'index.html'), `<!doctype html><p>build ${builds}</p>`);
  return { status: 0, output: 'vite built' };
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nemt-console-build-'));
  builds = 0;
  lines.length = 0;
  write('web/index.html', '<!doctype html>');
  write('web/src/main.tsx', 'export {}');
  write('lambdas/api/routes.ts', 'export const routes = [];');
  write('lambdas/api/schemas/trips.ts', 'export {}');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

test('builds when dist is missing, then not again until a source changes', () => {
  const first = ensureConsoleBuilt({ print, root, build: fakeBuild });
  expect(first).toMatchObject({ distDir: join(root, 'web', 'dist'), built: true });
  expect(readFileSync(join(root, 'web', 'dist', STAMP_FILE), 'utf8').trim()).toBe(consoleSourceHash(root));
  expect(lines.join('\n')).toMatch(/Building the console \(web\/dist is missing\)[\s\S]*✔ Console built in \d+\.\d s/);

  expect(ensureConsoleBuilt({ print, root, build: fakeBuild })).toMatchObject({ built: false });
  // Not inputs: dependencies, the output, dot-folders (caches).
  write('web/node_modules/react/index.js', 'changed');
  write('web/.vite/deps.json', '{}');
  write('web/dist/extra.txt', 'x');
  expect(ensureConsoleBuilt({ print, root, build: fakeBuild })).toMatchObject({ built: false });
  expect(builds).toBe(1);

  for (const source of ['web/src/main.tsx', 'lambdas/api/routes.ts', 'lambdas/api/schemas/trips.ts', 'web/src/new-file.ts']) {
    write(source, `// changed ${source}`);
    expect({ source, built: ensureConsoleBuilt({ print, root, build: fakeBuild }).built }).toEqual({ source, built: true });
  }
  expect(builds).toBe(5);
});

test('a dist without a stamp (built by hand) is rebuilt once', () => {
  write('web/dist/index.html', 'old');
  expect(ensureConsoleBuilt({ print, root, build: fakeBuild }).built).toBe(true);
  expect(lines[0]).toContain('no build stamp');
});

test('a failed build is one clear error with the end of its output, and leaves no stamp', () => {
  const failing = () => ({ status: 2, output: 'line 1\nsrc/main.tsx: error TS2322\n' });
  expect(() => ensureConsoleBuilt({ print, root, build: failing })).toThrow(ConsoleBuildError);
  expect(() => ensureConsoleBuilt({ print, root, build: failing })).toThrow(/the console build failed \(npm run build:web exited with 2/);
  expect(lines).toContain('    src/main.tsx: error TS2322');
  expect(existsSync(join(root, 'web', 'dist', STAMP_FILE))).toBe(false);
});
