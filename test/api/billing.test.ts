import fc from 'fast-check';
import { csvCell } from '../../lambdas/api/handlers/billing';
import { BillingRecord } from '../../lambdas/api/schemas/admin';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, billingRecordsForLeg, completeLeg, createFacility, createFacilityUser, createLeg, createRider, createStaffUser,
  createTripRequest, defaultCompletion, driveLeg, expectSqlError, getBillingRecord, getLeg, moveBillingRecord,
  setClinicalNotes, type BillingRecordRow, type UserRow,
} from '../support/fixtures';

const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let billing: UserRow;
let dispatcher: UserRow;
let driver: UserRow;
let adminA: UserRow;
let riderA: string;
let riderB: string;

const RIDER_NAME = 'Bea Billable';
const RIDER_PHONE = '+15550002222';
const CLINICAL_NOTES = 'Chemotherapy follow-up';

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  const owner = db().owner;
  facilityA = (await createFacility(owner)).id;
  facilityB = (await createFacility(owner)).id;
  billing = await createStaffUser(owner, 'Billing');
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  driver = await createStaffUser(owner, 'Driver');
  adminA = await createFacilityUser(owner, 'FacilityAdmin', facilityA);
  riderA = (await createRider(owner, { facilityId: facilityA, fullName: RIDER_NAME, phone: RIDER_PHONE, careNotes: 'Uses a cane' })).id;
  riderB = (await createRider(owner, { facilityId: facilityB })).id;
});

const as = (user: UserRow) => actorOf(user);
const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });

/** A completed (or no-show) leg of a new trip; the database created its pending billing record. */
async function billedLeg(facilityId = facilityA, outcome: 'completed' | 'no_show' = 'completed'): Promise<BillingRecordRow> {
  const owner = db().owner;
  const trip = await createTripRequest(owner, {
    facilityId, riderId: facilityId === facilityA ? riderA : riderB, source: 'dispatcher', submittedBy: dispatcher.id,
    status: 'scheduled',
  });
  await setClinicalNotes(owner, trip, CLINICAL_NOTES);
  const leg = await createLeg(owner, trip);
  if (outcome === 'completed') await completeLeg(owner, leg.id, driver.id);
  else await driveLeg(owner, leg.id, 'no_show', { driverId: driver.id });
  const [bill] = await billingRecordsForLeg(owner, leg.id);
  if (!bill) throw new Error('no billing record');
  return bill;
}

async function transition(id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return api.call('POST', `/v1/billing-records/${id}/transitions`, { as: as(billing), body, headers });
}

describe('reading billing records', () => {
  test('get answers the record with an ETag; unknown ids are 404; other roles are 403', async () => {
    const bill = await billedLeg();
    const answer = await api.call('GET', `/v1/billing-records/${bill.id}`, { as: as(billing) });
    expect(answer.status).toBe(200);
    expect(BillingRecord.strict().parse(answer.body)).toEqual(answer.body);
    expect(answer.body).toMatchObject({ id: bill.id, facilityId: facilityA, tripLegId: bill.tripLegId, status: 'pending',
      legOutcome: 'completed', mileage: 12.5, amountCents: null, invoiceNumber: null, version: 1 });
    expect(answer.headers.etag).toBe('"1"');
    expect((await getBillingRecord(db().owner, bill.id)).status).toBe('pending');
    expect((await api.call('GET', '/v1/billing-records/00000000-0000-4000-8000-000000000000', { as: as(billing) })).status).toBe(404);
    for (const user of [dispatcher, driver, adminA]) {
      expect((await api.call('GET', `/v1/billing-records/${bill.id}`, { as: as(user) })).status).toBe(403);
      expect((await api.call('GET', '/v1/billing-records', { as: as(user) })).status).toBe(403);
      expect((await api.call('GET', '/v1/billing-records/export', { as: as(user) })).status).toBe(403);
      const move = await api.call('POST', `/v1/billing-records/${bill.id}/transitions`, { as: as(user), body: { to: 'ready' } });
      expect(move.status).toBe(403);
    }
  });

  test('list filters by status and facility and pages newest first, every record exactly once', async () => {
    const noShow = await billedLeg(facilityA, 'no_show');
    const inB = await billedLeg(facilityB);
    for (let i = 0; i < 4; i += 1) await billedLeg();

    const onlyB = await api.call('GET', `/v1/billing-records?facilityId=${facilityB}`, { as: as(billing) });
    expect(onlyB.body.items.map((item: { id: string }) => item.id)).toEqual([inB.id]);
    const noShowList = await api.call('GET', `/v1/billing-records?facilityId=${facilityA}&status=pending`, { as: as(billing) });
    expect(noShowList.body.items.map((item: { id: string }) => item.id)).toContain(noShow.id);
    expect(noShowList.body.items.every((item: { status: string; facilityId: string }) =>
      item.status === 'pending' && item.facilityId === facilityA)).toBe(true);

    const expected = (await db().owner.query<{ id: string }>('SELECT id FROM billing_records ORDER BY created_at DESC, id DESC'))
      .rows.map((row) => row.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/billing-records?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.call('GET', url, { as: as(billing) });
      expect(page.status).toBe(200);
      for (const item of page.body.items) expect(BillingRecord.strict().safeParse(item).success).toBe(true);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    expect(seen).toEqual(expected);
  });
});

describe('billing transitions', () => {
  test('pending → ready → invoiced → denied → ready (resubmission); invalid moves are 409; final states stay final', async () => {
    const bill = await billedLeg();
    expect((await transition(bill.id, { to: 'paid' })).status).toBe(409);
    expect((await transition(bill.id, { to: 'invoiced' })).status).toBe(409);
    expect((await transition(bill.id, { to: 'pending' })).status).toBe(409);
    const ready = await transition(bill.id, { to: 'ready', amountCents: 3200, note: 'Base rate plus mileage' });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', amountCents: 3200, note: 'Base rate plus mileage' });
    const invoiced = await transition(bill.id, { to: 'invoiced', invoiceNumber: 'INV-1' });
    expect(invoiced.body).toMatchObject({ status: 'invoiced', invoiceNumber: 'INV-1', amountCents: 3200 });
    expect((await transition(bill.id, { to: 'denied' })).status).toBe(200);
    const resubmitted = await transition(bill.id, { to: 'ready', amountCents: 3000 });
    expect(resubmitted.body).toMatchObject({ status: 'ready', amountCents: 3000 });
    expect((await transition(bill.id, { to: 'written_off' })).status).toBe(200);
    const after = await transition(bill.id, { to: 'ready' });
    expect(after.status).toBe(409);
    expect(after.body.type).toBe('urn:nemt:problem:invalid-transition');
    expect((await getBillingRecord(db().owner, bill.id)).status).toBe('written_off');
  });

  test('amount and invoice number are set only when moving to ready or invoiced (422)', async () => {
    const bill = await billedLeg();
    const wrong = await transition(bill.id, { to: 'on_hold', amountCents: 100, invoiceNumber: 'X' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors.map((error: { path: string }) => error.path)).toEqual(['amountCents', 'invoiceNumber']);
    expect((await getBillingRecord(db().owner, bill.id)).status).toBe('pending');
  });

  test('If-Match is honoured: a stale version is 412 and changes nothing', async () => {
    const bill = await billedLeg();
    const stale = await transition(bill.id, { to: 'ready' }, ifMatch(7));
    expect(stale.status).toBe(412);
    expect((await getBillingRecord(db().owner, bill.id)).status).toBe('pending');
    const fresh = await transition(bill.id, { to: 'ready' }, ifMatch(1));
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe('"2"');
  });

  test('on hold returns only to where it came from (or is written off)', async () => {
    const bill = await billedLeg();
    await moveBillingRecord(db().owner, bill.id, 'ready');
    const held = await transition(bill.id, { to: 'on_hold', note: 'Awaiting signature' });
    expect(held.status).toBe(200);
    expect(held.body.status).toBe('on_hold');
    expect((await getBillingRecord(db().owner, bill.id)).heldFrom).toBe('ready');
    for (const to of ['pending', 'invoiced', 'denied']) {
      const wrong = await transition(bill.id, { to });
      expect(wrong.status).toBe(409);
      expect(wrong.body.type).toBe('urn:nemt:problem:hold-returns-to-origin');
    }
    expect((await transition(bill.id, { to: 'on_hold' })).status).toBe(409);
    const released = await transition(bill.id, { to: 'ready' });
    expect(released.status).toBe(200);
    expect(await getBillingRecord(db().owner, bill.id)).toMatchObject({ status: 'ready', heldFrom: null });

    const other = await billedLeg();
    await moveBillingRecord(db().owner, other.id, 'ready');
    await moveBillingRecord(db().owner, other.id, 'invoiced');
    expect((await transition(other.id, { to: 'on_hold' })).status).toBe(200);
    expect((await transition(other.id, { to: 'written_off' })).status).toBe(200);
    expect(await getBillingRecord(db().owner, other.id)).toMatchObject({ status: 'written_off', heldFrom: null });

    const { rows } = await db().owner.query<{ action: string; from_state: string; to_state: string; actor_role: string }>(
      `SELECT action, from_state, to_state, actor_role FROM audit_events
        WHERE entity_id = $1 AND actor_role = 'Billing' ORDER BY seq`, [bill.id]);
    expect(rows).toEqual([
      { action: 'billing_record.on_hold', from_state: 'ready', to_state: 'on_hold', actor_role: 'Billing' },
      { action: 'billing_record.ready', from_state: 'on_hold', to_state: 'ready', actor_role: 'Billing' },
    ]);
  });

  test('Billing can never change completion data: no route for it, strict bodies, 403 on leg routes, the database refuses', async () => {
    const bill = await billedLeg();
    const leg = await getLeg(db().owner, bill.tripLegId);
    expect((await api.call('PATCH', `/v1/billing-records/${bill.id}`, { as: as(billing), body: { mileage: 1 } })).status).toBe(405);
    expect((await api.call('PUT', `/v1/billing-records/${bill.id}`, { as: as(billing), body: { mileage: 1 } })).status).toBe(405);
    const smuggled = await transition(bill.id, { to: 'ready', mileage: 99, legOutcome: 'no_show' });
    expect(smuggled.status).toBe(422);
    expect((await api.call('PATCH', `/v1/legs/${leg.id}`, { as: as(billing), headers: ifMatch(leg.version),
      body: { pickupAddress: '1 Other St' } })).status).toBe(403);
    expect((await api.call('POST', `/v1/legs/${leg.id}/completion`, { as: as(billing),
      body: { actualPickupAt: '2031-06-01T09:00:00Z', actualDropoffAt: '2031-06-01T10:00:00Z', odometerStart: 1, odometerEnd: 500 } })).status).toBe(403);

    // Even a handler bug could not do it: the database refuses the Billing role.
    await expectSqlError(withActor(db().as('api'), as(billing), (tx) =>
      tx.query('UPDATE billing_records SET mileage = 99 WHERE id = $1', [bill.id])), { code: '42501' });
    const legUpdate = await withActor(db().as('api'), as(billing), (tx) =>
      tx.query('UPDATE trip_legs SET odometer_end = 5000 WHERE id = $1', [leg.id]));
    expect(legUpdate.rowCount).toBe(0);
    expect(await getBillingRecord(db().owner, bill.id)).toMatchObject({ status: 'pending', mileage: '12.5', legOutcome: 'completed' });
  });
});

describe('invoice numbers keep to characters no spreadsheet can run', () => {
  const hostile = ['INV-1;=1+1;', '=HYPERLINK("http://evil.example","click")', '+1+2', '-3', '@SUM(A1:A9)', 'INV,"7"\nnext',
    'INV-1|=cmd', 'INV 1\t=1', 'INV--1', 'INV-', ' INV-1', 'INV  1', 'INV-1;', 'INV#1', 'Rechnung\u00a01', `I${'N'.repeat(64)}`];

  test.each(hostile)('%j is refused (422 at invoiceNumber) and the record is unchanged', async (invoiceNumber) => {
    const bill = await billedLeg();
    await moveBillingRecord(db().owner, bill.id, 'ready');
    const answer = await transition(bill.id, { to: 'invoiced', invoiceNumber });
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([{ path: 'invoiceNumber', message: expect.any(String) }]);
    const { rows } = await db().owner.query('SELECT status, invoice_number FROM billing_records WHERE id = $1', [bill.id]);
    expect(rows).toEqual([{ status: 'ready', invoice_number: null }]);
  });

  test.each(['INV-2030/001', 'A1', 'INV 2030.001_b', '7', `I${'N'.repeat(63)}`])('%j is taken', async (invoiceNumber) => {
    const bill = await billedLeg();
    await moveBillingRecord(db().owner, bill.id, 'ready');
    const answer = await transition(bill.id, { to: 'invoiced', invoiceNumber });
    expect(answer.status).toBe(200);
    expect(answer.body.invoiceNumber).toBe(invoiceNumber);
  });

  test('the database holds the same rule, whatever a handler sends (schema/0021)', async () => {
    const bill = await billedLeg();
    await moveBillingRecord(db().owner, bill.id, 'ready');
    await expectSqlError(withActor(db().as('api'), as(billing), (tx) =>
      tx.query(`UPDATE billing_records SET status = 'invoiced', invoice_number = 'INV-1;=1+1;' WHERE id = $1`, [bill.id])),
    { code: '23514' });
    const { rows } = await db().owner.query<{ validated: boolean }>(
      `SELECT convalidated AS validated FROM pg_constraint WHERE conname = 'billing_invoice_number_safe'`);
    expect(rows).toEqual([{ validated: true }]);
  });
});

describe('csvCell: no piece of a cell starts a formula, whatever character a spreadsheet splits on', () => {
  const FORMULA_CHARS = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];
  // Every separator a spreadsheet offers or a user could pick, except letters, digits and the quote csvCell adds.
  const SEPARATORS = [',', ';', '\t', '|', ' ', ':', '.', '/', '\r', '\n', '"', '=', '+', '-', '@', '(', ')', '!', '#', '\u00a0'];
  const ALPHABET = ['a', 'Z', '1', 'é', '\u0301', "'", ...FORMULA_CHARS, ...SEPARATORS];

  /** The field's text as a reader honouring RFC 4180 quotes sees it, and as one splitting on another character does. */
  const readings = (cell: string) => [cell, cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell];
  const startsFormula = (piece: string) => FORMULA_CHARS.some((char) => piece.replace(/^ +/, '').startsWith(char));

  test('property: for random cells and every separator, no piece starts with a formula character', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }).map((chars) => chars.join('')), (value) => {
      const cell = csvCell(value);
      for (const text of readings(cell)) {
        for (const separator of SEPARATORS) {
          const live = text.split(separator).filter(startsFormula);
          expect({ value, separator, live }).toEqual({ value, separator, live: [] });
        }
        expect(startsFormula(text)).toBe(false);
      }
    }), { numRuns: 500 });
  });

  test('examples: the reported one, and values the API writes stay as they are', () => {
    expect(csvCell('INV-1;=1+1;')).toBe("INV-1;'=1+1;");
    expect(csvCell('=HYPERLINK("http://evil.example","click")')).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csvCell('a,@SUM(A1)')).toBe(`"a,'@SUM(A1)"`);
    expect(csvCell('x\n-1')).toBe(`"x\n'-1"`);
    expect(csvCell('-3')).toBe("'-3");
    for (const plain of ['2031-06-01T09:05:00.000Z', '3f1c0e2a-9b7d-4c1e-8f00-1a2b3c4d5e6f', 'ABCDE-FGHJK', 'INV-2030/001', '12.5', 4850, null]) {
      expect(csvCell(plain)).toBe(plain === null ? '' : String(plain));
    }
  });
});

describe('CSV export', () => {
  test('text/csv with a header row, values as stored (none needs neutralising) and no PHI', async () => {
    const owner = db().owner;
    const exportFacility = (await createFacility(owner)).id;
    const rider = (await createRider(owner, { facilityId: exportFacility, fullName: RIDER_NAME, phone: RIDER_PHONE, careNotes: 'Uses a cane' })).id;
    const bills: BillingRecordRow[] = [];
    for (let i = 0; i < 5; i += 1) {
      const trip = await createTripRequest(owner, { facilityId: exportFacility, riderId: rider, source: 'dispatcher',
        submittedBy: dispatcher.id, status: 'scheduled' });
      await setClinicalNotes(owner, trip, CLINICAL_NOTES);
      const leg = await createLeg(owner, trip);
      await completeLeg(owner, leg.id, driver.id, defaultCompletion({ odometerStart: 100, odometerEnd: 100 + i + 1.5 }));
      const [bill] = await billingRecordsForLeg(owner, leg.id);
      if (!bill) throw new Error('no billing record');
      bills.push(bill);
    }
    const invoiceNumbers = ['INV-2030/001', 'INV 7', 'A.1', 'x_9', '2030-12'];
    for (const [index, bill] of bills.entries()) {
      await moveBillingRecord(owner, bill.id, 'ready');
      const moved = await transition(bill.id, { to: 'invoiced', invoiceNumber: invoiceNumbers[index] as string });
      expect(moved.status).toBe(200);
    }

    const answer = await api.call('GET', `/v1/billing-records/export?facilityId=${exportFacility}`, { as: as(billing) });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers['content-disposition']).toBe('attachment; filename="billing-records.csv"');
    expect(answer.headers['cache-control']).toContain('no-store');
    const text = answer.text;
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...lines] = text.split('\r\n').slice(0, -1);
    expect(header).toBe(
      'id,facilityId,tripRequestId,tripLegId,referenceCode,legOutcome,serviceAt,mileage,amountCents,invoiceNumber,status,createdAt,updatedAt');
    expect(lines).toHaveLength(5);
    const first = bills[0] as BillingRecordRow;
    const { rows } = await owner.query<{ reference_code: string }>('SELECT reference_code FROM trip_requests WHERE id = $1', [first.tripRequestId]);
    const stored = await owner.query<{ created_at: string; updated_at: string }>(
      'SELECT created_at, updated_at FROM billing_records WHERE id = $1', [first.id]);
    expect(lines[0]).toBe([first.id, exportFacility, first.tripRequestId, first.tripLegId, rows[0]?.reference_code, 'completed',
      '2031-06-01T09:05:00.000Z', '1.5', '', 'INV-2030/001', 'invoiced',
      stored.rows[0]?.created_at, stored.rows[0]?.updated_at].join(','));
    expect(lines.slice(1).map((line) => line.split(',')[9])).toEqual(['INV 7', 'A.1', 'x_9', '2030-12']);
    expect(text).not.toContain("'");
    for (const phi of [RIDER_NAME, RIDER_PHONE, CLINICAL_NOTES, 'Uses a cane', '1 Pickup Street', '2 Clinic Road']) {
      expect(text).not.toContain(phi);
    }
  });

  test('filters by status and creation time; from must precede to', async () => {
    const owner = db().owner;
    const facility = (await createFacility(owner)).id;
    const rider = (await createRider(owner, { facilityId: facility })).id;
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const trip = await createTripRequest(owner, { facilityId: facility, riderId: rider, source: 'dispatcher',
        submittedBy: dispatcher.id, status: 'scheduled' });
      const leg = await createLeg(owner, trip);
      await completeLeg(owner, leg.id, driver.id);
      const [bill] = await billingRecordsForLeg(owner, leg.id);
      ids.push((bill as BillingRecordRow).id);
    }
    await moveBillingRecord(owner, ids[1] as string, 'ready');
    // The exact creation instant, microseconds included, as an ISO-8601 time with its offset.
    const secondCreated = (await owner.query<{ at: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM billing_records WHERE id = $1`,
      [ids[1] as string])).rows[0]?.at as string;
    const boundary = encodeURIComponent(secondCreated);
    const idsIn = (text: string) => text.split('\r\n').slice(1, -1).map((line) => line.split(',')[0]);

    const ready = await api.call('GET', `/v1/billing-records/export?facilityId=${facility}&status=ready`, { as: as(billing) });
    expect(idsIn(ready.text)).toEqual([ids[1]]);
    const before = await api.call('GET',
      `/v1/billing-records/export?facilityId=${facility}&from=2020-01-01T00:00:00Z&to=${boundary}`, { as: as(billing) });
    expect(idsIn(before.text)).toEqual([ids[0]]);
    const since = await api.call('GET', `/v1/billing-records/export?facilityId=${facility}&from=${boundary}`, { as: as(billing) });
    expect(idsIn(since.text)).toEqual([ids[1], ids[2]]);
    const empty = await api.call('GET', `/v1/billing-records/export?facilityId=${facility}&status=paid`, { as: as(billing) });
    expect(empty.text.split('\r\n')).toHaveLength(2);
    const backwards = await api.call('GET',
      `/v1/billing-records/export?from=2020-02-01T00:00:00Z&to=2020-01-01T00:00:00Z`, { as: as(billing) });
    expect(backwards.status).toBe(400);
  });

  test('an export beyond 10,000 rows is refused rather than cut short', async () => {
    const owner = db().owner;
    const facility = (await createFacility(owner)).id;
    const rider = (await createRider(owner, { facilityId: facility })).id;
    // Set-based inserts in one transaction. All these trips share one rider, so without fresh
    // statistics the planner checks each leg's foreign key through the (facility, rider) index,
    // one scan per row; ANALYZE keeps it on the unique index. A busy machine may still need longer
    // than the default statement timeout.
    await owner.transaction(async (tx) => {
      await tx.query(`SET LOCAL statement_timeout = '120s'`);
      await tx.query(
        `INSERT INTO trip_requests (facility_id, rider_id, source, submitted_by, pickup_address, dropoff_address, appointment_at)
         SELECT $1, $2, 'dispatcher', $3, 'a', 'b', now() FROM generate_series(1, 10001)`, [facility, rider, dispatcher.id]);
      await tx.query('ANALYZE trip_requests');
      await tx.query(
        `INSERT INTO trip_legs (facility_id, trip_request_id, rider_id, kind, pickup_address, dropoff_address,
                                scheduled_pickup_at, scheduled_dropoff_at)
         SELECT facility_id, id, rider_id, 'outbound', 'a', 'b', now(), now() + interval '1 hour'
           FROM trip_requests WHERE facility_id = $1`, [facility]);
      await tx.query('ANALYZE trip_legs');
      await tx.query(
        `INSERT INTO billing_records (facility_id, trip_leg_id, trip_request_id, leg_outcome)
         SELECT facility_id, id, trip_request_id, 'completed' FROM trip_legs WHERE facility_id = $1`, [facility]);
    });
    const tooMany = await api.call('GET', `/v1/billing-records/export?facilityId=${facility}`, { as: as(billing) });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.type).toBe('urn:nemt:problem:export-too-large');
    await owner.query(
      `UPDATE billing_records SET status = 'ready' WHERE id = (SELECT id FROM billing_records WHERE facility_id = $1 LIMIT 1)`, [facility]);
    const narrowed = await api.call('GET', `/v1/billing-records/export?facilityId=${facility}&status=pending`, { as: as(billing) });
    expect(narrowed.status).toBe(200);
    expect(narrowed.text.split('\r\n')).toHaveLength(10_000 + 2);
  });
});
