import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from './layout';

/**
 * `npm start` serves the console from `web/dist`; this keeps that folder in step with its
 * sources. What the build reads is hashed (web/ without node_modules, dist and dot-folders, plus
 * the route table and schemas the typed API client is generated from) and compared with the stamp
 * the last successful build left in dist. Equal: nothing to do (a hash of a few hundred small
 * files, milliseconds). Different or missing: `npm run -s build:web` runs, in the foreground,
 * and its time is printed.
 */
export const STAMP_FILE = '.nemt-build-stamp';

export interface ConsoleBuildOptions {
  print: (line: string) => void;
  /** The project folder; tests use a temporary one. */
  root?: string;
  /** The build; `npm run -s build:web` in the project folder unless a test gives another. */
  build?: (root: string) => { status: number | null; output: string };
}

export interface ConsoleBuildResult {
  distDir: string;
  built: boolean;
  ms: number;
}

/** The build failed; the message is one line, the build's own output was printed before it. */
export class ConsoleBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleBuildError';
  }
}

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'test-results', 'playwright-report', 'coverage']);
/** Lines of a failed build's output worth showing: the error is at the end. */
const FAILURE_TAIL_LINES = 40;

function listFiles(root: string, folder: string, into: string[]): void {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) listFiles(root, path, into);
    } else if (entry.isFile()) {
      into.push(relative(root, path).split('\\').join('/'));
    }
  }
}

/** SHA-256 over the names and contents of everything the console's build reads, in a fixed order. */
export function consoleSourceHash(root: string = PROJECT_ROOT): string {
  const files: string[] = [];
  listFiles(root, join(root, 'web'), files);
  listFiles(root, join(root, 'lambdas', 'api', 'schemas'), files);
  if (existsSync(join(root, 'lambdas', 'api', 'routes.ts'))) files.push('lambdas/api/routes.ts');
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function npmBuild(root: string): { status: number | null; output: string } {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '-s', 'build:web'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { status: null, output: result.error.message };
  // Ctrl-C reaches the build too (same process group): say so rather than report a failure.
  if (result.signal) return { status: null, output: `interrupted by ${result.signal}` };
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function staleReason(distDir: string, hash: string): string | undefined {
  if (!existsSync(join(distDir, 'index.html'))) return 'web/dist is missing';
  const stampFile = join(distDir, STAMP_FILE);
  if (!existsSync(stampFile)) return 'web/dist has no build stamp';
  return readFileSync(stampFile, 'utf8').trim() === hash ? undefined : 'web/ changed since the last build';
}

export function ensureConsoleBuilt(options: ConsoleBuildOptions): ConsoleBuildResult {
  const root = options.root ?? PROJECT_ROOT;
  const distDir = join(root, 'web', 'dist');
  const started = performance.now();
  const reason = staleReason(distDir, consoleSourceHash(root));
  if (!reason) return { distDir, built: false, ms: Math.round(performance.now() - started) };

  options.print(`• Building the console (${reason}) …`);
  const result = (options.build ?? npmBuild)(root);
  const ms = Math.round(performance.now() - started);
  if (result.status !== 0) {
    const tail = result.output.trimEnd().split('\n').slice(-FAILURE_TAIL_LINES);
    for (const line of tail) options.print(`    ${line}`);
    throw new ConsoleBuildError(`the console build failed (npm run build:web ${result.status === null ? 'did not run' : `exited with ${result.status}`}` +
      ` after ${(ms / 1000).toFixed(1)} s); fix it, or start with \`npm start -- --no-build\` to serve the API alone`);
  }
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new ConsoleBuildError('npm run build:web succeeded but wrote no web/dist/index.html');
  }
  // Hashed after the build: a build step that writes into web/ (the generated API types) is part of the result.
  writeFileSync(join(distDir, STAMP_FILE), `${consoleSourceHash(root)}\n`, 'utf8');
  options.print(`✔ Console built in ${(ms / 1000).toFixed(1)} s (web/dist)`);
  return { distDir, built: true, ms };
}
