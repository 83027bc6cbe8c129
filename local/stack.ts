import { chmodSync, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import pg from 'pg';
import { createApiHandler } from '../lambdas/api/app';
import { apiHandlers } from '../lambdas/api/handlers';
import { routingWith } from '../lambdas/api/router';
import { createIntakeHandler } from '../lambdas/intake/app';
import { intakeSettingsFromEnvironment } from '../lambdas/intake/settings';
import { smsAllowedCallingCodesFrom } from '../lambdas/shared/domain/sms-destinations';
import { maxOdometerJumpMilesFrom } from '../lambdas/shared/domain/vehicles';
import { createLocalNotificationPipeline, type LocalPipeline } from '../lambdas/notify/local-pipeline';
import { providerTimeZoneFrom } from '../lambdas/shared/domain/time-zone';
import { AnchorMismatchError, anchorAuditChains } from '../lambdas/anchor/anchor';
import type { AnchorStore } from '../lambdas/shared/audit/anchor-store';
import { createFileAnchorStore } from '../lambdas/shared/audit/file-anchor-store';
import { expireRecords } from '../lambdas/relay/expiry';
import { RELAY_DEFAULTS } from '../lambdas/relay/relay';
import { createTokenVerifier } from '../lambdas/shared/auth/verifier';
import { createLocalKeyProvider, loadOrCreateLocalMasterKey } from '../lambdas/shared/crypto/local-key-provider';
import { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { loadMigrations, migrate } from '../lambdas/shared/db/migrator';
import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';
import type { Database } from '../lambdas/shared/db/port';
import { createLocalIdentityAdmin } from '../lambdas/shared/identity/local';
import { logger } from '../lambdas/shared/log';
import { scheduledSettingsFromEnvironment } from '../lambdas/standing-orders/scheduled';
import { ConsoleBuildError, ensureConsoleBuilt } from './console-build';
import { createConsoleSite } from './console-site';
import { databaseUrl, LOGIN_USERS, type LoginName, setLoginPasswords, withAdmin } from './database';
import { CONSOLE_CLIENT_ID, LOCAL_API_CLIENT_IDS, LOCAL_SCOPE, type LocalIssuer } from './issuer';
import { persistentIssuer } from './issuer-key';
import {
  DATABASE_NAME, DEV_DB_PASSWORD, issuerFor, type LocalLayout, ownedEntries, PROJECT_ROOT, SCHEMA_DIR, TOKEN_TTL_SECONDS,
} from './layout';
import { actorFor, loadActiveUsers, readManifest, type StackUser, writeManifest } from './manifest';
import { type RunningPostgres, startEmbeddedPostgres } from './postgres-server';
import { freePort, isInitialised, portIsFree, postmasterPid, processIsAlive } from './processes';
import { DEMO_EMAILS, isEmpty, seedDemoData } from './seed';
import { createLocalGateway, createLocalHttpServer, JWKS_PATH } from './server';
import { createLocalSignIn, LOGOUT_PATH, REVOKE_PATH, SIGN_IN_SCOPES } from './sign-in';
import { startStandingOrdersTimer } from './standing-orders-timer';

/**
 * The whole system on one laptop (PRODUCT.md §8): embedded PostgreSQL 16 with the real schema,
 * the API and intake handlers behind a local API Gateway, the local token issuer, and the
 * outbox relay → in-memory queue → notifier pipeline with SMS/email written to a sink.
 */
export interface LocalStackOptions {
  layout: LocalLayout;
  port: number;
  /** Wipe the data folder first. */
  fresh: boolean;
  print: (line: string) => void;
  /** Rebuild web/dist first when it is missing or older than web/ (default); false serves it as it is. */
  buildConsole?: boolean;
  /** Aborted when the user stops the stack while it is still starting. */
  signal?: AbortSignal;
}

export interface RunningLocalStack {
  readonly url: string;
  readonly users: StackUser[];
  /** Resolves with a reason if PostgreSQL ends on its own while the stack runs. */
  readonly databaseLost: Promise<string>;
  stop(): Promise<void>;
}

/** Something the user can fix; printed as one line, without a stack trace. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

const RELAY_INTERVAL_MS = 2_000;
/** The API hands rows to the queue itself right after commit; the relay leaves them that long. */
const RELAY_MIN_AGE_SECONDS = 5;
const EXPIRY_INTERVAL_MS = 60_000;
const ANCHOR_INTERVAL_MS = 3_600_000;
const SETTINGS = { pickupWindowMinutes: 30, providerName: process.env.PROVIDER_NAME || 'NEMT Dispatch (local)' };

class Closers {
  private readonly entries: { name: string; close: () => Promise<void> | void }[] = [];

  add(name: string, close: () => Promise<void> | void): void {
    this.entries.push({ name, close });
  }

  /** Last opened, first closed; one failure does not keep the rest open. */
  async closeAll(report: (line: string) => void): Promise<void> {
    for (const entry of this.entries.splice(0).reverse()) {
      try {
        await entry.close();
        report(entry.name);
      } catch (error) {
        report(`${entry.name} (failed: ${error instanceof Error ? error.message : String(error)})`);
      }
    }
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  const { layout, port, print } = options;
  const closers = new Closers();
  const checkpoint = () => {
    if (options.signal?.aborted) throw new StackError('stopped while starting');
  };
  const show = (path: string) => {
    const inside = relative(process.cwd(), path);
    return inside && !inside.startsWith('..') ? inside : path;
  };
  const http = createLocalHttpServer();

  try {
    // The HTTP port first: if it is taken, say so before anything else starts.
    try {
      await http.listen(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new StackError(`port ${port} on 127.0.0.1 is already in use; stop whatever uses it or start with PORT=<another port>`);
      }
      throw error;
    }
    const url = issuerFor(port);
    let consoleDist = join(PROJECT_ROOT, 'web', 'dist');
    if (options.buildConsole !== false) {
      try {
        consoleDist = ensureConsoleBuilt({ print }).distDir;
      } catch (error) {
        if (error instanceof ConsoleBuildError) throw new StackError(error.message);
        throw error;
      }
      checkpoint();
    }

    const leftover = postmasterPid(layout.postgresDir);
    if (leftover !== undefined && processIsAlive(leftover)) {
      throw new StackError(`PostgreSQL (pid ${leftover}) is already running on ${show(layout.postgresDir)}: another npm start ` +
        `is using this data folder, or an earlier one was killed; stop it (kill -INT ${leftover}) and try again`);
    }
    if (options.fresh) {
      for (const entry of ownedEntries(layout)) rmSync(entry, { recursive: true, force: true });
      print(`• --fresh: wiped the local data in ${show(layout.root)}`);
    }
    prepareFolder(layout.root);

    // ---- database -------------------------------------------------------------------------------
    const firstRun = !isInitialised(layout.postgresDir);
    const previous = readManifest(layout.manifest);
    const postgresPort = await preferredPort(previous?.postgres.port);
    const log = createWriteStream(layout.postgresLog, { flags: 'a' });
    closers.add('PostgreSQL log closed', () => new Promise<void>((resolve) => log.end(resolve)));
    print(`• ${firstRun ? 'Creating' : 'Starting'} PostgreSQL 16 in ${show(layout.postgresDir)} …`);
    let postgres: RunningPostgres;
    try {
      postgres = await startEmbeddedPostgres({
        dataDir: layout.postgresDir,
        persistent: true,
        port: postgresPort,
        password: DEV_DB_PASSWORD,
        onLog: (text) => log.write(text),
      });
    } catch (error) {
      throw new StackError(`${error instanceof Error ? error.message : String(error)}; see ${show(layout.postgresLog)}`);
    }
    const watch = watchPostgres(postgres);
    closers.add('PostgreSQL stopped', async () => {
      watch.cancel();
      await postgres.stop();
    });
    checkpoint();
    const adminUrl = postgres.adminUrl();
    await withAdmin(adminUrl, async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(DATABASE_NAME)}`);
    });
    const ownerUrl = postgres.adminUrl(DATABASE_NAME);
    print(`✔ PostgreSQL started: ${ownerUrl}`);
    print(`    (superuser; the password "${DEV_DB_PASSWORD}" is for this local, 127.0.0.1-only database and nothing else)`);

    const pools: Database[] = [];
    closers.add('database pools closed', async () => {
      await Promise.all(pools.splice(0).map((db) => db.close()));
    });
    const pool = (connectionString: string, max: number) => {
      const db = createPgDatabase({ connectionString, max, applicationName: 'nemt-local' });
      pools.push(db);
      return db;
    };
    const owner = pool(ownerUrl, 2);
    const migrations = await migrate(owner, loadMigrations(SCHEMA_DIR));
    print(`✔ Migrations: ${migrations.applied.length} applied, ${migrations.alreadyApplied.length} already applied`);
    await setLoginPasswords(adminUrl, DEV_DB_PASSWORD);
    const as = (login: LoginName, max: number) =>
      pool(databaseUrl(adminUrl, DATABASE_NAME, { user: LOGIN_USERS[login], password: DEV_DB_PASSWORD }), max);
    checkpoint();

    // ---- issuer, handlers, notification pipeline ----------------------------------------------------
    const { issuer, created: newKey } = persistentIssuer(layout.issuerKey, url);
    if (newKey) print(`• New token signing key: ${show(layout.issuerKey)} (development only)`);
    // Rider PII is sealed under this key as it would be under KMS; the data and the key go together.
    const masterKey = loadOrCreateLocalMasterKey(layout.masterKey);
    if (masterKey.created) print(`• New PII master key (stands in for KMS): ${show(layout.masterKey)} (development only)`);
    const keyProvider = createLocalKeyProvider(masterKey.key);
    // One key cache per function, as each Lambda has its own.
    const pii = () => new PiiCrypto({ provider: keyProvider });
    const timeZone = providerTimeZoneFrom(process.env);
    let echoNotifications = false;
    const pipeline = createLocalNotificationPipeline({
      notifierDb: as('notifier', 5),
      pii: pii(),
      settings: { providerName: SETTINGS.providerName, timeZone, smsAllowedCallingCodes: smsAllowedCallingCodesFrom(process.env) },
      sink: {
        file: layout.notifications,
        console: false,
        onLine: (line) => {
          if (echoNotifications) print(`[notification sink] ${line}`);
        },
      },
    });
    closers.add('notifications delivered', () => pipeline.idle());
    // Sign-in and console share the API's origin, as CloudFront puts them in front of one domain in AWS.
    const signIn = createLocalSignIn({
      issuer,
      port,
      users: async () => (await loadActiveUsers(owner, DEMO_EMAILS)).filter((user) => user.demo),
    });
    const consoleSite = createConsoleSite({
      distDir: consoleDist,
      signInOrigins: [url],
      config: {
        authority: issuer.issuer,
        clientId: CONSOLE_CLIENT_ID,
        scope: SIGN_IN_SCOPES.join(' '),
        signOutEndpoint: `${url}${LOGOUT_PATH}`,
        revocationEndpoint: `${url}${REVOKE_PATH}`,
        providerName: SETTINGS.providerName,
        timeZone,
      },
    });
    const gateway = createLocalGateway({
      issuer,
      signIn,
      console: consoleSite,
      api: createApiHandler(
        {
          db: as('api', 10),
          verifier: createTokenVerifier({
            issuer: issuer.issuer,
            jwksUri: issuer.jwksUri,
            clientIds: LOCAL_API_CLIENT_IDS,
            scope: LOCAL_SCOPE,
            jwks: issuer.jwks() as never,
          }),
          outbox: pipeline.publisher,
          identity: createLocalIdentityAdmin(),
          pii: pii(),
          settings: { ...SETTINGS, timeZone, maxOdometerJumpMiles: maxOdometerJumpMilesFrom(process.env) },
        },
        routingWith(apiHandlers),
        // One process plays both functions that serve authenticated routes in AWS.
        ['api', 'users'],
      ),
      intake: createIntakeHandler({ db: as('intake', 5), pii: pii(), settings: intakeSettingsFromEnvironment(process.env) }),
    });

    // ---- demo data ------------------------------------------------------------------------------------
    if (await isEmpty(owner)) {
      // The seed's own request logs would bury the progress lines; warnings still show.
      const level = logger.getLevelName();
      logger.setLogLevel('WARN');
      try {
        const summary = await seedDemoData({ owner, gateway, issuer });
        await pipeline.idle();
        print(`✔ Demo data created: ${summary.tenants} tenants, ${summary.users} users, ${summary.riders} riders, ` +
          `${summary.trips} trips (requested, scheduled, assigned, completed and billed)`);
      } catch (error) {
        throw new StackError(`${error instanceof Error ? error.message : String(error)}\n  The demo data is incomplete; ` +
          'start again with `npm start -- --fresh`');
      } finally {
        logger.setLogLevel(level);
      }
    } else {
      print('✔ Demo data kept from the last run (`npm start -- --fresh` starts over)');
    }
    const users = await loadActiveUsers(owner, DEMO_EMAILS);
    writeManifest(layout.manifest, {
      issuer: issuer.issuer,
      port,
      postgres: { port: postgres.port, database: DATABASE_NAME },
      users,
    });
    checkpoint();

    // ---- relay, then open the doors ---------------------------------------------------------------------
    const relay = startRelayLoop(pipeline, as('notifier', 2));
    closers.add('outbox relay stopped', () => relay.stop());
    const anchoring = startAnchorLoop(as('auditor', 1), createFileAnchorStore(layout.anchors), print);
    closers.add('audit anchoring stopped', () => anchoring.stop());
    // The nightly standing-order run and the hourly ride reminders, as the materialiser's login.
    const standingOrders = startStandingOrdersTimer({
      db: as('materialiser', 2),
      settings: scheduledSettingsFromEnvironment({ ...process.env, PROVIDER_TIME_ZONE: timeZone,
        PICKUP_WINDOW_MINUTES: String(SETTINGS.pickupWindowMinutes) }),
    });
    closers.add('standing-orders timer stopped', () => standingOrders.stop());
    printTokens(print, issuer, users.filter((user) => user.demo));
    http.ready(gateway);
    echoNotifications = true;
    print(`✔ Ready: ${url}`);
    print(`    Console ${url}/ (sign in by choosing a demo user) · Request a ride ${url}/request`);
    print(`    JWKS ${url}${JWKS_PATH} · public intake POST ${url}/v1/intake/trip-requests · every other route as in AWS`);
    print(`    SMS/email go to this console and ${show(layout.notifications)}; Ctrl-C stops everything`);

    return {
      url,
      users,
      databaseLost: watch.lost,
      stop: async () => {
        await http.close();
        print('  ✔ HTTP server closed');
        await closers.closeAll((line) => print(`  ✔ ${line}`));
      },
    };
  } catch (error) {
    await http.close();
    await closers.closeAll(() => undefined);
    throw error;
  }
}

/** The cluster runs as the `postgres` user when we are root: it must be able to reach its folder. */
function prepareFolder(root: string): void {
  mkdirSync(root, { recursive: true });
  if (process.getuid?.() === 0 && (statSync(root).mode & 0o001) === 0) chmodSync(root, 0o755);
}

/** The last run's port keeps the printed connection URL stable, unless something else took it. */
async function preferredPort(previous: number | undefined): Promise<number> {
  const requested = Number(process.env.NEMT_PG_PORT);
  if (Number.isInteger(requested) && requested > 0) return requested;
  if (previous && (await portIsFree(previous))) return previous;
  return freePort();
}

function watchPostgres(postgres: RunningPostgres): { lost: Promise<string>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const lost = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      if (!postgres.isRunning()) {
        clearInterval(timer);
        resolve(`PostgreSQL (pid ${postgres.pid}) stopped unexpectedly`);
      }
    }, 1_000);
    timer.unref();
  });
  return { lost, cancel: () => clearInterval(timer) };
}

function printTokens(print: (line: string) => void, issuer: LocalIssuer, users: StackUser[]): void {
  const hours = TOKEN_TTL_SECONDS / 3600;
  print('');
  print(`Access tokens for the demo users (valid ${hours} h; \`npm run token -- <Role> [--user <email>]\` mints fresh ones):`);
  for (const user of users) {
    const tenant = user.facilityId ? ` · ${user.facilityName} (facility ${user.facilityId})` : '';
    print('');
    print(`  ${user.role.padEnd(13)} ${user.email} · sub ${user.sub}${tenant}`);
    print(`  ${issuer.mint(actorFor(user), { expiresInSeconds: TOKEN_TTL_SECONDS })}`);
  }
  print('');
}

/**
 * The scheduled anchor Lambda's local twin: checks the newest anchor in the local folder against
 * the database and writes a new one, at start and then hourly, as the auditor login.
 */
function startAnchorLoop(auditorDb: Database, store: AnchorStore, print: (line: string) => void): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = anchorAuditChains(auditorDb, store).catch((error: unknown) => {
      if (error instanceof AnchorMismatchError) print(`✖ ${error.message}: the audit history changed since its last anchor`);
      else logger.warn('local audit anchoring failed', { errorName: (error as Error)?.name });
    });
  };
  run();
  const timer = setInterval(run, ANCHOR_INTERVAL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The scheduled relay Lambda's local twin, on a short interval. A cheap look first (the same
 * eligibility the relay uses), so an idle stack does not log a sweep every two seconds; records
 * past their retention are expired once a minute, as the relay Lambda does after each sweep.
 */
function startRelayLoop(pipeline: LocalPipeline, notifierDb: Database): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastExpiry = 0;
  const sweep = async () => {
    const { rows } = await notifierDb.query<{ due: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM notification_outbox
                       WHERE status = 'pending' AND attempts < $1
                         AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => $2))
                         AND created_at <= now() - make_interval(secs => $3)) AS due`,
      [RELAY_DEFAULTS.maxDispatches, RELAY_DEFAULTS.redispatchAfterSeconds, RELAY_MIN_AGE_SECONDS],
    );
    if (rows[0]?.due) await pipeline.relay({ minAgeSeconds: RELAY_MIN_AGE_SECONDS });
    if (Date.now() - lastExpiry >= EXPIRY_INTERVAL_MS) {
      lastExpiry = Date.now();
      await expireRecords(notifierDb);
    }
  };
  const tick = () => {
    running = sweep()
      .catch((error: unknown) => logger.warn('local relay sweep failed', { errorName: (error as Error)?.name }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, RELAY_INTERVAL_MS);
      });
  };
  timer = setTimeout(tick, RELAY_INTERVAL_MS);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

