import { prepareTemplate } from './database';
import { startEmbeddedPostgres } from './postgres-server';

/**
 * One PostgreSQL server per test run (or DATABASE_URL's, when set), with a template database
 * that has every migration applied; each test file clones it (see database.ts).
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const server = await startEmbeddedPostgres();
    (globalThis as { __nemtPostgres?: { stop: () => Promise<void> } }).__nemtPostgres = server;
    adminUrl = server.adminUrl();
  }
  process.env.NEMT_TEST_ADMIN_URL = adminUrl;
  await prepareTemplate(adminUrl);
}
