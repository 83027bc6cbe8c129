import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn } from './support/sign-in';
import { dayInZone, json, zonedInstant } from './support/provider-time';

/**
 * The billing clerk's round, in Chromium against the local stack: a leg the driver completed
 * (arranged through the API) waits as a pending record; Billing prices it, invoices it (a bad
 * invoice number is refused at its field first), marks it paid, and downloads the CSV. The paid
 * state is checked through the API, the file's header row and the record's line from the download.
 */
test.describe.configure({ mode: 'serial' });
// The invoice number the API refuses on purpose answers 422.
test.use({ allowedConsoleErrors: [/status of 422/] });

const MINUTE = 60_000;

interface Versioned { id: string; version: number }
interface Trip extends Versioned { referenceCode: string }
interface BillingRow extends Versioned { tripRequestId: string; status: string; amountCents: number | null; invoiceNumber: string | null }

test('Billing prices, invoices and marks paid a pending record, then downloads the CSV with it', async ({ page, apiAs, stack }) => {
  // Arrange: a leg far from the other specs' days, driven and completed by the seeded driver with a
  // vehicle of its own (no odometer history), so the database creates a pending billing record.
  const dispatcher = await apiAs('Dispatcher');
  const driverApi = await apiAs('Driver');
  const billingApi = await apiAs('Billing');
  const riverside = stack.user('FacilityAdmin').facilityId as string;
  const driverId = stack.user('Driver').sub;
  const day = dayInZone(9);
  const pickupAt = zonedInstant(day, '05:17');
  const dropoffAt = new Date(Date.parse(pickupAt) + 40 * MINUTE).toISOString();
  const rider = await json<Versioned>(await dispatcher.post('/v1/riders', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { facilityId: riverside, fullName: 'Pat Ledger', notifyChannel: 'none' },
  }));
  const trip = await json<Trip>(await dispatcher.post('/v1/trip-requests', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { facilityId: riverside, riderId: rider.id, pickupAddress: '3 Mill Road', dropoffAddress: '400 Riverside Drive',
      appointmentAt: new Date(Date.parse(pickupAt) + 60 * MINUTE).toISOString() },
  }));
  await json(await dispatcher.post(`/v1/trip-requests/${trip.id}/schedule`, {
    headers: { 'If-Match': `"${trip.version}"` }, data: { outbound: { pickupAt, dropoffAt } },
  }));
  const vehicle = await json<Versioned>(await dispatcher.post('/v1/vehicles', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { name: 'Billing sedan', plate: `B-${randomUUID().slice(0, 6).toUpperCase()}`, kind: 'sedan',
      capabilities: { ambulatorySeats: 3, wheelchairPositions: 0, bariatric: false, stretcher: false, oxygen: false } },
  }));
  let leg = (await json<{ items: Versioned[] }>(await dispatcher.get(`/v1/legs?tripRequestId=${trip.id}&limit=1`))).items[0] as Versioned;
  leg = await json<Versioned>(await dispatcher.put(`/v1/legs/${leg.id}/assignment`, {
    headers: { 'If-Match': `"${leg.version}"` }, data: { driverId, vehicleId: vehicle.id },
  }));
  for (const status of ['en_route', 'arrived', 'picked_up']) {
    leg = await json<Versioned>(await driverApi.post(`/v1/legs/${leg.id}/status-events`, {
      headers: { 'If-Match': `"${leg.version}"` }, data: { status },
    }));
  }
  await json(await driverApi.post(`/v1/legs/${leg.id}/completion`, {
    headers: { 'If-Match': `"${leg.version}"` },
    data: { actualPickupAt: pickupAt, actualDropoffAt: dropoffAt, odometerStart: 1000, odometerEnd: 1012.5 },
  }));
  const pending = await json<{ items: BillingRow[] }>(await billingApi.get('/v1/billing-records?status=pending&limit=100'));
  const record = pending.items.find((item) => item.tripRequestId === trip.id);
  expect(record, 'completing the leg created a pending billing record').toBeDefined();
  const recordId = (record as BillingRow).id;
  const invoiceNumber = `INV-${randomUUID().slice(0, 8).toUpperCase()}`;

  // Billing's start page is the desk, on the pending records.
  await signIn(page, { role: 'Billing' });
  await expect(page.getByRole('heading', { name: 'Billing desk', level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/billing/);
  const tabs = page.getByRole('navigation', { name: 'Billing records by state' });
  await expect(tabs.getByRole('link', { name: /^Pending/ })).toHaveAttribute('aria-current', 'page');
  const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: trip.referenceCode }) });
  await expect(item).toBeVisible();
  await expect(item).toContainText(/\d{1,2}:17 AM E[SD]T/);
  await expect(item).toContainText('Ambulatory');
  await expect(item).toContainText('12.5 mi');
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'billing-desk-pending');

  // Price it: a typo is caught before sending; dollars and cents become cents.
  const price = item.getByRole('form', { name: `Price ${trip.referenceCode}` });
  await price.getByLabel('Amount ($)').fill('48.5.0');
  await price.getByRole('button', { name: 'Mark ready' }).click();
  await expect(price.getByText(/dollars and cents/)).toBeVisible();
  await price.getByLabel('Amount ($)').fill('$1,048.50');
  await price.getByRole('button', { name: 'Mark ready' }).click();
  await expect(item).toHaveCount(0);

  // Invoice it: the API's refusal of the charset is said at the field; then a good number.
  await tabs.getByRole('link', { name: /^Ready/ }).click();
  const ready = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: trip.referenceCode }) });
  await expect(ready).toContainText('$1,048.50');
  const invoice = ready.getByRole('form', { name: `Invoice ${trip.referenceCode}` });
  await invoice.getByLabel('Invoice number').fill('INV=1;2');
  await invoice.getByRole('button', { name: 'Mark invoiced' }).click();
  await expect(invoice.getByLabel('Invoice number')).toHaveAttribute('aria-invalid', 'true');
  await expect(invoice.getByText(/Letters and digits/)).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'billing-desk-ready');
  await invoice.getByLabel('Invoice number').fill(invoiceNumber);
  await invoice.getByRole('button', { name: 'Mark invoiced' }).click();
  await expect(ready).toHaveCount(0);

  // Paid.
  await tabs.getByRole('link', { name: /^Invoiced/ }).click();
  const invoiced = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: trip.referenceCode }) });
  await expect(invoiced).toContainText(invoiceNumber);
  await expectNoSeriousA11yViolations(page);
  await invoiced.getByRole('button', { name: 'Mark paid' }).click();
  await expect(invoiced).toHaveCount(0);
  const paid = await json<BillingRow>(await billingApi.get(`/v1/billing-records/${recordId}`));
  expect(paid).toMatchObject({ status: 'paid', amountCents: 104_850, invoiceNumber });
  await tabs.getByRole('link', { name: /^Paid/ }).click();
  await expect(page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: trip.referenceCode }) })).toBeVisible();
  await expect(page.getByText(/total \$[\d,]+\.\d\d/)).toBeVisible();

  // The CSV of the records created today (the default range ends today): a download, named by its dates.
  const today = dayInZone(0);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^billing-records-\\d{4}-\\d{2}-01-to-${today}\\.csv$`));
  const csv = readFileSync(await download.path(), 'utf8');
  const [header, ...lines] = csv.split('\r\n');
  expect(header?.split(',').slice(0, 5)).toEqual(['id', 'facilityId', 'tripRequestId', 'tripLegId', 'referenceCode']);
  const line = lines.find((text) => text.startsWith(`${recordId},`));
  expect(line, 'the paid record is in the export').toBeDefined();
  const cells = (line as string).split(',');
  const column = (name: string) => cells[(header as string).split(',').indexOf(name)];
  expect([column('referenceCode'), column('amountCents'), column('invoiceNumber'), column('status')])
    .toEqual([trip.referenceCode, '104850', invoiceNumber, 'paid']);
  await expect(page.getByRole('status').filter({ hasText: 'Downloaded' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'billing-desk-paid');
});
