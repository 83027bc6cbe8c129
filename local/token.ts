import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';
import { ROLES, type Role } from '../lambdas/shared/tenancy/actor';
import { existingIssuer } from './issuer-key';
import { DATABASE_NAME, DEV_DB_PASSWORD, issuerFor, localLayout, TOKEN_TTL_SECONDS } from './layout';
import { actorFor, loadActiveUsers, readManifest, type StackUser } from './manifest';

/**
 * `npm run token -- <Role> [--user <email|sub>]`: a fresh access token for a local user, signed
 * with the key the local stack keeps in its data folder. Only the token goes to stdout, so
 * `TOKEN=$(npm run -s token -- Dispatcher)` works; who it is for goes to stderr.
 */
const USAGE = `usage: npm run token -- <Role> [--user <email|sub>]

  Role    one of ${ROLES.join(', ')}
  --user  which user of that role (default: the first demo user with it)

Prints a ${TOKEN_TTL_SECONDS / 3600}-hour access token for a user of the local stack (run \`npm start\` once first).`;

class UsageError extends Error {}

function parseArguments(args: readonly string[]): { role: Role; user?: string } {
  let role: Role | undefined;
  let user: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    if (arg === '--user') {
      index += 1;
      user = args[index];
      if (!user) throw new UsageError('--user needs an email address or sub');
    } else if (arg.startsWith('--user=')) {
      user = arg.slice('--user='.length);
      if (!user) throw new UsageError('--user needs an email address or sub');
    } else if (!role) {
      const match = ROLES.find((candidate) => candidate.toLowerCase() === arg.toLowerCase());
      if (!match) throw new UsageError(`unknown role "${arg}"`);
      role = match;
    } else {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
  }
  if (!role) throw new UsageError('name a role');
  return { role, user };
}

/** A user created through the API after the last start is not in the manifest; ask the database if it runs. */
async function lookUpInDatabase(postgresPort: number, wanted: string): Promise<StackUser[]> {
  const db = createPgDatabase({
    connectionString: `postgres://postgres:${DEV_DB_PASSWORD}@127.0.0.1:${postgresPort}/${DATABASE_NAME}`,
    max: 1,
  });
  try {
    const users = await loadActiveUsers(db, []);
    return users.filter((user) => user.email.toLowerCase() === wanted || user.sub === wanted);
  } catch {
    return [];
  } finally {
    await db.close();
  }
}

async function main(): Promise<number> {
  let request: { role: Role; user?: string };
  try {
    request = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${USAGE}\n`);
    return error.message ? 1 : 0;
  }

  const layout = localLayout();
  const manifest = readManifest(layout.manifest);
  const port = process.env.PORT?.trim() ? Number(process.env.PORT) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) {
    process.stderr.write(`PORT must be a number from 1 to 65535, not "${process.env.PORT}"\n`);
    return 1;
  }
  // The issuer URL carries the port: a token is for the stack on that port.
  const issuerUrl = port !== undefined ? issuerFor(port) : manifest?.issuer;
  const issuer = issuerUrl ? existingIssuer(layout.issuerKey, issuerUrl) : undefined;
  if (!manifest || !issuer) {
    process.stderr.write(`No local stack in ${layout.root} yet: run \`npm start\` once first.\n`);
    return 1;
  }

  const wanted = request.user?.toLowerCase();
  let candidates = manifest.users.filter((user) =>
    wanted ? user.email.toLowerCase() === wanted || user.sub === wanted : user.demo && user.role === request.role);
  if (wanted && candidates.length === 0) candidates = await lookUpInDatabase(manifest.postgres.port, wanted);
  const user = candidates[0];
  if (!user) {
    process.stderr.write(wanted
      ? `No active user "${request.user}" in the local stack (known: ${manifest.users.map((u) => u.email).join(', ')}).\n`
      : `No demo user with the role ${request.role}; name one with --user.\n`);
    return 1;
  }
  if (user.role !== request.role) {
    process.stderr.write(`${user.email} is a ${user.role}, not a ${request.role}.\n`);
    return 1;
  }
  const tenant = user.facilityName ? `, ${user.facilityName}` : '';
  process.stderr.write(`${user.role} ${user.email} (sub ${user.sub}${tenant}), valid ${TOKEN_TTL_SECONDS / 3600} h for ${issuer.issuer}\n`);
  process.stdout.write(`${issuer.mint(actorFor(user), { expiresInSeconds: TOKEN_TTL_SECONDS })}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run token failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
