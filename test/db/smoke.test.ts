import { useTestDatabase } from '../support/database';

const db = useTestDatabase();

test('migrated schema has the tenant tables', async () => {
  const { rows } = await db().owner.query<{ n: string }>("SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = 'public'");
  expect(Number(rows[0]?.n)).toBeGreaterThan(10);
});
