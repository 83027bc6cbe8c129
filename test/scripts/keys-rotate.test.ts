import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeyRef } from '../../lambdas/shared/crypto/envelope';
import { useTestDatabase } from '../support/database';
import { createFacility, createRider } from '../support/fixtures';
import { openRiderField, TEST_MASTER_KEY } from '../support/keys';
import { NO_STACK, runScript, type ScriptRun } from '../support/scripts';

/**
 * `npm run keys:rotate` as an operator runs it against the local stack: a separate process, the
 * schema owner's DATABASE_URL and the local master key file (NEMT_LOCAL_DIR), one line per
 * tenant it rotated and a summary on stdout, progress on stderr. The rotation itself is proven in
 * test/db/key-rotation.test.ts.
 */
function keysRotate(args: string[], env: Record<string, string | undefined> = {}): Promise<ScriptRun> {
  return runScript('keys-rotate.ts', args, { clear: ['DATABASE_URL', 'NEMT_LOCAL_DIR'], env });
}

const db = useTestDatabase();
let localDir: string;

beforeAll(() => {
  localDir = mkdtempSync(join(tmpdir(), 'nemt-keys-rotate-'));
  writeFileSync(join(localDir, 'pii-master-key'), `${TEST_MASTER_KEY.toString('base64')}\n`, { mode: 0o600 });
});

afterAll(() => rmSync(localDir, { recursive: true, force: true }));

test('--help prints the usage and exits 0', async () => {
  const run = await keysRotate(['--help']);
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.stdout).toMatch(/^usage: npm run keys:rotate -- \(--facility <uuid> \| --all\) \[options\]\n/);
  for (const flag of ['--facility', '--all', '--older-than', '--batch-size', '--grace-seconds', '--kms-key-arn', '--cluster-arn',
    '--secret-arn', '--database', '--region', '--help']) {
    expect(run.stdout).toMatch(new RegExp(`^  .*${flag}\\b`, 'm'));
  }
  expect(run.stdout).toContain('Exit codes: 0 done, 1 tenants left mid-rotation');
});

test('bad arguments are a usage error (exit 2) in one line, before anything is touched', async () => {
  for (const args of [[], ['--facility', 'nope'], ['--all', '--facility', '4f7c1a52-8a0e-4d0b-9a53-1f2e3d4c5b6a'], ['--all', '--everything'],
    ['--all', '--older-than', 'yesterday'], ['--all', '--batch-size', '0'], ['--all', '--cluster-arn', 'arn:aws:rds:x']]) {
    const run = await keysRotate(args, { DATABASE_URL: db().url() });
    expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
    expect(run.stderr).toMatch(/^keys:rotate: .*; see npm run keys:rotate -- --help\n$/);
    expect(run.stderr).not.toMatch(NO_STACK);
  }
});

test('without a local master key or DATABASE_URL it says what is missing', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'nemt-keys-empty-'));
  try {
    const noKey = await keysRotate(['--all'], { DATABASE_URL: db().url(), NEMT_LOCAL_DIR: empty });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^keys:rotate: no local master key at .*pii-master-key; start the local stack once/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const noDatabase = await keysRotate(['--all'], { NEMT_LOCAL_DIR: localDir });
  expect(noDatabase.code).toBe(2);
  expect(noDatabase.stderr).toMatch(/^keys:rotate: DATABASE_URL is not set/);
});

test('rotates one tenant against the local database; a rerun with the printed cutoff does nothing', async () => {
  const facilityId = (await createFacility(db().owner, { name: 'CLI Clinic' })).id;
  const rider = await createRider(db().owner, { facilityId });
  const env = { DATABASE_URL: db().url(), NEMT_LOCAL_DIR: localDir };

  const first = await keysRotate(['--facility', facilityId, '--grace-seconds', '0'], env);
  expect(first.stdout).toBe(`${facilityId}: rotated to version 2 (1 rider keys re-wrapped; retired version 1; destroyed version 1)\n` +
    'tenant keys: 1 rotated, 0 already current, 0 without a key, 0 incomplete\n');
  expect(first.code).toBe(0);
  const cutoff = /--older-than (\S+)/.exec(first.stderr)?.[1];
  expect(cutoff).toMatch(/^\d{4}-\d{2}-\d{2}T/);

  const { rows } = await db().owner.query<{ data_key: Buffer }>('SELECT data_key FROM riders WHERE id = $1', [rider.id]);
  expect(readKeyRef((rows[0] as { data_key: Buffer }).data_key).version).toBe(2);
  expect(await openRiderField(db().owner, rider.id, 'full_name_enc')).toBe(rider.fullName);

  const rerun = await keysRotate(['--facility', facilityId, '--older-than', cutoff as string], env);
  expect(rerun).toMatchObject({ code: 0, stdout: 'tenant keys: 0 rotated, 1 already current, 0 without a key, 0 incomplete\n' });
});
