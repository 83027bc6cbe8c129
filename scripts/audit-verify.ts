/**
 * `npm run audit:verify [-- --facility <uuid>] [--concurrency <n>] [--anchor <file>]`: walks the
 * audit hash chains of DATABASE_URL (every chain, or one facility's) and names the first broken
 * link. --concurrency (default 4) is how many connections read chains side by side. --anchor also
 * checks an audit anchor (a JSON object from the anchors bucket, lambdas/anchor): every event it
 * recorded must still carry the hash it recorded, so history rewritten since then is named too.
 *
 * Exit codes: 0 verified, 1 a chain is broken, 2 could not verify (no DATABASE_URL, bad
 * arguments, database unreachable). Progress goes to stderr, the verdict to stdout.
 * Connect as the auditor login (nemt_auditor_user): it reads every audit event and nothing else.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type AuditAnchor, checkAnchor, parseAnchor } from '../lambdas/shared/audit/anchor';
import { verifyAuditChains } from '../lambdas/shared/audit/verify';
import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';
import { CliFailure, databaseUrlFromEnv, runCli, USAGE_EXIT_CODE } from './cli-support';
import { isUuid } from '../lambdas/shared/uuid';

const COMMAND = 'audit:verify';
const PROGRESS_INTERVAL_MS = 1_000;
const USAGE = 'usage: audit-verify [--facility <uuid>] [--concurrency <1-16>] [--anchor <anchor file>]';

function usageError(message: string): CliFailure {
  return new CliFailure(`${COMMAND}: ${message}; ${USAGE}`, USAGE_EXIT_CODE);
}

function argumentsFromCommandLine(): { facilityId: string | undefined; concurrency: number; anchor: AuditAnchor | undefined } {
  let values: { facility?: string; concurrency?: string; anchor?: string };
  try {
    ({ values } = parseArgs({
      options: { facility: { type: 'string' }, concurrency: { type: 'string' }, anchor: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const facilityId = values.facility;
  if (facilityId !== undefined && !isUuid(facilityId)) {
    throw usageError('--facility must be a facility id (a UUID)');
  }
  const concurrency = Number(values.concurrency ?? '4');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw usageError('--concurrency must be a whole number from 1 to 16');
  }
  let anchor: AuditAnchor | undefined;
  if (values.anchor !== undefined) {
    try {
      anchor = parseAnchor(readFileSync(values.anchor, 'utf8'));
    } catch (error) {
      throw usageError(`--anchor ${values.anchor}: ${(error as Error).message}`);
    }
  }
  return { facilityId, concurrency, anchor };
}

async function main(): Promise<number> {
  const { facilityId, concurrency, anchor } = argumentsFromCommandLine();
  const db = createPgDatabase({
    connectionString: databaseUrlFromEnv(COMMAND),
    max: concurrency,
    applicationName: 'nemt-audit-verify',
  });
  try {
    let lastReport = Date.now();
    const result = await verifyAuditChains(db, {
      facilityId,
      concurrency,
      onProgress: ({ events, chains }) => {
        const now = Date.now();
        if (now - lastReport < PROGRESS_INTERVAL_MS) return;
        lastReport = now;
        console.error(`checked ${events} events in ${chains} chains so far`);
      },
    });
    if (!result.ok) {
      const { chainKey, seq, eventId, reason } = result.firstBreak;
      console.log(`audit chain BROKEN at chain ${chainKey} seq ${seq} (event id ${eventId}): ${reason}`);
      return 1;
    }
    console.log(`audit chain verified: ${result.events} events in ${result.chains} chains`);
    if (!anchor) return 0;
    const heads = facilityId === undefined ? anchor.heads : anchor.heads.filter((head) => head.chainKey === facilityId.toLowerCase());
    const mismatches = await checkAnchor(db, { ...anchor, heads });
    if (mismatches.length === 0) {
      console.log(`anchor of ${anchor.takenAt} matches: ${heads.length} chains`);
      return 0;
    }
    for (const { chainKey, seq, storedHash } of mismatches) {
      console.log(`anchor of ${anchor.takenAt} NOT MATCHED at chain ${chainKey} seq ${seq}: ${storedHash === null ? 'event gone' : 'hash differs'}`);
    }
    return 1;
  } finally {
    await db.close();
  }
}

runCli(COMMAND, USAGE_EXIT_CODE, main);
