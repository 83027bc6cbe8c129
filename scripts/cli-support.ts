/**
 * What the operator scripts share: reading DATABASE_URL, and failing with one readable line
 * instead of a stack trace, never repeating the connection string or its password.
 */

/** A failure the script expected and explains in its message; the exit code says which kind. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export const USAGE_EXIT_CODE = 2;

export function databaseUrlFromEnv(command: string): string {
  const url = process.env.DATABASE_URL?.trim();
  if (!url) {
    throw new CliFailure(
      `${command}: DATABASE_URL is not set; set it to the database's connection string, e.g. postgres://user@host:5432/dbname`,
      USAGE_EXIT_CODE,
    );
  }
  return url;
}

function secretsIn(url: string | undefined): string[] {
  if (!url) return [];
  const secrets = [url];
  try {
    const password = new URL(url).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a WHATWG URL (e.g. a socket path): only the whole string is known to be sensitive.
  }
  return secrets.filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
}

/** The message with DATABASE_URL and its password blotted out, wherever they appear. */
export function redact(message: string, url: string | undefined = process.env.DATABASE_URL): string {
  let result = message;
  for (const secret of secretsIn(url)) result = result.split(secret).join('***');
  return result;
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Connecting to "localhost" tries each address; Node then reports them all with no message.
    return [...new Set(error.errors.map(describe))].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}

/**
 * Runs a script's main function and turns its outcome into an exit code. Expected failures
 * (CliFailure, database and connection errors) print one line; the stack of an unexpected bug
 * is withheld too, because it could carry connection details.
 */
export function runCli(command: string, failureExitCode: number, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const known = error instanceof CliFailure;
      console.error(redact(known ? error.message : `${command} failed: ${describe(error)}`));
      process.exitCode = known ? error.exitCode : failureExitCode;
    },
  );
}
