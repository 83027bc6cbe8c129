import {
  BeginTransactionCommand, DatabaseErrorException, DatabaseResumingException, ExecuteStatementCommand, RDSDataClient,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { type AddressInfo, createServer } from 'node:net';
import { createDataApiDatabase } from '../../lambdas/shared/db/data-api-adapter';
import { createPgDatabase } from '../../lambdas/shared/db/pg-adapter';
import { type Database, DatabaseError, DatabaseUnavailableError } from '../../lambdas/shared/db/port';
import { freePort } from '../../local/processes';
import { terminateBackend, terminateBackendsOf } from '../support/connection-loss';
import { useTestDatabase } from '../support/database';

/**
 * Issue 13: a connection that dies under the adapter (a terminated backend, 57P01; a server that
 * is gone) must not kill the process (pg emits 'error' on a client it holds, and an 'error'
 * without a listener ends Node, failing this file), must surface as DatabaseUnavailableError,
 * must leave nothing committed, and the pool must recover by itself.
 */
const db = useTestDatabase();
const APP = 'connection-loss-test';
let probe: Database;

beforeAll(async () => {
  await db().owner.query('CREATE TABLE probe_rows (id serial PRIMARY KEY, note text NOT NULL)');
  // One connection: the next transaction can only succeed if the dead one was replaced.
  probe = createPgDatabase({ connectionString: db().url(), max: 1, applicationName: APP });
});

afterAll(async () => {
  await probe.close();
});

async function probeRows(): Promise<string[]> {
  const { rows } = await db().owner.query<{ note: string }>('SELECT note FROM probe_rows ORDER BY id');
  return rows.map((row) => row.note);
}

async function ownPid(tx: { query: Database['query'] }): Promise<number> {
  const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]?.pid as number;
}

/** Waits until the probe's connection is running `statement`, and returns its pid. */
async function pidRunning(statement: string): Promise<number> {
  for (;;) {
    const { rows } = await db().owner.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query = $2`, [APP, statement]);
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(async () => {
  await db().owner.query('TRUNCATE probe_rows');
});

describe('a backend terminated inside a transaction', () => {
  test('between two statements: rejected as unavailable, the first insert is not committed, the next transaction succeeds', async () => {
    const attempt = probe.transaction(async (tx) => {
      await tx.query(`INSERT INTO probe_rows (note) VALUES ('before')`);
      await terminateBackend(db().owner, await ownPid(tx));
      await tx.query(`INSERT INTO probe_rows (note) VALUES ('after')`);
    });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(await probeRows()).toEqual([]);

    await probe.transaction((tx) => tx.query(`INSERT INTO probe_rows (note) VALUES ('recovered')`));
    expect(await probeRows()).toEqual(['recovered']);
  });

  test('after the work, before COMMIT: the COMMIT fails as unavailable and nothing is committed', async () => {
    const attempt = probe.transaction(async (tx) => {
      await tx.query(`INSERT INTO probe_rows (note) VALUES ('uncommitted')`);
      await terminateBackend(db().owner, await ownPid(tx));
      return 'done';
    });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(await probeRows()).toEqual([]);
    await expect(probe.transaction(async (tx) => (await tx.query('SELECT 1 AS one')).rows)).resolves.toEqual([{ one: 1 }]);
  });

  test('while a statement runs: that statement fails with 57P01, classified as unavailable', async () => {
    const statement = 'SELECT pg_sleep(30)';
    const attempt = probe.transaction(async (tx) => {
      await tx.query(`INSERT INTO probe_rows (note) VALUES ('uncommitted')`);
      await tx.query(statement);
    });
    await terminateBackend(db().owner, await pidRunning(statement));
    await expect(attempt).rejects.toMatchObject({ name: 'DatabaseUnavailableError', code: '57P01' });
    expect(await probeRows()).toEqual([]);
    await expect(probe.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });
});

test('a plain query whose backend is terminated while it runs, and an idle pooled connection terminated: both recover', async () => {
  const statement = 'SELECT pg_sleep(31)';
  const running = probe.query(statement);
  await terminateBackend(db().owner, await pidRunning(statement));
  await expect(running).rejects.toMatchObject({ name: 'DatabaseUnavailableError', code: '57P01' });

  await probe.query('SELECT 1');
  expect(await terminateBackendsOf(db().owner, db().name)).toBeGreaterThan(0);
  await expect(probe.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
});

test('ordinary database errors stay what they were (not unavailable)', async () => {
  const duplicate = probe.transaction(async (tx) => {
    await tx.query(`INSERT INTO probe_rows (id, note) VALUES (1, 'one')`);
    await tx.query(`INSERT INTO probe_rows (id, note) VALUES (1, 'again')`);
  });
  await expect(duplicate).rejects.toMatchObject({ name: 'DatabaseError', code: '23505' });
  await expect(duplicate).rejects.not.toBeInstanceOf(DatabaseUnavailableError);
  expect(await probeRows()).toEqual([]);
});

test('no server at the address: queries and transactions fail as unavailable (08001), not as a crash', async () => {
  const nowhere = createPgDatabase({ host: '127.0.0.1', port: await freePort(), user: 'nobody', password: 'x', database: 'none',
    max: 1 });
  try {
    await expect(nowhere.query('SELECT 1')).rejects.toMatchObject({ name: 'DatabaseUnavailableError', code: '08001' });
    await expect(nowhere.transaction((tx) => tx.query('SELECT 1'))).rejects.toMatchObject({ name: 'DatabaseUnavailableError',
      code: '08001' });
  } finally {
    await nowhere.close();
  }
});

test('every new connection asks the password function again (an RDS IAM token is never reused from a dead connection)', async () => {
  const url = new URL(db().url());
  const application = `${APP}-token`;
  let asked = 0;
  const tokenAuthenticated = createPgDatabase({
    host: url.hostname, port: Number(url.port), database: db().name, user: decodeURIComponent(url.username), max: 1,
    applicationName: application,
    password: async () => {
      asked += 1;
      return decodeURIComponent(url.password);
    },
  });
  try {
    await tokenAuthenticated.query('SELECT 1');
    await tokenAuthenticated.query('SELECT 1');
    expect(asked).toBe(1);
    await db().owner.query('SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1', [application]);
    await tokenAuthenticated.transaction((tx) => tx.query('SELECT 1'));
    expect(asked).toBe(2);
  } finally {
    await tokenAuthenticated.close();
  }
});

describe('the Data API adapter classifies the same losses', () => {
  const rdsData = mockClient(RDSDataClient);
  const dataApi = () => createDataApiDatabase({ client: new RDSDataClient({ region: 'us-east-1' }), resourceArn: 'arn:cluster',
    secretArn: 'arn:secret' });
  afterEach(() => rdsData.reset());

  test('a resuming cluster and a terminated session are unavailable; a constraint violation is not', async () => {
    rdsData.on(BeginTransactionCommand).rejects(new DatabaseResumingException({ message: 'resuming', $metadata: {} }));
    await expect(dataApi().transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);

    rdsData.on(ExecuteStatementCommand).rejects(new DatabaseErrorException({ $metadata: {},
      message: 'ERROR: terminating connection due to administrator command; SQLState: 57P01' }));
    await expect(dataApi().query('SELECT 1')).rejects.toMatchObject({ name: 'DatabaseUnavailableError', code: '57P01' });

    rdsData.reset();
    rdsData.on(ExecuteStatementCommand).rejects(new DatabaseErrorException({ $metadata: {},
      message: 'ERROR: duplicate key value violates unique constraint "x_pkey"; SQLState: 23505' }));
    const duplicate = dataApi().query('INSERT INTO x VALUES (1)');
    await expect(duplicate).rejects.toBeInstanceOf(DatabaseError);
    await expect(duplicate).rejects.not.toBeInstanceOf(DatabaseUnavailableError);
  });
});

describe('the connection a Lambda opens during init (connectEarly)', () => {
  test('is opened before any query, and the first transaction uses it instead of opening a second', async () => {
    const app = 'connect-early-test';
    let passwords = 0;
    const url = new URL(db().url());
    const early = createPgDatabase({
      host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user: decodeURIComponent(url.username),
      password: async () => {
        passwords += 1;
        return decodeURIComponent(url.password);
      },
      max: 2, applicationName: app, connectEarly: true,
    });
    try {
      const sessions = async () => Number((await db().owner.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [app])).rows[0]?.n);
      for (let waited = 0; (await sessions()) < 1 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await sessions()).toBe(1);
      expect(passwords).toBe(1);
      await early.transaction((tx) => tx.query('SELECT 1'));
      await early.query('SELECT 1');
      expect(passwords).toBe(1);
      expect(await sessions()).toBe(1);
    } finally {
      await early.close();
    }
  });

  test('a failed early connection is no answer: the first query opens its own and reports that one', async () => {
    // A server that takes each connection and hangs up at once.
    let accepted = 0;
    const server = createServer((socket) => {
      accepted += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const unreachable = createPgDatabase({
      host: '127.0.0.1', port: (server.address() as AddressInfo).port, database: 'none', user: 'none', password: 'none',
      connectEarly: true, connectionTimeoutMillis: 2000,
    });
    try {
      await expect(unreachable.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
      expect(accepted).toBe(2);
    } finally {
      await unreachable.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
