import { freePort } from '../../local/processes';
import { createLocalHttpServer, type LocalHttpServer } from '../../local/server';
import { DatabaseUnavailableError } from '../../lambdas/shared/db/port';

/**
 * What the local server answers when something outside the API handlers fails (the sign-in pages
 * read the users from the database): the database gone is 503 with Retry-After, as the API says
 * it; anything else is 500; neither names what failed.
 */
let server: LocalHttpServer;
let base: string;
let failure: Error;

beforeAll(async () => {
  server = createLocalHttpServer();
  server.ready({ dispatch: async () => { throw failure; } });
  const port = await freePort();
  await server.listen(port);
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => server.close());

test('the database gone: 503 problem+json with Retry-After, nothing about the database in it', async () => {
  failure = new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432', '57P03');
  const answer = await fetch(`${base}/oauth2/authorize?client_id=local-console`);
  expect(answer.status).toBe(503);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.headers.get('retry-after')).toBe('5');
  const body = await answer.text();
  expect(JSON.parse(body)).toMatchObject({ type: 'urn:nemt:problem:unavailable', status: 503 });
  expect(body).not.toMatch(/ECONNREFUSED|5432|57P03|postgres/i);
});

test('any other failure: 500 problem+json without its message', async () => {
  failure = new Error('secret detail of a bug');
  const answer = await fetch(`${base}/oauth2/authorize`);
  expect(answer.status).toBe(500);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(await answer.text()).not.toContain('secret detail');
});
