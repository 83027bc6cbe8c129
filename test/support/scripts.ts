import { execFile } from 'node:child_process';
import { join } from 'node:path';

/**
 * Runs a script of scripts/ as `npm run` does, in a process of its own (tsx), for the tests of the
 * operator commands. `clear` names variables taken out of this process's environment first (so
 * the test decides what the script sees); `env` sets the ones given (undefined leaves one unset).
 */
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** A stack trace in a script's output: operator commands print sentences, never one. */
export const NO_STACK = /^\s+at /m;

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, args: readonly string[], options: {
  clear?: readonly string[];
  env?: Record<string, string | undefined>;
} = {}): Promise<ScriptRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of options.clear ?? []) delete env[name];
  for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
  return new Promise((resolve) => {
    execFile(TSX, [join('scripts', script), ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
