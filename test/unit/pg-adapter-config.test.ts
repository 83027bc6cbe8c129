import pg from 'pg';
import { beginStatement, createPgDatabase, poolOptions } from '../../lambdas/shared/db/pg-adapter';
import { useTestDatabase } from '../support/database';

/** SECURITY S10 (the client verifies the server certificate) and the BEGIN + settings statement. */
const db = useTestDatabase();

describe('poolOptions TLS (SECURITY S10)', () => {
  test('TLS verifies the server certificate against the given CA', () => {
    const options = poolOptions({ host: 'proxy.example', ssl: { ca: 'RDS CA BUNDLE', servername: 'proxy.example' } });
    expect(options.ssl).toEqual({ ca: 'RDS CA BUNDLE', servername: 'proxy.example', rejectUnauthorized: true });
  });

  test('a caller cannot switch verification off through the config', () => {
    const sneaky = { ca: 'RDS CA BUNDLE', rejectUnauthorized: false } as unknown as { ca: string };
    expect(poolOptions({ ssl: sneaky }).ssl).toMatchObject({ rejectUnauthorized: true });
  });

  test('TLS is off only when not configured (local PostgreSQL)', () => {
    expect(poolOptions({ ssl: false }).ssl).toBeUndefined();
    expect(poolOptions({}).ssl).toBeUndefined();
  });
});

describe('beginStatement', () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: db().url() });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  afterEach(async () => {
    await client.query('ROLLBACK');
  });

  const settingsAfter = async (statement: string) => {
    await client.query(statement);
    const { rows } = await client.query<{ role: string; request: string; readOnly: string }>(
      "SELECT current_setting('app.role') AS role, current_setting('app.request_id') AS request, current_setting('transaction_read_only') AS \"readOnly\"",
    );
    return rows[0];
  };

  test('hostile values with quotes and backslashes round-trip exactly and run nothing', async () => {
    const quoteBreak = "x', true); CREATE TABLE injected_by_quote (id int); SELECT ('";
    const backslashBreak = "\\'; CREATE TABLE injected_by_backslash (id int); -- \\\\ ' \"";
    const statement = beginStatement({ settings: { 'app.role': quoteBreak, 'app.request_id': backslashBreak } });

    expect(await settingsAfter(statement)).toEqual({ role: quoteBreak, request: backslashBreak, readOnly: 'off' });
    const { rows } = await client.query<{ a: string | null; b: string | null }>(
      "SELECT to_regclass('injected_by_quote')::text AS a, to_regclass('injected_by_backslash')::text AS b",
    );
    expect(rows[0]).toEqual({ a: null, b: null });
  });

  test('the settings are local to the transaction', async () => {
    await settingsAfter(beginStatement({ settings: { 'app.role': 'Dispatcher', 'app.request_id': 'r-1' } }));
    await client.query('ROLLBACK');
    const { rows } = await client.query<{ role: string | null }>("SELECT nullif(current_setting('app.role', true), '') AS role");
    expect(rows[0]).toEqual({ role: null });
  });

  test('read-only opens a read-only transaction', async () => {
    const statement = beginStatement({ readOnly: true, settings: { 'app.role': 'Billing', 'app.request_id': '' } });
    expect(statement.startsWith('BEGIN READ ONLY;')).toBe(true);
    expect(await settingsAfter(statement)).toEqual({ role: 'Billing', request: '', readOnly: 'on' });
  });

  test('without options it is a plain BEGIN', () => {
    expect(beginStatement(undefined)).toBe('BEGIN');
    expect(beginStatement({})).toBe('BEGIN');
  });

  test.each([
    'role',
    'App.role',
    'app.Role',
    'app.',
    'app.role;',
    "app.role', 'x', false); --",
    'app.a.b',
    'application_name',
    `app.${'x'.repeat(41)}`,
  ])('refuses the setting key %j', (key) => {
    expect(() => beginStatement({ settings: { [key]: 'x' } })).toThrow('invalid setting key');
  });

  test('the adapter applies the same settings through a real transaction', async () => {
    const database = createPgDatabase({ connectionString: db().url(), max: 1 });
    try {
      const value = `O'Brien \\ "quoted" \\' end`;
      const seen = await database.transaction((tx) => tx.query<{ role: string }>("SELECT current_setting('app.role') AS role"), {
        settings: { 'app.role': value },
      });
      expect(seen.rows).toEqual([{ role: value }]);
    } finally {
      await database.close();
    }
  });
});
