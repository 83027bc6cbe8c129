import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchorOf, takeAnchor } from '../../lambdas/shared/audit/anchor';
import { recordAuditEvent } from '../../lambdas/shared/audit/record';
import { loadMigrations } from '../../lambdas/shared/db/migrator';
import type { Database } from '../../lambdas/shared/db/port';
import type { FacilityActor } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { SCHEMA_DIR, useTestDatabase } from '../support/database';
import { NO_STACK, runScript, type ScriptRun } from '../support/scripts';

const MIGRATION_NAMES = loadMigrations(SCHEMA_DIR).map((migration) => migration.name);

/** Runs a script as `npm run` would, with DATABASE_URL set to `databaseUrl` or removed. */
function runWith(script: string, databaseUrl: string | undefined, args: string[] = []): Promise<ScriptRun> {
  return runScript(script, args, { clear: ['DATABASE_URL'], env: { DATABASE_URL: databaseUrl } });
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}


async function newFacility(owner: Database): Promise<string> {
  const { rows } = await owner.query<{ id: string }>("INSERT INTO facilities (kind, name) VALUES ('facility', 'CLI test') RETURNING id");
  const id = rows[0]?.id;
  if (!id) throw new Error('facility not created');
  return id;
}

async function recordEvents(api: Database, facilityId: string, count: number): Promise<void> {
  const actor: FacilityActor = { sub: randomUUID(), role: 'FacilityAdmin', facilityId };
  await withActor(api, actor, async (tx) => {
    for (let i = 0; i < count; i += 1) {
      await recordAuditEvent(tx, { facilityId, actor, entityType: 'trip_request', entityId: randomUUID(), action: 'cli.test' });
    }
  });
}

describe('db:migrate', () => {
  const migrated = useTestDatabase();
  const empty = useTestDatabase({ migrated: false });

  test('on an already migrated database applies nothing and says so', async () => {
    const run = await runWith('db-migrate.ts', migrated().url());
    expect(run).toEqual({ code: 0, stdout: `0 applied, ${MIGRATION_NAMES.length} already applied\n`, stderr: '' });
  });

  test('on an empty database applies every file in order, then nothing on the second run', async () => {
    const first = await runWith('db-migrate.ts', empty().url());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trimEnd().split('\n')).toEqual([
      ...MIGRATION_NAMES.map((name) => `applied ${name}`),
      `${MIGRATION_NAMES.length} applied, 0 already applied`,
    ]);
    const { rows } = await empty().owner.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'audit_events'");
    expect(rows).toEqual([{ n: 1 }]);

    const second = await runWith('db-migrate.ts', empty().url());
    expect(second).toEqual({ code: 0, stdout: `0 applied, ${MIGRATION_NAMES.length} already applied\n`, stderr: '' });
  });

  test('an applied migration whose file changed stops the run with exit 1 and the reason', async () => {
    const edited = MIGRATION_NAMES[2];
    await empty().owner.query("UPDATE schema_migrations SET checksum = 'not-the-file' WHERE name = $1", [edited ?? '']);
    const run = await runWith('db-migrate.ts', empty().url());
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`db:migrate failed: ${edited} was edited after it was applied; add a new migration instead\n`);
  });

  test('without DATABASE_URL it exits non-zero with a clear message', async () => {
    const run = await runWith('db-migrate.ts', undefined);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^db:migrate: DATABASE_URL is not set/);
    expect(run.stderr).not.toMatch(NO_STACK);
  });

  test('a refused login is reported without a stack trace and without the password', async () => {
    const secret = 'Wr0ng-Secret-4242';
    const run = await runWith('db-migrate.ts', withPassword(migrated().url(), secret));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^db:migrate failed: password authentication failed/);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect(`${run.stdout}${run.stderr}`).not.toContain(secret);
  });
});

describe('audit:verify', () => {
  const db = useTestDatabase();
  let first: string;
  let second: string;

  beforeAll(async () => {
    first = await newFacility(db().owner);
    second = await newFacility(db().owner);
    await recordEvents(db().as('api'), first, 4);
    await recordEvents(db().as('api'), second, 3);
  });

  test('an intact database verifies, as the owner and as the auditor login', async () => {
    for (const url of [db().url(), db().url('auditor')]) {
      const run = await runWith('audit-verify.ts', url);
      expect(run).toEqual({ code: 0, stdout: 'audit chain verified: 7 events in 2 chains\n', stderr: '' });
    }
  });

  test('--facility verifies one tenant chain', async () => {
    const run = await runWith('audit-verify.ts', db().url('auditor'), ['--facility', second]);
    expect(run).toEqual({ code: 0, stdout: 'audit chain verified: 3 events in 1 chains\n', stderr: '' });
  });

  test('--concurrency 1 reads the same chains through one connection', async () => {
    const run = await runWith('audit-verify.ts', db().url('auditor'), ['--concurrency', '1']);
    expect(run).toEqual({ code: 0, stdout: 'audit chain verified: 7 events in 2 chains\n', stderr: '' });
  });

  test('a malformed --facility or an unknown flag is a usage error', async () => {
    for (const args of [['--facility', 'not-a-uuid'], ['--everything'], ['--concurrency', '0']]) {
      const run = await runWith('audit-verify.ts', db().url('auditor'), args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^audit:verify: /);
      expect(run.stderr).not.toMatch(NO_STACK);
    }
  });

  test('without DATABASE_URL it exits non-zero with a clear message', async () => {
    const run = await runWith('audit-verify.ts', undefined);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^audit:verify: DATABASE_URL is not set/);
    expect(run.stderr).not.toMatch(NO_STACK);
  });

  test('a refused login exits 2 (not verified, not broken) without echoing the password', async () => {
    const secret = 'An0ther-Wrong-Secret';
    const run = await runWith('audit-verify.ts', withPassword(db().url('auditor'), secret));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^audit:verify failed: password authentication failed/);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect(run.stderr).not.toContain(secret);
  });

  test('--anchor checks an anchor file too: matched, not matched, or not an anchor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nemt-anchor-'));
    try {
      const anchor = await takeAnchor(db().as('auditor'), new Date('2031-02-03T04:05:06Z'));
      const file = join(dir, 'anchor.json');
      writeFileSync(file, JSON.stringify(anchor));
      const matched = await runWith('audit-verify.ts', db().url('auditor'), ['--anchor', file]);
      expect(matched).toEqual({
        code: 0, stdout: 'audit chain verified: 7 events in 2 chains\nanchor of 2031-02-03T04:05:06.000Z matches: 2 chains\n', stderr: '',
      });

      // An anchor that recorded another hash for the second chain's head: what a rewrite since then looks like.
      const heads = anchor.heads.map((head) => (head.chainKey === second ? { ...head, hash: 'e'.repeat(64) } : head));
      const forged = join(dir, 'other.json');
      writeFileSync(forged, JSON.stringify(anchorOf(heads, new Date('2031-02-03T04:05:06Z'))));
      const unmatched = await runWith('audit-verify.ts', db().url('auditor'), ['--anchor', forged]);
      expect(unmatched.code).toBe(1);
      expect(unmatched.stdout).toContain(`NOT MATCHED at chain ${second} seq 3: hash differs`);
      // One facility: only its own chain's anchor is checked.
      expect((await runWith('audit-verify.ts', db().url('auditor'), ['--anchor', forged, '--facility', first])).code).toBe(0);

      const damaged = join(dir, 'damaged.json');
      writeFileSync(damaged, JSON.stringify({ ...anchor, heads }));
      const refused = await runWith('audit-verify.ts', db().url('auditor'), ['--anchor', damaged]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^audit:verify: --anchor .*digest does not match/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Last: it breaks this database's chain for good.
  test('after a row is altered behind the triggers it prints BROKEN at that event and exits 1', async () => {
    const { rows } = await db().owner.query<{ id: string }>('SELECT id FROM audit_events WHERE chain_key = $1 AND seq = 2', [first]);
    const altered = rows[0]?.id;
    if (!altered) throw new Error('no event to alter');
    await db().owner.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE audit_events SET details = '{"note": "forged"}' WHERE id = $1`, [altered]);
    });

    const run = await runWith('audit-verify.ts', db().url('auditor'));
    expect(run).toEqual({
      code: 1,
      stdout: `audit chain BROKEN at chain ${first} seq 2 (event id ${altered}): hash_mismatch\n`,
      stderr: '',
    });
    const other = await runWith('audit-verify.ts', db().url('auditor'), ['--facility', second]);
    expect(other.code).toBe(0);
  });
});
