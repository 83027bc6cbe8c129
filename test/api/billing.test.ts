import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { csvCell } from '../../lambdas/api/handlers/billing';
import { BillingCode, BillingRecord } from '../../lambdas/api/schemas/admin';
import { PROVIDER_CHAIN_KEY } from '../../lambdas/shared/audit/verify';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, billingRecordsForLeg, type Completion, completeLeg, createFacility, createFacilityUser, createLeg, createRider,
  createStaffUser, createTripRequest, defaultCompletion, driveLeg, expectSqlError, getBillingRecord, getLeg, moveBillingRecord,
  moveTripRequest, setClinicalNotes, type BillingRecordRow, type UserRow,
} from '../support/fixtures';

const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let billing: UserRow;
let dispatcher: UserRow;
let driver: UserRow;
let adminA: UserRow;
let userA: UserRow;
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
  userA = await createFacilityUser(owner, 'FacilityUser', facilityA);
  riderA = (await createRider(owner, { facilityId: facilityA, fullName: RIDER_NAME, phone: RIDER_PHONE, careNotes: 'Uses a cane' })).id;
  riderB = (await createRider(owner, { facilityId: facilityB })).id;
});

const as = (user: UserRow) => actorOf(user);
const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });

type Mobility = 'ambulatory' | 'wheelchair' | 'wheelchair_xl' | 'stretcher';
type VehicleKind = 'sedan' | 'minivan' | 'wheelchair_van' | 'stretcher_van';

/** What each kind of vehicle can carry here (schema/0022): enough for the level of service its legs need. */
const CAPABILITIES: Record<VehicleKind, [seats: number, wheelchairs: number, bariatric: boolean, stretcher: boolean]> = {
  sedan: [3, 0, false, false],
  minivan: [5, 0, false, false],
  wheelchair_van: [2, 2, true, false],
  stretcher_van: [1, 0, false, true],
};

/** A new vehicle, in service, with no odometer reading yet (so any completion continues it). */
async function createVehicleOf(kind: VehicleKind): Promise<string> {
  const [seats, wheelchairs, bariatric, stretcher] = CAPABILITIES[kind];
  const { rows } = await db().owner.query<{ id: string }>(
    `INSERT INTO vehicles (name, plate, kind, ambulatory_seats, wheelchair_positions, bariatric, stretcher)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [`Billing ${kind}`, `B${randomUUID().replace(/-/g, '').slice(0, 9).toUpperCase()}`, kind, seats, wheelchairs, bariatric, stretcher]);
  return (rows[0] as { id: string }).id;
}

/**
 * A completed (or no-show) leg of a new trip, driven with a vehicle of its own; the database
 * created its pending billing record.
 */
async function billedLeg(
  facilityId = facilityA,
  outcome: 'completed' | 'no_show' = 'completed',
  options: { riderId?: string; mobility?: Mobility; vehicleKind?: VehicleKind; completion?: Completion } = {},
): Promise<BillingRecordRow> {
  const owner = db().owner;
  const riderId = options.riderId ?? (facilityId === facilityA ? riderA : riderB);
  const trip = await createTripRequest(owner, { facilityId, riderId, source: 'dispatcher', submittedBy: dispatcher.id });
  await owner.query('UPDATE trip_requests SET mobility = $2 WHERE id = $1', [trip.id, options.mobility ?? 'ambulatory']);
  await moveTripRequest(owner, trip.id, 'scheduled');
  await setClinicalNotes(owner, trip, CLINICAL_NOTES);
  const leg = await createLeg(owner, trip);
  const vehicleId = await createVehicleOf(options.vehicleKind ?? 'sedan');
  await owner.query(`UPDATE trip_legs SET status = 'assigned', driver_id = $2, vehicle_id = $3 WHERE id = $1`,
    [leg.id, driver.id, vehicleId]);
  if (outcome === 'completed') await completeLeg(owner, leg.id, driver.id, options.completion);
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
      legOutcome: 'completed', mileage: 12.5, amountCents: null, invoiceNumber: null, levelOfService: 'ambulatory',
      vehicleKind: 'sedan', version: 1, heldFrom: null });
    const { rows: [leg] } = await db().owner.query<{ reference_code: string; pickup: string }>(
      `SELECT t.reference_code, coalesce(l.actual_pickup_at, l.scheduled_pickup_at) AS pickup
         FROM trip_legs l JOIN trip_requests t ON t.id = l.trip_request_id WHERE l.id = $1`, [bill.tripLegId]);
    expect(answer.body.referenceCode).toMatch(/\S/);
    expect(answer.body.referenceCode).toBe(leg?.reference_code);
    expect(Date.parse(answer.body.serviceAt)).toBe(Date.parse(leg?.pickup ?? ''));
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
    expect(held.body).toMatchObject({ status: 'on_hold', heldFrom: 'ready' });
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

  // Not the CSV export's numbers below: invoice numbers are unique (schema/0026).
  test.each(['INV-2029/001', 'A1', 'INV 2030.001_b', '7', `I${'N'.repeat(63)}`])('%j is taken', async (invoiceNumber) => {
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

describe('invoice numbers are unique (schema/0026)', () => {
  test('a number another record already has is 409 invoice-number-taken, and the record is unchanged', async () => {
    const invoiceNumber = `INV-DUP-${randomUUID().slice(0, 8)}`;
    const first = await billedLeg();
    const second = await billedLeg(facilityB);
    await moveBillingRecord(db().owner, first.id, 'ready');
    await moveBillingRecord(db().owner, second.id, 'ready');
    expect((await transition(first.id, { to: 'invoiced', invoiceNumber })).status).toBe(200);

    // Whichever tenant the other record belongs to: a payer matches remittances by the number alone.
    const taken = await transition(second.id, { to: 'invoiced', invoiceNumber });
    expect(taken.status).toBe(409);
    expect(taken.headers['content-type']).toBe('application/problem+json');
    expect(taken.body).toMatchObject({ type: 'urn:nemt:problem:invoice-number-taken', status: 409,
      detail: 'Another billing record already has this invoice number; give this record its own.' });
    expect(JSON.stringify(taken.body)).not.toContain(first.id);
    const { rows } = await db().owner.query('SELECT status, invoice_number, version FROM billing_records WHERE id = $1', [second.id]);
    expect(rows).toEqual([{ status: 'ready', invoice_number: null, version: 2 }]);

    const own = await transition(second.id, { to: 'invoiced', invoiceNumber: `${invoiceNumber}-B` });
    expect(own.status).toBe(200);
    // A resubmission keeps its own number: repeating one's own number is not a duplicate.
    expect((await transition(first.id, { to: 'denied' })).status).toBe(200);
    expect((await transition(first.id, { to: 'ready' })).status).toBe(200);
    expect((await transition(first.id, { to: 'invoiced', invoiceNumber })).status).toBe(200);
  });

  test('the database refuses a duplicate whatever a handler sends', async () => {
    const invoiceNumber = `INV-DB-${randomUUID().slice(0, 8)}`;
    const [first, second] = [await billedLeg(), await billedLeg()] as [BillingRecordRow, BillingRecordRow];
    await moveBillingRecord(db().owner, first.id, 'ready');
    await moveBillingRecord(db().owner, second.id, 'ready');
    const invoice = (id: string) => withActor(db().as('api'), as(billing), (tx) =>
      tx.query(`UPDATE billing_records SET status = 'invoiced', invoice_number = $2 WHERE id = $1`, [id, invoiceNumber]));
    await invoice(first.id);
    await expectSqlError(invoice(second.id), { code: '23505', constraint: 'billing_records_invoice_number_unique' });
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
      bills.push(await billedLeg(exportFacility, 'completed', { riderId: rider,
        completion: defaultCompletion({ odometerStart: 100, odometerEnd: 100 + i + 1.5 }) }));
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
    expect(header).toBe('id,facilityId,tripRequestId,tripLegId,referenceCode,legOutcome,serviceAt,mileage,amountCents,'
      + 'invoiceNumber,status,createdAt,updatedAt,levelOfService,vehicleKind,baseCode,mileageCode,loadedMiles');
    expect(lines).toHaveLength(5);
    const first = bills[0] as BillingRecordRow;
    const { rows } = await owner.query<{ reference_code: string }>('SELECT reference_code FROM trip_requests WHERE id = $1', [first.tripRequestId]);
    const stored = await owner.query<{ created_at: string; updated_at: string }>(
      'SELECT created_at, updated_at FROM billing_records WHERE id = $1', [first.id]);
    expect(lines[0]).toBe([first.id, exportFacility, first.tripRequestId, first.tripLegId, rows[0]?.reference_code, 'completed',
      '2031-06-01T09:05:00.000Z', '1.5', '', 'INV-2030/001', 'invoiced',
      stored.rows[0]?.created_at, stored.rows[0]?.updated_at, 'ambulatory', 'sedan', 'A0100', 'S0215', '1.5'].join(','));
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
    for (let i = 0; i < 3; i += 1) ids.push((await billedLeg(facility, 'completed', { riderId: rider })).id);
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

describe('level of service, vehicle kind and HCPCS codes', () => {
  /** The export's rows by record id, each as header → cell. */
  async function exportedRows(facilityId: string): Promise<Map<string, Record<string, string>>> {
    const answer = await api.call('GET', `/v1/billing-records/export?facilityId=${facilityId}`, { as: as(billing) });
    expect(answer.status).toBe(200);
    const [header, ...lines] = answer.text.split('\r\n').slice(0, -1) as [string, ...string[]];
    const names = header.split(',');
    return new Map(lines.map((line) => {
      const cells = line.split(',');
      return [cells[0] as string, Object.fromEntries(names.map((name, index) => [name, cells[index] as string]))];
    }));
  }

  test('the export names each record\'s level of service, vehicle kind, codes and loaded miles; a no-show has no miles', async () => {
    const owner = db().owner;
    const facility = (await createFacility(owner)).id;
    const rider = (await createRider(owner, { facilityId: facility })).id;
    const wheelchair = await billedLeg(facility, 'completed', { riderId: rider, mobility: 'wheelchair', vehicleKind: 'wheelchair_van',
      completion: defaultCompletion({ odometerStart: 2000, odometerEnd: 2008.4 }) });
    const stretcher = await billedLeg(facility, 'completed', { riderId: rider, mobility: 'stretcher', vehicleKind: 'stretcher_van',
      completion: defaultCompletion({ odometerStart: 51_000, odometerEnd: 51_023.7 }) });
    // An ambulatory rider carried in a wheelchair van bills as ambulatory: the service, not the vehicle.
    const ambulatoryInVan = await billedLeg(facility, 'completed', { riderId: rider, vehicleKind: 'wheelchair_van' });
    const noShow = await billedLeg(facility, 'no_show', { riderId: rider, mobility: 'wheelchair', vehicleKind: 'wheelchair_van' });

    const rows = await exportedRows(facility);
    const pick = (id: string) => {
      const row = rows.get(id) ?? {};
      return [row.legOutcome, row.levelOfService, row.vehicleKind, row.baseCode, row.mileageCode, row.loadedMiles, row.mileage];
    };
    expect(pick(wheelchair.id)).toEqual(['completed', 'wheelchair', 'wheelchair_van', 'A0130', 'S0209', '8.4', '8.4']);
    expect(pick(stretcher.id)).toEqual(['completed', 'stretcher', 'stretcher_van', 'T2005', 'T2049', '23.7', '23.7']);
    expect(pick(ambulatoryInVan.id)).toEqual(['completed', 'ambulatory', 'wheelchair_van', 'A0100', 'S0215', '12.5', '12.5']);
    expect(pick(noShow.id)).toEqual(['no_show', 'wheelchair', 'wheelchair_van', 'A0130', 'S0209', '', '']);
    expect(rows.size).toBe(4);
  });

  test('a record made before levels of service were kept (schema/0023) exports with empty codes, not a guess', async () => {
    const owner = db().owner;
    const facility = (await createFacility(owner)).id;
    const rider = (await createRider(owner, { facilityId: facility })).id;
    const trip = await createTripRequest(owner, { facilityId: facility, riderId: rider, source: 'dispatcher', submittedBy: dispatcher.id,
      status: 'scheduled' });
    const leg = await createLeg(owner, trip);
    await owner.query(
      `INSERT INTO billing_records (facility_id, trip_leg_id, trip_request_id, leg_outcome) VALUES ($1, $2, $3, 'completed')`,
      [facility, leg.id, trip.id]);
    const rows = await exportedRows(facility);
    expect([...rows.values()].map((row) => [row.levelOfService, row.vehicleKind, row.baseCode, row.mileageCode]))
      .toEqual([['', '', '', '']]);
  });

  test('the record carries them from the trip and the leg\'s vehicle, and Billing can never change them (API login role)', async () => {
    const bill = await billedLeg(facilityA, 'completed', { mobility: 'stretcher', vehicleKind: 'stretcher_van' });
    const read = await withActor(db().as('api'), as(billing), (tx) => tx.query<{ level_of_service: string; vehicle_kind: string }>(
      'SELECT level_of_service, vehicle_kind FROM billing_records WHERE id = $1', [bill.id]));
    expect(read.rows).toEqual([{ level_of_service: 'stretcher', vehicle_kind: 'stretcher_van' }]);
    const answer = await api.call('GET', `/v1/billing-records/${bill.id}`, { as: as(billing) });
    expect(answer.body).toMatchObject({ levelOfService: 'stretcher', vehicleKind: 'stretcher_van' });

    for (const change of [`level_of_service = 'ambulatory'`, 'level_of_service = NULL', `vehicle_kind = 'sedan'`, 'vehicle_kind = NULL',
      `status = 'ready', level_of_service = 'wheelchair'`]) {
      await expectSqlError(withActor(db().as('api'), as(billing), (tx) =>
        tx.query(`UPDATE billing_records SET ${change} WHERE id = $1`, [bill.id])),
      { code: '42501', message: 'a billing record\'s leg and completion figures cannot change' });
    }
    // Through the API there is no field for them at all.
    const smuggled = await transition(bill.id, { to: 'ready', levelOfService: 'ambulatory', vehicleKind: 'sedan' });
    expect(smuggled.status).toBe(422);
    // Nor does a later change to the vehicle reach the record: it keeps what the leg was delivered with.
    await db().owner.query(`UPDATE vehicles SET kind = 'minivan', stretcher = false
      WHERE id = (SELECT vehicle_id FROM trip_legs WHERE id = $1)`, [bill.tripLegId]);
    const after = await db().owner.query('SELECT level_of_service, vehicle_kind, status, version FROM billing_records WHERE id = $1',
      [bill.id]);
    expect(after.rows).toEqual([{ level_of_service: 'stretcher', vehicle_kind: 'stretcher_van', status: 'pending', version: 1 }]);
  });
});

describe('billing codes', () => {
  const SEEDED = {
    ambulatory: ['A0100', 'S0215'],
    stretcher: ['T2005', 'T2049'],
    wheelchair: ['A0130', 'S0209'],
    wheelchair_xl: ['A0130', 'S0209'],
  };

  const put = (levelOfService: string, body: unknown, options: { user?: UserRow; version?: number } = {}) =>
    api.call('PUT', `/v1/billing-codes/${levelOfService}`, { as: as(options.user ?? billing), body,
      headers: options.version === undefined ? {} : ifMatch(options.version) });

  async function versionOf(levelOfService: string): Promise<number> {
    const { rows } = await db().owner.query<{ version: number }>('SELECT version FROM billing_codes WHERE level_of_service = $1',
      [levelOfService]);
    return (rows[0] as { version: number }).version;
  }

  test('Billing and Dispatchers read the seeded mapping; Drivers and facility roles are refused (403)', async () => {
    for (const user of [billing, dispatcher]) {
      const answer = await api.call('GET', '/v1/billing-codes', { as: as(user) });
      expect(answer.status).toBe(200);
      for (const item of answer.body.items) expect(BillingCode.strict().parse(item)).toEqual(item);
      expect(Object.fromEntries(answer.body.items.map((item: { levelOfService: string; baseCode: string; mileageCode: string }) =>
        [item.levelOfService, [item.baseCode, item.mileageCode]]))).toEqual(SEEDED);
    }
    for (const user of [driver, adminA, userA]) {
      expect((await api.call('GET', '/v1/billing-codes', { as: as(user) })).status).toBe(403);
    }
    // And the database shows them nothing, whatever a handler asked: the table forces row-level security.
    const { rows: security } = await db().owner.query(
      `SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'billing_codes'::regclass`);
    expect(security).toEqual([{ relrowsecurity: true, relforcerowsecurity: true }]);
    for (const user of [driver, adminA, userA]) {
      const seen = await withActor(db().as('api'), as(user), (tx) => tx.query('SELECT level_of_service FROM billing_codes'));
      expect({ role: user.role, rows: seen.rowCount }).toEqual({ role: user.role, rows: 0 });
    }
  });

  test('Billing edits a mapping with If-Match, audited with the old and new codes on the provider chain; later exports use it', async () => {
    const facility = (await createFacility(db().owner)).id;
    const rider = (await createRider(db().owner, { facilityId: facility })).id;
    const bill = await billedLeg(facility, 'completed', { riderId: rider, mobility: 'wheelchair_xl', vehicleKind: 'wheelchair_van' });
    const version = await versionOf('wheelchair_xl');
    const body = { baseCode: 'A0130', mileageCode: 'S0215', description: 'Bariatric wheelchair van (payer contract 2031)' };

    expect((await put('wheelchair_xl', body)).status).toBe(428);
    const stale = await put('wheelchair_xl', body, { version: version + 5 });
    expect(stale.status).toBe(412);
    const edited = await put('wheelchair_xl', body, { version });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ levelOfService: 'wheelchair_xl', ...body, version: version + 1 });
    expect(edited.headers.etag).toBe(`"${version + 1}"`);
    expect(BillingCode.strict().parse(edited.body)).toEqual(edited.body);

    const { rows: events } = await db().owner.query(
      `SELECT chain_key, facility_id, actor_role, actor_sub, entity_type, action, details FROM audit_events
        WHERE action = 'billing_code.updated' ORDER BY seq`);
    expect(events).toEqual([{ chain_key: PROVIDER_CHAIN_KEY, facility_id: null, actor_role: 'Billing', actor_sub: billing.id,
      entity_type: 'billing_code', action: 'billing_code.updated', details: { levelOfService: 'wheelchair_xl',
        fields: ['description', 'mileageCode'], oldBaseCode: 'A0130', newBaseCode: 'A0130', oldMileageCode: 'S0209',
        newMileageCode: 'S0215' } }]);

    // The same codes again change nothing and record nothing.
    const again = await put('wheelchair_xl', body, { version: version + 1 });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(version + 1);
    expect(await versionOf('wheelchair_xl')).toBe(version + 1);

    // Codes are looked up when the export runs: the edit applies to the record made before it.
    const answer = await api.call('GET', `/v1/billing-records/export?facilityId=${facility}`, { as: as(billing) });
    const line = answer.text.split('\r\n')[1] as string;
    expect(line.startsWith(bill.id)).toBe(true);
    expect(line.split(',').slice(-5)).toEqual(['wheelchair_xl', 'wheelchair_van', 'A0130', 'S0215', '12.5']);
  });

  test.each([
    ['lower case', { baseCode: 'a0130' }, 'baseCode'],
    ['too long', { mileageCode: 'S02090' }, 'mileageCode'],
    ['a formula', { baseCode: '=1+1' }, 'baseCode'],
    ['too short', { baseCode: 'A013' }, 'baseCode'],
    ['no description', { description: ' ' }, 'description'],
    ['description too long', { description: 'x'.repeat(201) }, 'description'],
  ])('%s is refused with 422 at its path, and nothing changes', async (_name, change, path) => {
    const version = await versionOf('ambulatory');
    const answer = await put('ambulatory', { baseCode: 'A0100', mileageCode: 'S0215', description: 'Ambulatory', ...change },
      { version });
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([{ path, message: expect.any(String) }]);
    expect(await versionOf('ambulatory')).toBe(version);
  });

  test('a missing field or an unknown one is refused (422); an unknown level of service is a bad parameter (400)', async () => {
    const version = await versionOf('ambulatory');
    expect((await put('ambulatory', { baseCode: 'A0100', mileageCode: 'S0215' }, { version })).status).toBe(422);
    expect((await put('ambulatory', { baseCode: 'A0100', mileageCode: 'S0215', description: 'x', levelOfService: 'stretcher' },
      { version })).status).toBe(422);
    expect((await put('helicopter', { baseCode: 'A0100', mileageCode: 'S0215', description: 'x' }, { version })).status).toBe(400);
    expect(await versionOf('ambulatory')).toBe(version);
  });

  test('only Billing edits: Dispatchers, Drivers and facility roles get 403, and the database refuses them too', async () => {
    const version = await versionOf('stretcher');
    const body = { baseCode: 'A0999', mileageCode: 'S0999', description: 'Hijacked' };
    for (const user of [dispatcher, driver, adminA, userA]) {
      expect({ role: user.role, status: (await put('stretcher', body, { user, version })).status })
        .toEqual({ role: user.role, status: 403 });
      const changed = await withActor(db().as('api'), as(user), (tx) =>
        tx.query(`UPDATE billing_codes SET base_code = 'A0999' WHERE level_of_service = 'stretcher'`));
      expect({ role: user.role, rows: changed.rowCount }).toEqual({ role: user.role, rows: 0 });
    }
    // Billing changes codes, never the key, nor adds or removes a level of service.
    await expectSqlError(withActor(db().as('api'), as(billing), (tx) =>
      tx.query(`UPDATE billing_codes SET level_of_service = 'ambulatory' WHERE level_of_service = 'stretcher'`)), { code: '42501' });
    await expectSqlError(withActor(db().as('api'), as(billing), (tx) =>
      tx.query(`INSERT INTO billing_codes (level_of_service, base_code, mileage_code, description)
                VALUES ('ambulatory', 'A0100', 'S0215', 'x')`)), { code: '42501' });
    await expectSqlError(withActor(db().as('api'), as(billing), (tx) =>
      tx.query(`UPDATE billing_codes SET base_code = 'a0130' WHERE level_of_service = 'stretcher'`)), { code: '23514' });
    expect(await versionOf('stretcher')).toBe(version);
    const { rows } = await db().owner.query(`SELECT base_code, mileage_code FROM billing_codes WHERE level_of_service = 'stretcher'`);
    expect(rows).toEqual([{ base_code: 'T2005', mileage_code: 'T2049' }]);
  });
});
