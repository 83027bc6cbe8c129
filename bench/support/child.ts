import { spawn, type SpawnOptions } from 'node:child_process';

export interface ChildOutcome {
  /** null when the child was killed (see timeoutMs). */
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs a process to its end and collects what it printed; `timeoutMs` kills one that hangs. */
export function runChild(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}):
  Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      err += chunk;
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
