import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { createDataApiDatabase, fieldValue } from '../../lambdas/shared/db/data-api-adapter';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import { type Database, DatabaseError, type Queryable } from '../../lambdas/shared/db/port';
import { type DataApiFake, installDataApiFake } from '../support/data-api-fake';
import { useTestDatabase } from '../support/database';

/**
 * One contract, two adapters: node-postgres and the RDS Data API (through the fake, which runs
 * every statement on the same PostgreSQL). Anything a caller can observe must be the same.
 * SQL here casts string parameters to their target type, as portable code must (see
 * data-api-adapter.ts).
 */
const db = useTestDatabase();

interface Subject {
  database: Database;
  close(): Promise<void>;
}

const adapters: [string, () => Subject][] = [
  [
    'node-postgres',
    () => {
      const database = createPgDatabase({ connectionString: db().url(), max: 4 });
      return { database, close: () => database.close() };
    },
  ],
  [
    'RDS Data API',
    () => {
      const fake = installDataApiFake({ connectionString: db().url() });
      const database = createDataApiDatabase(fake.config);
      return { database, close: () => database.close().then(() => fake.close()) };
    },
  ],
];

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe.each(adapters)('Database port contract: %s adapter', (adapterName, open) => {
  const table = `scratch_${adapterName.replace(/\W+/g, '_').toLowerCase()}`;
  let subject: Subject;
  let database: Database;
  let nextId = 1;
  const id = () => nextId++;

  beforeAll(async () => {
    await db().owner.query(`CREATE TABLE ${table} (
      id int4 PRIMARY KEY,
      label text UNIQUE,
      big int8,
      amount numeric(30, 9),
      flag boolean,
      at timestamptz,
      day date,
      doc jsonb,
      blob bytea
    )`);
    await db().owner.query(`CREATE TABLE ${table}_deferred (id int4 UNIQUE DEFERRABLE INITIALLY DEFERRED)`);
    subject = open();
    database = subject.database;
  });

  afterAll(async () => {
    await subject.close();
  });

  const count = async (where: string, values: (string | number)[]) => {
    const { rows } = await db().owner.query<{ n: number }>(`SELECT count(*)::int4 AS n FROM ${table} WHERE ${where}`, values);
    return rows[0]?.n;
  };

  describe('parameter and result types', () => {
    test('text with quotes, backslashes and unicode round-trips', async () => {
      const text = `it's "quoted" \\ back\\slash; $1 :p1 ñ 救护车 🚑`;
      const { rows } = await database.query<{ v: string }>('SELECT $1::text AS v', [text]);
      expect(rows).toEqual([{ v: text }]);
    });

    test('int4 is a number; int8 and numeric are exact strings', async () => {
      const { rows } = await database.query(
        'SELECT $1::int4 AS small, $2::int8 AS big, $3::numeric AS exact, 7::int2 AS tiny, count(*) AS counted FROM (VALUES (1), (2)) AS v(x)',
        [42, '9007199254740993', '12345678901234567890.123456789'],
      );
      expect(rows).toEqual([{ small: 42, big: '9007199254740993', exact: '12345678901234567890.123456789', tiny: 7, counted: '2' }]);
    });

    test('a JS integer binds to an int column; a fraction to a numeric one', async () => {
      const row = id();
      await database.query(`INSERT INTO ${table} (id, big, amount) VALUES ($1, $2, $3)`, [row, 123, 2.5]);
      const { rows } = await database.query(`SELECT id, big, amount FROM ${table} WHERE id = $1`, [row]);
      expect(rows).toEqual([{ id: row, big: '123', amount: '2.500000000' }]);
    });

    test('booleans and nulls round-trip', async () => {
      const { rows } = await database.query('SELECT $1::boolean AS yes, $2::boolean AS no, $3::text AS nothing, NULL::int4 AS none', [
        true,
        false,
        null,
      ]);
      expect(rows).toEqual([{ yes: true, no: false, nothing: null, none: null }]);
    });

    test('timestamptz goes in as a Date and comes out as an ISO string in UTC', async () => {
      const at = new Date('2024-05-01T09:30:00.123Z');
      const { rows } = await database.query(
        "SELECT $1::timestamptz AS given, '2024-05-01 11:30:00.5+02'::timestamptz AS literal, $1::timestamptz + interval '1 day' AS later",
        [at],
      );
      expect(rows).toEqual([{ given: '2024-05-01T09:30:00.123Z', literal: '2024-05-01T09:30:00.500Z', later: '2024-05-02T09:30:00.123Z' }]);
    });

    test('a Date stored in a timestamptz column compares equal to the same instant', async () => {
      const row = id();
      const at = new Date('2023-12-31T23:59:59.999Z');
      await database.query(`INSERT INTO ${table} (id, at) VALUES ($1, $2)`, [row, at]);
      const { rows } = await database.query(`SELECT at FROM ${table} WHERE id = $1 AND at = '2023-12-31T23:59:59.999Z'::timestamptz`, [row]);
      expect(rows).toEqual([{ at: '2023-12-31T23:59:59.999Z' }]);
    });

    test('date is YYYY-MM-DD with no time zone shift', async () => {
      const { rows } = await database.query("SELECT $1::date AS given, '2024-02-29'::date AS literal", ['1999-12-31']);
      expect(rows).toEqual([{ given: '1999-12-31', literal: '2024-02-29' }]);
    });

    test('jsonb comes back parsed', async () => {
      const doc = { a: [1, 'x', null], nested: { ok: true, quote: "it's" } };
      const { rows } = await database.query('SELECT $1::jsonb AS doc, \'{"n": 1}\'::json AS plain', [JSON.stringify(doc)]);
      expect(rows).toEqual([{ doc, plain: { n: 1 } }]);
    });

    test('bytea round-trips as a Buffer', async () => {
      const bytes = Buffer.from([0, 1, 2, 0x27, 0x5c, 0xff]);
      const { rows } = await database.query<{ blob: Buffer; size: number }>('SELECT $1::bytea AS blob, length($1::bytea) AS size', [bytes]);
      expect(Buffer.isBuffer(rows[0]?.blob)).toBe(true);
      expect(rows[0]?.blob.equals(bytes)).toBe(true);
      expect(rows[0]?.size).toBe(bytes.length);
    });

    test('a full row written with parameters reads back with every type normalised', async () => {
      const row = id();
      const doc = { list: [1, 2] };
      await database.query(
        `INSERT INTO ${table} (id, label, big, amount, flag, at, day, doc, blob)
         VALUES ($1, $2, $3::int8, $4::numeric, $5, $6, $7::date, $8::jsonb, $9)`,
        [row, `row ${row}`, '-9223372036854775808', '0.000000001', true, new Date('2024-01-02T03:04:05.006Z'), '2024-01-02', JSON.stringify(doc), Buffer.from('hi')],
      );
      const { rows, rowCount } = await database.query(`SELECT * FROM ${table} WHERE id = $1`, [row]);
      expect(rowCount).toBe(1);
      expect(rows).toEqual([
        {
          id: row,
          label: `row ${row}`,
          big: '-9223372036854775808',
          amount: '0.000000001',
          flag: true,
          at: '2024-01-02T03:04:05.006Z',
          day: '2024-01-02',
          doc,
          blob: Buffer.from('hi'),
        },
      ]);
    });

    test('uuid and enum-like text come back as strings', async () => {
      const { rows } = await database.query("SELECT $1::uuid AS id, 'Dispatcher'::varchar AS role, 'x'::name AS n", [
        'B5C0F1E2-1111-4A2B-8C3D-000000000001',
      ]);
      expect(rows).toEqual([{ id: 'b5c0f1e2-1111-4a2b-8c3d-000000000001', role: 'Dispatcher', n: 'x' }]);
    });

    test('rowCount counts changed rows for writes and returned rows for reads', async () => {
      const a = id();
      const b = id();
      const inserted = await database.query(`INSERT INTO ${table} (id) VALUES ($1), ($2)`, [a, b]);
      expect(inserted).toEqual({ rows: [], rowCount: 2 });
      const updated = await database.query(`UPDATE ${table} SET flag = true WHERE id IN ($1, $2) RETURNING id`, [a, b]);
      expect(updated.rowCount).toBe(2);
      expect(updated.rows.map((r) => r.id).sort()).toEqual([a, b].sort());
      const none = await database.query(`SELECT id FROM ${table} WHERE id = -1`);
      expect(none).toEqual({ rows: [], rowCount: 0 });
    });
  });

  describe('placeholders', () => {
    test('$n inside string literals, quoted identifiers, dollar quotes and comments is left alone', async () => {
      const { rows } = await database.query(
        `SELECT '$1' AS plain, 'it''s $2' AS doubled, E'esc\\'s $1' AS escaped, 'back\\' AS backslash,
           $$ $1 $$ AS dollar, $tag$ '$2' $tag$ AS tagged, $1::text AS "col$1" -- $2 here
           /* $2 /* nested $1 */ still $2 */`,
        ['value'],
      );
      expect(rows).toEqual([
        { plain: '$1', doubled: "it's $2", escaped: "esc's $1", backslash: 'back\\', dollar: ' $1 ', tagged: " '$2' ", col$1: 'value' },
      ]);
    });

    test('a parameter used twice binds the same value', async () => {
      const { rows } = await database.query('SELECT $1::text AS a, $1::text || $2::text AS b', ['x', 'y']);
      expect(rows).toEqual([{ a: 'x', b: 'xy' }]);
    });

    test('SQL without parameters is sent as written, colons and all', async () => {
      const { rows } = await database.query(`SELECT '$1 :name'::text AS t, '{"a":1}'::jsonb -> 'a' AS j`);
      expect(rows).toEqual([{ t: '$1 :name', j: 1 }]);
    });
  });

  describe('transactions', () => {
    test('commit persists the work and returns its result', async () => {
      const row = id();
      const result = await database.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [row, 'committed']);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await count('id = $1', [row])).toBe(1);
    });

    test('a throw rolls back everything and rethrows the same error', async () => {
      const row = id();
      const failure = new Error('work failed');
      const error = await caught(
        database.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [row, 'rolled back']);
          await tx.query(`UPDATE ${table} SET label = 'touched' WHERE id = $1`, [row]);
          throw failure;
        }),
      );
      expect(error).toBe(failure);
      expect(await count('id = $1', [row])).toBe(0);
    });

    test('settings are visible inside the transaction and gone after it', async () => {
      const hostile = `it's \\ "x" '; SELECT 1; --`;
      const inside = await database.transaction(
        (tx) => tx.query<{ role: string; other: string }>("SELECT current_setting('app.role') AS role, current_setting('app.request_id') AS other"),
        { settings: { 'app.role': hostile, 'app.request_id': 'req-1' } },
      );
      expect(inside.rows).toEqual([{ role: hostile, other: 'req-1' }]);

      const read = "SELECT coalesce(current_setting('app.role', true), '') AS role";
      const after = await database.transaction((tx) => tx.query<{ role: string }>(read));
      expect(after.rows).toEqual([{ role: '' }]);
      const outside = await database.query<{ role: string }>(read);
      expect(outside.rows).toEqual([{ role: '' }]);
    });

    test('an invalid setting key is refused before anything runs', async () => {
      let ran = false;
      const error = await caught(
        database.transaction(
          async () => {
            ran = true;
          },
          { settings: { "app.role', 'x', false); --": 'x' } },
        ),
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/invalid setting key/);
      expect(ran).toBe(false);
    });

    test('a read-only transaction refuses writes', async () => {
      const row = id();
      const error = await caught(
        database.transaction((tx) => tx.query(`INSERT INTO ${table} (id) VALUES ($1)`, [row]), { readOnly: true }),
      );
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error).toMatchObject({ code: '25006' });
      const read = await database.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'), {
        readOnly: true,
        settings: { 'app.role': 'Billing' },
      });
      expect(read.rows).toEqual([{ one: 1 }]);
      expect(await count('id = $1', [row])).toBe(0);
    });

    test('init statements run after the settings, inside the transaction, before the work', async () => {
      const row = id();
      let ran = false;
      const seen = await database.transaction(
        (tx) => {
          ran = true;
          return tx.query<{ label: string }>(`SELECT label FROM ${table} WHERE id = ${row}`);
        },
        {
          settings: { 'app.role': 'Dispatcher' },
          initStatements: [`INSERT INTO ${table} (id, label) VALUES (${row}, current_setting('app.role'))`, `UPDATE ${table} SET flag = true WHERE id = ${row}`],
        },
      );
      expect(ran).toBe(true);
      expect(seen.rows).toEqual([{ label: 'Dispatcher' }]);
      expect(await count('id = $1 AND flag', [row])).toBe(1);
    });

    test('a failing init statement rolls back the transaction and the work never runs', async () => {
      const row = id();
      let ran = false;
      const error = await caught(
        database.transaction(
          async () => {
            ran = true;
          },
          { initStatements: [`INSERT INTO ${table} (id) VALUES (${row})`, 'SELECT 1 / 0'] },
        ),
      );
      expect(error).toMatchObject({ code: '22012' });
      expect(ran).toBe(false);
      expect(await count('id = $1', [row])).toBe(0);
    });

    test("concurrent transactions do not see each other's uncommitted rows", async () => {
      const row = id();
      const inserted = deferred();
      const release = deferred();
      const writer = database.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [row, 'pending']);
        inserted.resolve();
        await release.promise;
        const own = await tx.query(`SELECT id FROM ${table} WHERE id = $1`, [row]);
        return own.rowCount;
      });
      await inserted.promise;
      const seenByOther = await database.transaction((tx) => tx.query(`SELECT id FROM ${table} WHERE id = $1`, [row]));
      const seenOutside = await database.query(`SELECT id FROM ${table} WHERE id = $1`, [row]);
      release.resolve();
      expect(await writer).toBe(1);
      expect(seenByOther.rowCount).toBe(0);
      expect(seenOutside.rowCount).toBe(0);
      expect(await count('id = $1', [row])).toBe(1);
    });

    test('whileCommitting builds the answer from the result, outside the transaction, and it counts once committed', async () => {
      const row = id();
      let handle: Queryable | undefined;
      const seen: unknown[] = [];
      const answer = await database.transaction(
        async (tx) => {
          handle = tx;
          await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [row, 'answered while committing']);
          return row;
        },
        {
          whileCommitting: (result) => {
            seen.push(result);
            // The transaction is closed to it: its work is done and COMMIT already sent.
            seen.push(handle?.query('SELECT 1').catch((error: Error) => error.message));
            return { built: result };
          },
        },
      );
      expect(answer).toEqual({ built: row });
      expect(seen[0]).toBe(row);
      await expect(seen[1]).resolves.toBe('transaction already finished');
      expect(await count('id = $1', [row])).toBe(1);
    });

    test('a COMMIT that fails discards what whileCommitting built and surfaces the error', async () => {
      const row = id();
      let built = 0;
      const error = await caught(
        database.transaction(
          async (tx) => {
            // Two equal ids under a deferred unique constraint: refused only at COMMIT.
            await tx.query(`INSERT INTO ${table}_deferred (id) VALUES ($1), ($1)`, [row]);
          },
          {
            whileCommitting: () => {
              built += 1;
              return 'never answered';
            },
          },
        ),
      );
      expect(error).toBeInstanceOf(DatabaseError);
      expect((error as DatabaseError).code).toBe('23505');
      expect(built).toBe(1);
      const { rows } = await db().owner.query<{ n: number }>(`SELECT count(*)::int4 AS n FROM ${table}_deferred WHERE id = $1`, [row]);
      expect(rows[0]?.n).toBe(0);
    });

    test('a throw in whileCommitting surfaces after the commit, which stands', async () => {
      const row = id();
      const failure = new Error('building the answer failed');
      const error = await caught(
        database.transaction(
          (tx) => tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [row, 'committed, answer failed']),
          {
            whileCommitting: () => {
              throw failure;
            },
          },
        ),
      );
      expect(error).toBe(failure);
      expect(await count('id = $1', [row])).toBe(1);
      // The connection is clean for the next transaction.
      await expect(database.transaction(async (tx) => (await tx.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one)).resolves.toBe(1);
    });

    test('the transaction handle is unusable after commit and after rollback', async () => {
      let leaked: Queryable | undefined;
      await database.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked?.query('SELECT 1')).rejects.toThrow('transaction already finished');

      await caught(
        database.transaction(async (tx) => {
          leaked = tx;
          throw new Error('boom');
        }),
      );
      await expect(leaked?.query('SELECT 1')).rejects.toThrow('transaction already finished');
    });
  });

  describe('errors', () => {
    test('a unique violation is a DatabaseError with 23505 and the constraint, without the row values', async () => {
      const label = `secret-label-${id()}`;
      await database.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [id(), label]);
      const error = await caught(database.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [id(), label]));
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error).toMatchObject({ name: 'DatabaseError', code: '23505', constraint: `${table}_label_key` });
      expect((error as Error).message).toBe(`duplicate key value violates unique constraint "${table}_label_key"`);
      expect((error as Error).message).not.toContain(label);
    });

    test('a violation inside a transaction rolls it back and surfaces the same way', async () => {
      const row = id();
      const fresh = id();
      await database.query(`INSERT INTO ${table} (id) VALUES ($1)`, [row]);
      const error = await caught(
        database.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} (id) VALUES ($1)`, [fresh]);
          await tx.query(`INSERT INTO ${table} (id) VALUES ($1)`, [row]);
        }),
      );
      expect(error).toMatchObject({ code: '23505', constraint: `${table}_pkey` });
      expect(await count('id = $1', [fresh])).toBe(0);
    });

    test('bad input, arithmetic, syntax and missing-relation errors carry their SQLSTATE', async () => {
      const badInput = await caught(database.query('SELECT $1::int4 AS x', ['x']));
      expect(badInput).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: "x"' });
      const division = await caught(database.query('SELECT 1/0 AS x'));
      expect(division).toMatchObject({ code: '22012', message: 'division by zero' });
      const syntax = await caught(database.query('SELEC 1'));
      expect(syntax).toMatchObject({ code: '42601' });
      const missing = await caught(database.query('SELECT * FROM no_such_table'));
      expect(missing).toMatchObject({ code: '42P01', message: 'relation "no_such_table" does not exist' });
    });
  });
});

describe('RDS Data API adapter on the wire', () => {
  let fake: DataApiFake;
  let database: Database;

  beforeAll(() => {
    fake = installDataApiFake({ connectionString: db().url() });
    database = createDataApiDatabase(fake.config);
  });

  beforeEach(() => {
    fake.mock.resetHistory();
  });

  afterAll(async () => {
    await fake.close();
  });

  test('positional placeholders become named parameters with typed fields', async () => {
    const at = new Date('2024-05-01T09:30:00.120Z');
    await database.query('SELECT $1::text AS a, $2::int8 AS b, $3::float8 AS c, $4::bool AS d, $5::text AS e, $6::timestamptz AS f, $7::bytea AS g', [
      's',
      5,
      1.5,
      true,
      null,
      at,
      Buffer.from([1]),
    ]);
    const [call] = fake.mock.commandCalls(ExecuteStatementCommand);
    const input = call?.args[0].input;
    expect(input?.sql).toBe('SELECT :p1::text AS a, :p2::int8 AS b, :p3::float8 AS c, :p4::bool AS d, :p5::text AS e, :p6::timestamptz AS f, :p7::bytea AS g');
    expect(input?.parameters).toEqual([
      { name: 'p1', value: { stringValue: 's' } },
      { name: 'p2', value: { longValue: 5 } },
      { name: 'p3', value: { doubleValue: 1.5 } },
      { name: 'p4', value: { booleanValue: true } },
      { name: 'p5', value: { isNull: true } },
      { name: 'p6', typeHint: 'TIMESTAMP', value: { stringValue: '2024-05-01 09:30:00.120' } },
      { name: 'p7', value: { blobValue: Buffer.from([1]) } },
    ]);
    expect(input).toMatchObject({ includeResultMetadata: true, database: fake.config.database });
  });

  test('a transaction is Begin, one statement for all settings, the work, Commit', async () => {
    await database.transaction((tx) => tx.query('SELECT 1'), { settings: { 'app.role': 'Dispatcher', 'app.sub': 'abc' } });
    const kind = (command: unknown) =>
      command instanceof BeginTransactionCommand
        ? 'begin'
        : command instanceof ExecuteStatementCommand
          ? 'execute'
          : command instanceof CommitTransactionCommand
            ? 'commit'
            : 'other';
    expect(fake.mock.calls().map((call) => kind(call.args[0]))).toEqual(['begin', 'execute', 'execute', 'commit']);
    const executes = fake.mock.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input);
    expect(executes[0]?.sql).toBe('SELECT set_config(:p1, :p2, true), set_config(:p3, :p4, true)');
    expect(executes[0]?.parameters?.map((parameter) => parameter.value?.stringValue)).toEqual(['app.role', 'Dispatcher', 'app.sub', 'abc']);
    const committed = fake.mock.commandCalls(CommitTransactionCommand)[0]?.args[0].input.transactionId;
    expect(committed).toEqual(expect.any(String));
    expect(executes.map((input) => input.transactionId)).toEqual([committed, committed]);
    expect(fake.openTransactions()).toBe(0);
  });

  test('a failed transaction is rolled back on the service, not left open', async () => {
    await caught(
      database.transaction(async (tx) => {
        await tx.query('SELECT 1/0');
      }),
    );
    expect(fake.mock.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
    expect(fake.mock.commandCalls(CommitTransactionCommand)).toHaveLength(0);
    expect(fake.openTransactions()).toBe(0);
  });

  test('the deprecated BadRequestException form maps to the same DatabaseError', async () => {
    const legacy = installDataApiFake({ connectionString: db().url(), sqlErrors: 'BadRequestException' });
    try {
      const error = await caught(createDataApiDatabase(legacy.config).query("SELECT 'x'::int4"));
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: "x"' });
      expect((error as DatabaseError).cause).toMatchObject({ name: 'BadRequestException' });
    } finally {
      await legacy.close();
    }
  });

  test('result fields map the same whichever return type options the service honoured', () => {
    expect(fieldValue({ longValue: 5 }, 'int4')).toBe(5);
    expect(fieldValue({ stringValue: '5' }, 'int4')).toBe(5);
    expect(fieldValue({ longValue: 5 }, 'int8')).toBe('5');
    expect(fieldValue({ doubleValue: 1.5 }, 'numeric')).toBe('1.5');
    expect(fieldValue({ stringValue: '2024-05-01 09:30:00.123456' }, 'timestamptz')).toBe('2024-05-01T09:30:00.123Z');
    expect(fieldValue({ stringValue: '2024-05-01 11:30:00+02' }, 'timestamptz')).toBe('2024-05-01T09:30:00.000Z');
    expect(fieldValue({ isNull: true }, 'jsonb')).toBeNull();
    expect(fieldValue({ stringValue: 'Dispatcher' }, 'user_role')).toBe('Dispatcher');
    expect(() => fieldValue({ arrayValue: { longValues: [1] } }, '_int4')).toThrow('array results are not supported');
  });

  test('multi-statement SQL is refused, as the service refuses it', async () => {
    const error = await caught(database.query('SELECT 1; SELECT 2'));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: '42601' });
  });

  test('a parameter number beyond the values given is refused before sending', async () => {
    await expect(database.query('SELECT $2::text', ['only one'])).rejects.toThrow('statement uses $2 but only 1 values were given');
    expect(fake.mock.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });
});
