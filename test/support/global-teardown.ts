import { dropTemplate } from './database';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.NEMT_TEST_ADMIN_URL;
  const server = (globalThis as { __nemtPostgres?: { stop: () => Promise<void> } }).__nemtPostgres;
  if (server) {
    await server.stop();
  } else if (adminUrl) {
    await dropTemplate(adminUrl);
  }
}
