import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '../support/database';
import { expectSqlError } from '../support/fixtures';

/**
 * schema/0026's unique invoice numbers on a database that already holds duplicates: the migration
 * still applies, keeps the earliest record of each number in the index and the later copies out of
 * it, and from then on refuses every repeat. The migration's own text runs against a copy of
 * billing_records' shape (the real table already has the index, and its lifecycle triggers make
 * hand-made duplicates long to build).
 */
const db = useTestDatabase();

const MIGRATION = readFileSync(join(__dirname, '../../schema/0026_user_role_changes_and_unique_invoice_numbers.sql'), 'utf8');
const INVOICE_PART = MIGRATION.slice(MIGRATION.indexOf('-- ---- 2.'));

const insert = (invoiceNumber: string | null, second = 0) => db().owner.query(
  `INSERT INTO invoices_before_0026 (facility_id, id, trip_leg_id, trip_request_id, leg_outcome, invoice_number, created_at)
   VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'completed', $1, now() + make_interval(secs => $2))
   RETURNING id`, [invoiceNumber, second]);

test('with duplicates already stored, the index keeps the earliest of each number and refuses every new repeat', async () => {
  const owner = db().owner;
  expect(INVOICE_PART).toContain('CREATE UNIQUE INDEX billing_records_invoice_number_unique');
  await owner.query('CREATE TABLE invoices_before_0026 (LIKE billing_records INCLUDING DEFAULTS)');
  const earliest = (await insert('INV-A', 1)).rows[0] as { id: string };
  const copies = [(await insert('INV-A', 2)).rows[0], (await insert('INV-A', 3)).rows[0]] as { id: string }[];
  await insert('INV-B', 4);
  await insert(null, 5);
  await insert(null, 6);

  await owner.query(INVOICE_PART.replaceAll('billing_records', 'invoices_before_0026'));

  const { rows } = await owner.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE tablename = 'invoices_before_0026'`);
  expect(rows).toHaveLength(1);
  const definition = (rows[0] as { indexdef: string }).indexdef;
  for (const copy of copies) expect(definition).toContain(copy.id);
  expect(definition).not.toContain(earliest.id);

  await expectSqlError(insert('INV-A'), { code: '23505', constraint: 'invoices_before_0026_invoice_number_unique' });
  await expectSqlError(insert('INV-B'), { code: '23505', constraint: 'invoices_before_0026_invoice_number_unique' });
  await insert('INV-C');
  await insert(null);
});

test('on a database without duplicates the index covers every record with a number', async () => {
  const { rows } = await db().owner.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE indexname = 'billing_records_invoice_number_unique'`);
  expect(rows).toEqual([{ indexdef: expect.stringMatching(/UNIQUE INDEX .* \(invoice_number\) WHERE \(invoice_number IS NOT NULL\)$/) }]);
});
