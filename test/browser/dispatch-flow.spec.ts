import type { Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn, signOutControl } from './support/sign-in';
import { expectNoTokenInStorage } from './support/storage';
import { dayInZone, json, zonedInstant } from './support/provider-time';

/**
 * The dispatcher's day, as a person clicks it, in Chromium against the real local stack: a ride
 * requested on the public page reaches the board, is scheduled and assigned; a second, overlapping
 * leg for the same driver is refused by the database and the board names the leg it clashes with;
 * a cancellation is approved; the trip's history shows every step; signing out leaves no token in
 * any storage. Every page is checked with axe and watched for console errors and CSP violations
 * (support/fixtures.ts); the only errors allowed are the browser's own lines for the refusals the
 * flow provokes on purpose.
 */
test.describe.configure({ mode: 'serial' });
test.use({ allowedConsoleErrors: [/status of 409/] });


interface Trip { id: string; referenceCode: string; version: number }

async function requestRideOnPublicPage(page: Page, day: string): Promise<string> {
  await page.goto('/request');
  await screenshot(page, 'request-page');
  await page.getByLabel('Their full name').fill('Robin Example');
  await page.getByLabel('Phone number').fill('+15550100999');
  await page.getByLabel('Pick up from').fill('10 Oak Lane');
  await page.getByLabel('Going to').fill('20 Clinic Way');
  await page.getByLabel('Date', { exact: true }).fill(day);
  await page.getByLabel('Time', { exact: true }).fill('10:00');
  await page.getByLabel('Yes, send me these messages').check();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Send the request' }).click();
  await expect(page.getByRole('heading', { name: 'Request sent' })).toBeVisible({ timeout: 30_000 });
  const receipt = ((await page.locator('#receipt').textContent()) ?? '').trim();
  expect(receipt).toMatch(/^[2-9A-Z]{5}-?[2-9A-Z]{5}$/);
  await expectNoSeriousA11yViolations(page);
  await expectNoTokenInStorage(page);
  return receipt.replace('-', '');
}

test('a public request is scheduled, assigned, refused a double booking, cancelled, and all of it is in its history',
  async ({ page, apiAs, stack }) => {
    const day = dayInZone(3);
    const receipt = await requestRideOnPublicPage(page, day);

    const dispatcherApi = await apiAs('Dispatcher');
    const requested = await json<{ items: Trip[] }>(await dispatcherApi.get('/v1/trip-requests?status=requested&order=oldest&limit=100'));
    const intakeTrip = requested.items.find((trip) => trip.referenceCode.replace('-', '') === receipt);
    expect(intakeTrip, `the intake trip ${receipt} is among the requested trips`).toBeDefined();
    const trip = intakeTrip as Trip;

    // A second trip of Riverside's, scheduled for the same morning: its leg will overlap the intake's.
    const riverside = stack.user('FacilityAdmin').facilityId as string;
    const rider = await json<{ id: string }>(await dispatcherApi.post('/v1/riders', {
      headers: { 'Idempotency-Key': randomUUID() },
      data: { facilityId: riverside, fullName: 'Casey Overlap', notifyChannel: 'none' },
    }));
    const other = await json<Trip>(await dispatcherApi.post('/v1/trip-requests', {
      headers: { 'Idempotency-Key': randomUUID() },
      data: { facilityId: riverside, riderId: rider.id, pickupAddress: '1 River Road', dropoffAddress: '400 Riverside Drive',
        appointmentAt: zonedInstant(day, '10:00') },
    }));
    await json(await dispatcherApi.post(`/v1/trip-requests/${other.id}/schedule`, {
      headers: { 'If-Match': `"${other.version}"` },
      data: { outbound: { pickupAt: zonedInstant(day, '09:00'), dropoffAt: zonedInstant(day, '09:50') } },
    }));
    // A third, in the afternoon, for a rider in a wheelchair: a sedan cannot take it.
    const wheelchairTrip = await json<Trip>(await dispatcherApi.post('/v1/trip-requests', {
      headers: { 'Idempotency-Key': randomUUID() },
      data: { facilityId: riverside, riderId: rider.id, pickupAddress: '1 River Road', dropoffAddress: '400 Riverside Drive',
        appointmentAt: zonedInstant(day, '14:00'), mobility: 'wheelchair' },
    }));
    await json(await dispatcherApi.post(`/v1/trip-requests/${wheelchairTrip.id}/schedule`, {
      headers: { 'If-Match': `"${wheelchairTrip.version}"` },
      data: { outbound: { pickupAt: zonedInstant(day, '13:00'), dropoffAt: zonedInstant(day, '13:50') } },
    }));
    const drivers = await json<{ items: { id: string; displayName: string }[] }>(await dispatcherApi.get('/v1/users?role=Driver'));
    const driver = drivers.items[0];
    expect(driver).toBeDefined();
    const driverName = (driver as { displayName: string }).displayName;

    // The dispatcher signs in and finds the public request among the new requests, oldest first.
    await signIn(page, { role: 'Dispatcher' });
    await expect(page.getByRole('heading', { name: 'Dispatch board' })).toBeVisible();
    await expectNoTokenInStorage(page);
    const newRequests = page.getByRole('region', { name: /New requests/ });
    const item = newRequests.getByRole('listitem').filter({ hasText: trip.referenceCode });
    await expect(item).toBeVisible();
    await item.getByRole('button', { name: 'Open' }).click();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'board-request');

    // Schedule it: the times are prefilled from the appointment.
    const schedule = page.getByRole('form', { name: `Schedule ${trip.referenceCode}` });
    await expect(schedule.getByLabel(/^Pickup/)).not.toHaveValue('');
    await schedule.getByRole('button', { name: 'Schedule' }).click();
    await expect(newRequests.getByRole('listitem').filter({ hasText: trip.referenceCode })).toHaveCount(0);

    // The day's legs: assign the intake leg to the driver.
    const legs = page.getByRole('region', { name: 'Legs' });
    await page.getByLabel('Day').fill(day);
    await expect(legs).toHaveAttribute('data-state', 'ready');
    const intakeLeg = legs.getByRole('button', { name: new RegExp(`^${trip.referenceCode} outbound`) });
    await intakeLeg.click();
    await page.getByRole('combobox', { name: 'Driver' }).selectOption({ label: driverName });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect(intakeLeg).toHaveAttribute('data-status', 'assigned');

    // The overlapping leg for the same driver: refused, and the board names the leg it clashes with.
    const otherLeg = legs.getByRole('button', { name: new RegExp(`^${other.referenceCode} outbound`) });
    await otherLeg.click();
    await page.getByRole('combobox', { name: 'Driver' }).selectOption({ label: driverName });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Not assigned' });
    await expect(refusal).toContainText(trip.referenceCode);
    await expect(page.getByRole('button', { name: `Show leg ${trip.referenceCode}` })).toBeVisible();
    await expect(otherLeg).toHaveAttribute('data-status', 'unassigned');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'board-clash');

    // The wheelchair leg with a sedan: the database refuses the vehicle, and the board says why in words.
    const wheelchairLeg = legs.getByRole('button', { name: new RegExp(`^${wheelchairTrip.referenceCode} outbound`) });
    await wheelchairLeg.click();
    await expect(page.getByText(/Wheelchair/).first()).toBeVisible();
    await page.getByRole('combobox', { name: 'Driver' }).selectOption({ label: driverName });
    await page.getByRole('combobox', { name: 'Vehicle' }).selectOption({ label: 'Sedan 1 (sedan)' });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    const mismatch = page.getByRole('alert').filter({ hasText: 'Not assigned' });
    await expect(mismatch).toContainText('Sedan 1');
    await expect(mismatch).toContainText('wheelchair');
    await expect(wheelchairLeg).toHaveAttribute('data-status', 'unassigned');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'board-vehicle-refused');
    // A wheelchair van takes it; the driver's row names the vehicles of the day.
    await page.getByRole('combobox', { name: 'Vehicle' }).selectOption({ label: 'Van 3 (wheelchair van)' });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect(wheelchairLeg).toHaveAttribute('data-status', 'assigned');
    await expect(legs.getByRole('heading', { name: new RegExp(driverName) })).toContainText('Van 3');

    // The rider asks (through the office) to cancel; the dispatcher approves on the board.
    const scheduled = await json<Trip>(await dispatcherApi.get(`/v1/trip-requests/${trip.id}`));
    await json(await dispatcherApi.post(`/v1/trip-requests/${trip.id}/cancellation-requests`, {
      headers: { 'Idempotency-Key': randomUUID() },
      data: { reasonCode: 'changed_plans' },
    }));
    expect(scheduled.referenceCode).toBe(trip.referenceCode);
    const cancellations = page.getByRole('region', { name: /Cancellation requests/ });
    const pending = cancellations.getByRole('listitem').filter({ hasText: trip.referenceCode });
    await expect(pending).toBeVisible({ timeout: 20_000 });
    await pending.getByRole('button', { name: 'Approve' }).click();
    await expect(pending).toHaveCount(0);
    await expect(intakeLeg).toHaveAttribute('data-status', 'cancelled', { timeout: 20_000 });

    // The trip's detail: its rider, its leg, and its audited history as a timeline.
    await intakeLeg.click();
    await page.getByRole('link', { name: 'Trip details' }).first().click();
    await expect(page.getByRole('heading', { name: `Trip ${trip.referenceCode}` })).toBeVisible();
    const history = page.getByRole('region', { name: 'History' }).getByRole('listitem');
    for (const step of ['Request received', 'Scheduled', 'Driver assigned', 'Cancellation requested', 'Cancellation approved', 'Trip cancelled', 'Leg cancelled']) {
      await expect(history.filter({ hasText: step }).first()).toBeVisible();
    }
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'trip-detail');

    // Signing out revokes and forgets: nothing token-like is left in any storage.
    await signOutControl(page).click();
    await expect(page.getByText('You have signed out')).toBeVisible();
    await expectNoTokenInStorage(page);
    await expectNoSeriousA11yViolations(page);
  });

test('the public request page fits a 375-pixel phone and loads under the CSP without errors', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto('/request');
  await expect(page.getByRole('heading', { name: 'Request a ride', level: 1 })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'nothing scrolls sideways at 375 px').toBeLessThanOrEqual(0);
  await expectNoSeriousA11yViolations(page);
});
