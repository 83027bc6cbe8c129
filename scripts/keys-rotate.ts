/**
 * `npm run keys:rotate -- --facility <uuid> | --all`: rotates tenant keys (docs/security/key-rotation.md,
 * scripts/tenant-key-rotation.ts). Exit codes: 0 done (including nothing to do), 1 finished with
 * tenants left mid-rotation (named; their riders' keys did not open), 2 bad arguments or the run
 * stopped (database, key service): rerun with the printed --older-than to resume.
 *
 * Connects as the login that owns the schema — DATABASE_URL (node-postgres), or the RDS Data API
 * with --cluster-arn/--secret-arn as the migrations do — and runs every transaction as
 * nemt_key_rotator (schema/0020). Keys come from KMS with --kms-key-arn, else from the local
 * stack's master key file.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { KeyProvider } from '../lambdas/shared/crypto/key-provider';
import { createLocalKeyProvider, loadOrCreateLocalMasterKey } from '../lambdas/shared/crypto/local-key-provider';
import { PiiCrypto } from '../lambdas/shared/crypto/pii';
import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';
import type { Database } from '../lambdas/shared/db/port';
import { isUuid } from '../lambdas/shared/uuid';
import { localLayout } from '../local/layout';
import { CliFailure, databaseUrlFromEnv, runCli, USAGE_EXIT_CODE } from './cli-support';
import { DEFAULT_BATCH_SIZE, DEFAULT_GRACE_MS, listTenants, TenantKeyRotation, type TenantRotation } from './tenant-key-rotation';

const COMMAND = 'keys:rotate';
const USAGE = `usage: npm run keys:rotate -- (--facility <uuid> | --all) [options]

Rotates tenant keys: a new key version per tenant, every rider's data key re-wrapped under it and
the rider's phone and e-mail indexes recomputed (in batches), the old version retired once no
rider key names it and its wrapped material destroyed after the grace period. Audited on each
tenant's chain. A rerun with the same --older-than resumes an interrupted run and does nothing
more; a tenant mid-rotation always finishes its rotation before it would get another version.

  --facility <uuid>        one tenant
  --all                    every tenant that has a key
  --older-than <ISO time>  rotate tenants whose newest key was created before this
                           (default: the start of this run; printed, to resume with)
  --batch-size <n>         riders per transaction, 1 to 5000 (default ${DEFAULT_BATCH_SIZE})
  --grace-seconds <n>      how long transactions that read the old key state may still run,
                           0 to 3600 (default ${DEFAULT_GRACE_MS / 1000}); waited twice per run
  --kms-key-arn <arn>      the pii KMS key (deployed); without it the local stack's master key
                           (NEMT_LOCAL_DIR or .local/pii-master-key) stands in
  --cluster-arn <arn> --secret-arn <arn> [--database <name>]
                           a deployed cluster through the RDS Data API (the master secret);
                           without them DATABASE_URL, as the schema's owner
  --region <region>        AWS region for KMS and the Data API (default AWS_REGION)
  --help                   this text

Exit codes: 0 done, 1 tenants left mid-rotation (named), 2 bad arguments or the run stopped
(rerun with the printed --older-than to resume).`;

function usageError(message: string): CliFailure {
  return new CliFailure(`${COMMAND}: ${message}; see npm run keys:rotate -- --help`, USAGE_EXIT_CODE);
}

interface Arguments {
  help: boolean;
  facilityId?: string;
  all: boolean;
  olderThan: Date;
  batchSize: number;
  graceMs: number;
  kmsKeyArn?: string;
  dataApi?: { clusterArn: string; secretArn: string; database: string };
  region?: string;
}

function wholeNumber(value: string | undefined, fallback: number, min: number, max: number, flag: string): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw usageError(`${flag} must be a whole number from ${min} to ${max}`);
  return number;
}

function parseArguments(argv: string[], now = new Date()): Arguments {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean' }, facility: { type: 'string' }, all: { type: 'boolean' }, 'older-than': { type: 'string' },
        'batch-size': { type: 'string' }, 'grace-seconds': { type: 'string' }, 'kms-key-arn': { type: 'string' },
        'cluster-arn': { type: 'string' }, 'secret-arn': { type: 'string' }, database: { type: 'string' }, region: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const text = (name: string) => values[name] as string | undefined;
  const args: Arguments = {
    help: values.help === true,
    all: values.all === true,
    olderThan: now,
    batchSize: wholeNumber(text('batch-size'), DEFAULT_BATCH_SIZE, 1, 5000, '--batch-size'),
    graceMs: wholeNumber(text('grace-seconds'), DEFAULT_GRACE_MS / 1000, 0, 3600, '--grace-seconds') * 1000,
    kmsKeyArn: text('kms-key-arn'),
    region: text('region') ?? process.env.AWS_REGION,
  };
  if (args.help) return args;
  const facility = text('facility');
  if ((facility === undefined) === !args.all) throw usageError('give exactly one of --facility <uuid> and --all');
  if (facility !== undefined && !isUuid(facility)) throw usageError('--facility must be a facility id (a UUID)');
  args.facilityId = facility?.toLowerCase();
  const olderThan = text('older-than');
  if (olderThan !== undefined) {
    args.olderThan = new Date(olderThan);
    if (Number.isNaN(args.olderThan.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(olderThan)) {
      throw usageError('--older-than must be an ISO 8601 time, e.g. 2030-01-31T12:00:00Z');
    }
  }
  if (args.kmsKeyArn !== undefined && !args.kmsKeyArn.startsWith('arn:')) throw usageError('--kms-key-arn must be a key ARN');
  const clusterArn = text('cluster-arn');
  const secretArn = text('secret-arn');
  if ((clusterArn === undefined) !== (secretArn === undefined)) throw usageError('--cluster-arn and --secret-arn go together');
  if (clusterArn && secretArn) args.dataApi = { clusterArn, secretArn, database: text('database') ?? 'nemt' };
  if ((args.dataApi || args.kmsKeyArn) && !args.region) throw usageError('--region (or AWS_REGION) is needed for AWS');
  return args;
}

async function keyProviderFor(args: Arguments): Promise<KeyProvider> {
  if (args.kmsKeyArn) {
    const [{ KMSClient }, { createKmsKeyProvider }] = await Promise.all([
      import('@aws-sdk/client-kms'), import('../lambdas/shared/crypto/kms-key-provider')]);
    return createKmsKeyProvider(new KMSClient({ region: args.region }), args.kmsKeyArn);
  }
  const path = localLayout().masterKey;
  // Never create one: a new master key would open nothing the database holds.
  if (!existsSync(path)) throw usageError(`no local master key at ${path}; start the local stack once, or give --kms-key-arn`);
  return createLocalKeyProvider(loadOrCreateLocalMasterKey(path).key);
}

async function databaseFor(args: Arguments): Promise<Database> {
  if (args.dataApi) {
    const [{ RDSDataClient }, { createDataApiDatabase }] = await Promise.all([
      import('@aws-sdk/client-rds-data'), import('../lambdas/shared/db/data-api-adapter')]);
    return createDataApiDatabase({
      client: new RDSDataClient({ region: args.region }),
      resourceArn: args.dataApi.clusterArn,
      secretArn: args.dataApi.secretArn,
      database: args.dataApi.database,
    });
  }
  return createPgDatabase({ connectionString: databaseUrlFromEnv(COMMAND), max: 1, applicationName: 'nemt-keys-rotate' });
}

function describe(result: TenantRotation): string {
  const parts = [`${result.rewrapped} rider keys re-wrapped`];
  if (result.retired.length > 0) parts.push(`retired version ${result.retired.join(', ')}`);
  if (result.destroyed.length > 0) parts.push(`destroyed version ${result.destroyed.join(', ')}`);
  if (result.unreadable.length > 0) parts.push(`riders whose key does not open: ${result.unreadable.join(', ')}`);
  return `${result.facilityId}: ${result.outcome === 'incomplete' ? 'INCOMPLETE' : 'rotated'} to version ${result.toVersion} (${parts.join('; ')})`;
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const provider = await keyProviderFor(args);
  const db = await databaseFor(args);
  const requestId = `keys-rotate:${randomUUID()}`;
  const cutoff = args.olderThan.toISOString();
  console.error(`rotating tenant keys created before ${cutoff}; to resume after an interruption: --older-than ${cutoff}`);
  try {
    const facilityIds = args.facilityId ? [args.facilityId] : await listTenants(db, requestId);
    const rotation = new TenantKeyRotation({
      db, pii: new PiiCrypto({ provider }), olderThan: args.olderThan, batchSize: args.batchSize, graceMs: args.graceMs, requestId,
      log: (line) => console.error(line),
    });
    const results = await rotation.run(facilityIds);
    const count = (outcome: TenantRotation['outcome']) => results.filter((result) => result.outcome === outcome).length;
    for (const result of results) if (result.outcome === 'rotated' || result.outcome === 'incomplete') console.log(describe(result));
    console.log(`tenant keys: ${count('rotated')} rotated, ${count('current')} already current, ${count('no-key')} without a key, ` +
      `${count('incomplete')} incomplete`);
    return count('incomplete') > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
}

runCli(COMMAND, USAGE_EXIT_CODE, main);
