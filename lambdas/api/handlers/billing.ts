import { billingLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import {
  type BillingExportRow, exportBillingRecords, findBillingRecord, listBillingRecords, toBillingRecord, updateBillingRecord,
} from '../data/billing-records';
import type { HandlerTable } from '../handler-types';
import { decodeCursor, pageOf } from './pagination';
import { assertTransition, assertVersion, found } from './support';

type BillingHandlers = Pick<HandlerTable, 'billing.list' | 'billing.export' | 'billing.get' | 'billing.transition'>;

/** An export larger than this is refused rather than cut short: a partial ledger looks complete. */
export const EXPORT_ROW_LIMIT = 10_000;

/** Amount and invoice number belong to pricing and invoicing; other moves must not touch them. */
const PRICED_STATES: readonly string[] = ['ready', 'invoiced'];

const EXPORT_COLUMNS: readonly [header: string, value: (row: BillingExportRow) => string | number | null][] = [
  ['id', (row) => row.id],
  ['facilityId', (row) => row.facility_id],
  ['tripRequestId', (row) => row.trip_request_id],
  ['tripLegId', (row) => row.trip_leg_id],
  ['referenceCode', (row) => row.reference_code],
  ['legOutcome', (row) => row.leg_outcome],
  ['serviceAt', (row) => row.service_at],
  ['mileage', (row) => row.mileage],
  ['amountCents', (row) => row.amount_cents],
  ['invoiceNumber', (row) => row.invoice_number],
  ['status', (row) => row.status],
  ['createdAt', (row) => row.created_at],
  ['updatedAt', (row) => row.updated_at],
  ['levelOfService', (row) => row.level_of_service],
  ['vehicleKind', (row) => row.vehicle_kind],
  ['baseCode', (row) => row.base_code],
  ['mileageCode', (row) => row.mileage_code],
  ['loadedMiles', (row) => row.loaded_miles],
];

/**
 * Where a spreadsheet could start a formula: a formula character (= + - @, tab, carriage return,
 * and the full-width = + - @ some accept) at the start of the cell or after any character that is
 * not a letter or digit. Spreadsheets split a line on the list separator of their locale (`,`
 * `;` tab) or one the user picks (space, `|`, ...), and a quoted field protects nothing when the
 * separator is another character: `INV-1;=1+1` is a live formula wherever `;` separates.
 */
const FORMULA_START = /(?<![\p{L}\p{N}])(?=[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20])/gu;

/**
 * One CSV cell. Every place a spreadsheet could start a formula gets a single quote in front, so
 * whatever character (other than a letter, a digit or the quote itself) a spreadsheet splits on,
 * no piece of the cell starts with a formula character; then RFC 4180 quoting. Values the API
 * writes (ids, times, amounts, reference codes, invoice numbers: schema/0021) never need it.
 */
export function csvCell(value: string | number | null): string {
  const text = (value === null ? '' : String(value)).replace(FORMULA_START, "'");
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function toCsv(rows: BillingExportRow[]): string {
  const lines = [EXPORT_COLUMNS.map(([header]) => csvCell(header)).join(',')];
  for (const row of rows) lines.push(EXPORT_COLUMNS.map(([, value]) => csvCell(value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const billingHandlers: BillingHandlers = {
  'billing.list': async ({ query, tx }) => {
    const rows = await listBillingRecords(tx, query, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toBillingRecord, (row) => [row.cursor_at, row.id]) };
  },

  'billing.export': async ({ query, tx }) => {
    if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
      throw Problems.invalidParameters([{ path: 'to', message: 'Must be after from' }]);
    }
    const rows = await exportBillingRecords(tx, query, EXPORT_ROW_LIMIT + 1);
    if (rows.length > EXPORT_ROW_LIMIT) {
      throw Problems.unprocessable('export-too-large',
        `The export would exceed ${EXPORT_ROW_LIMIT} rows; narrow it with status, facilityId, from or to.`);
    }
    return {
      headers: { 'Content-Disposition': 'attachment; filename="billing-records.csv"' },
      text: { contentType: 'text/csv; charset=utf-8', body: toCsv(rows) },
    };
  },

  'billing.get': async ({ params, tx }) => {
    const record = found(await findBillingRecord(tx, params.billingRecordId), 'billing record');
    return { body: toBillingRecord(record), version: record.version };
  },

  'billing.transition': async ({ params, body, ifMatch, tx, audit }) => {
    const record = found(await findBillingRecord(tx, params.billingRecordId, { forUpdate: true }), 'billing record');
    assertVersion(ifMatch, record.version);
    assertTransition(billingLifecycle, record.status, body.to, 'billing record');
    if (record.status === 'on_hold' && body.to !== 'written_off' && body.to !== record.held_from) {
      throw Problems.conflict('hold-returns-to-origin',
        `A held billing record returns to ${record.held_from}, where it came from (or is written off).`);
    }
    if (!PRICED_STATES.includes(body.to)) {
      const misplaced = (['amountCents', 'invoiceNumber'] as const).filter((field) => body[field] !== undefined);
      if (misplaced.length > 0) {
        throw Problems.validation(misplaced.map((path) => ({ path, message: 'Set only when moving to ready or invoiced' })));
      }
    }
    const updated = found(await updateBillingRecord(tx, record, {
      status: body.to,
      // A hold remembers where the record was; leaving it forgets.
      held_from: body.to === 'on_hold' ? record.status : null,
      ...(body.amountCents !== undefined ? { amount_cents: body.amountCents } : {}),
      ...(body.invoiceNumber !== undefined ? { invoice_number: body.invoiceNumber } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
    }), 'billing record');
    await audit({ facilityId: record.facility_id, tripRequestId: record.trip_request_id, entityType: 'billing_record',
      entityId: record.id, action: `billing_record.${body.to}`, fromState: record.status, toState: body.to,
      details: { fields: Object.keys(body).filter((field) => field !== 'to').sort() } });
    return { body: toBillingRecord(updated), version: updated.version };
  },
};
