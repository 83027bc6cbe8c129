import type { APIRequestContext, Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn } from './support/sign-in';
import { expectNoTokenInStorage, readScriptReadableStorage } from './support/storage';
import { dayInZone, json, TIME_ZONE, zonedInstant } from './support/provider-time';

/**
 * The driver's day on a 375-pixel phone, against the real local stack: a leg the dispatcher
 * assigned for the driver's day is worked from en route to completion; taps made without signal are kept on the
 * phone, shown as waiting, and sent in order once the signal returns, each recorded exactly once
 * (checked through the API and the trip's history); so is a completion made without signal, even
 * when the server's first answer to it is lost on the way back; a tap the server refuses (the leg
 * was taken away meanwhile) stays on screen until dismissed; a phone that refuses IndexedDB still
 * sends each tap once and says they last only while the page is open. The set-up goes through the
 * API as a Dispatcher.
 */
test.describe.configure({ mode: 'serial' });
/**
 * The phone is in the provider's zone, as a driver's is. It matters under the fake clock below:
 * Playwright's Date replacement hands back native dates, so the zoned dates of @date-fns/tz fall
 * back to the phone's own zone, and a phone left in UTC would show the completion form's times in UTC.
 */
test.use({ timezoneId: TIME_ZONE });

const PHONE = { width: 375, height: 812 };
const MINUTE = 60_000;
/**
 * The day the driver works in these tests, far enough ahead that no other spec books the demo
 * driver or Sedan 2 on it. The page's clock is set to that morning (it shows today's legs), while
 * the server keeps real time, so the legs are always still to come whatever hour the tests run.
 */
const DRIVING_DAY = dayInZone(20);

interface Versioned { id: string; version: number }
interface ArrangedLeg { legId: string; tripId: string; rider: string; version: number }

/**
 * A ride on the driving day for a new rider of Riverside's, at `hour`:00 in the provider's zone, its
 * outbound leg assigned to the demo driver, Devon Driver, with Sedan 2.
 */
async function arrangeLeg(api: APIRequestContext, facilityId: string, hour: number, rider: string): Promise<ArrangedLeg> {
  const pickup = Date.parse(zonedInstant(DRIVING_DAY, `${String(hour).padStart(2, '0')}:00`));
  const iso = (instant: number) => new Date(instant).toISOString();
  const created = await json<Versioned>(await api.post('/v1/riders', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { facilityId, fullName: rider, phone: '+15550100777', notifyChannel: 'none' },
  }));
  const trip = await json<Versioned>(await api.post('/v1/trip-requests', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { facilityId, riderId: created.id, pickupAddress: '12 Elm Street', dropoffAddress: '400 Riverside Drive',
      appointmentAt: iso(pickup + 45 * MINUTE) },
  }));
  await json(await api.post(`/v1/trip-requests/${trip.id}/schedule`, {
    headers: { 'If-Match': `"${trip.version}"` },
    data: { outbound: { pickupAt: iso(pickup), dropoffAt: iso(pickup + 30 * MINUTE) } },
  }));
  const [leg] = (await json<{ items: Versioned[] }>(await api.get(`/v1/legs?tripRequestId=${trip.id}`))).items;
  expect(leg).toBeDefined();
  const drivers = await json<{ items: { id: string; displayName: string }[] }>(await api.get('/v1/users?role=Driver'));
  const devon = drivers.items.find((driver) => driver.displayName === 'Devon Driver');
  expect(devon, 'the seed has Devon Driver').toBeDefined();
  const vehicles = await json<{ items: { id: string; name: string }[] }>(await api.get('/v1/vehicles?limit=100'));
  const sedan = vehicles.items.find((vehicle) => vehicle.name === 'Sedan 2');
  expect(sedan, 'the seed has Sedan 2').toBeDefined();
  const assigned = await json<Versioned>(await api.put(`/v1/legs/${(leg as Versioned).id}/assignment`, {
    headers: { 'If-Match': `"${(leg as Versioned).version}"` },
    data: { driverId: devon?.id, vehicleId: sedan?.id },
  }));
  return { legId: assigned.id, tripId: trip.id, rider, version: assigned.version };
}

function legCard(page: Page, rider: string) {
  return page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(rider) }) });
}

async function openMyDay(page: Page): Promise<void> {
  // The phone's clock reads 8:00 AM on the driving day and runs on from there.
  await page.clock.install({ time: new Date(zonedInstant(DRIVING_DAY, '08:00')) });
  await page.setViewportSize(PHONE);
  await signIn(page, { role: 'Driver' });
  await expect(page).toHaveURL(/\/day$/);
  await expect(page.getByRole('heading', { name: 'My day', level: 1 })).toBeVisible();
}

/** "13:05:09" plus some minutes, as a time input's value. */
function later(time: string, minutes: number): string {
  const [h, m, s] = time.split(':').map(Number);
  const total = ((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0) + minutes * 60) % 86_400;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

test('a driver on a phone works a leg from en route to completion', async ({ page, apiAs, stack }) => {
  const dispatcher = await apiAs('Dispatcher');
  const leg = await arrangeLeg(dispatcher, stack.user('FacilityAdmin').facilityId as string, 9, 'Jordan Phone');

  await openMyDay(page);
  const card = legCard(page, leg.rider);
  await expect(card).toContainText('Sedan 2');
  await expect(card).toContainText('12 Elm Street');
  await expect(card.getByRole('link', { name: /Call \(555\) 010-0777/ })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'nothing scrolls sideways at 375 px').toBeLessThanOrEqual(0);
  const enRoute = card.getByRole('button', { name: 'En route' });
  const box = await enRoute.boundingBox();
  expect(box?.height ?? 0, 'a tap target at least 48 px tall').toBeGreaterThanOrEqual(48);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'driver-day');

  for (const [button, status] of [['En route', 'en_route'], ['Arrived', 'arrived'], ['Picked up', 'picked_up']] as const) {
    await card.getByRole('button', { name: button, exact: true }).click();
    await expect(card).toHaveAttribute('data-status', status);
    await expect(card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem').last()).toHaveAttribute('data-state', 'sent');
  }

  // The completion form: times prefilled from the taps, the odometer from Sedan 2's last reading.
  const form = page.getByRole('form', { name: `Complete the ride for ${leg.rider}` });
  const pickedUp = await form.getByLabel(/^Picked up at/).inputValue();
  expect(pickedUp).toMatch(/^\d{2}:\d{2}:\d{2}$/);
  await expect(form.getByLabel(/^Dropped off at/)).not.toHaveValue('');
  await expect(form.getByLabel('Odometer at start')).toHaveValue('48210.3');
  await form.getByLabel(/^Dropped off at/).fill(later(pickedUp, 25));

  // An end reading below the start is caught on the phone, before anything is sent.
  const completions: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/completion')) completions.push(request.url());
  });
  await form.getByLabel('Odometer at end').fill('48200');
  await form.getByRole('button', { name: 'Complete the ride' }).click();
  await expect(form.getByText('The end reading must be more than the start reading.')).toBeVisible();
  expect(completions).toEqual([]);
  await form.getByLabel('Odometer at end').fill('48222.5');
  await form.getByLabel('Notes (optional)').fill('Walker stowed in the trunk.');
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'driver-day-complete');
  await form.getByRole('button', { name: 'Complete the ride' }).click();
  await expect(card).toHaveAttribute('data-status', 'completed');
  await expect(form).toHaveCount(0);
  // The completion goes through the phone's queue, like the taps: sent once, then marked so.
  await expect(card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem').last()).toHaveAttribute('data-state', 'sent');
  expect(completions).toHaveLength(1);

  const done = await json<{ status: string; odometerStart: number; odometerEnd: number }>(await dispatcher.get(`/v1/legs/${leg.legId}`));
  expect(done).toMatchObject({ status: 'completed', odometerStart: 48210.3, odometerEnd: 48222.5 });
  await expectNoTokenInStorage(page);
});

test('taps made without signal wait on the phone and are recorded once each, in order, when it returns',
  async ({ page, context, apiAs, stack, browserProblems }) => {
    // The browser's own lines for requests it could not make while offline, if any slip through.
    browserProblems.allow(/ERR_INTERNET_DISCONNECTED/);
    const dispatcher = await apiAs('Dispatcher');
    const leg = await arrangeLeg(dispatcher, stack.user('FacilityAdmin').facilityId as string, 10, 'Quinn Tunnel');

    await openMyDay(page);
    const card = legCard(page, leg.rider);
    const taps = card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem');
    const connection = page.locator('.connection');
    await card.getByRole('button', { name: 'En route', exact: true }).click();
    await expect(taps.last()).toHaveAttribute('data-state', 'sent');

    await context.setOffline(true);
    await expect(connection).toContainText('No signal');
    await card.getByRole('button', { name: 'Arrived', exact: true }).click();
    await card.getByRole('button', { name: 'Picked up', exact: true }).click();
    await expect(card).toHaveAttribute('data-status', 'picked_up');
    await expect(card).toContainText('waiting to send');
    await expect(taps.filter({ hasText: 'waiting to send' })).toHaveCount(2);
    await expect(connection).toHaveAttribute('data-pending', '2');
    await expect(connection).toContainText('2 taps saved on this phone');
    await expectNoTokenInStorage(page);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'driver-day-offline');

    await context.setOffline(false);
    await expect(connection).toHaveAttribute('data-pending', '0', { timeout: 30_000 });
    await expect(taps.filter({ hasText: 'waiting to send' })).toHaveCount(0);
    await expect(taps).toHaveCount(3);
    for (const index of [0, 1, 2]) await expect(taps.nth(index)).toHaveAttribute('data-state', 'sent');

    const recorded = await json<{ status: string }>(await dispatcher.get(`/v1/legs/${leg.legId}`));
    expect(recorded.status).toBe('picked_up');
    const history = await json<{ events: { entityId: string; action: string }[] }>(
      await dispatcher.get(`/v1/trip-requests/${leg.tripId}/history`));
    const legEvents = history.events.filter((event) => event.entityId === leg.legId).map((event) => event.action);
    expect(legEvents).toEqual(['trip_leg.created', 'trip_leg.assigned', 'trip_leg.en_route', 'trip_leg.arrived', 'trip_leg.picked_up']);
  });

test('a completion made without signal waits on the phone and is recorded once, after the taps before it, when the signal returns',
  async ({ page, context, apiAs, stack, browserProblems }) => {
    browserProblems.allow(/ERR_INTERNET_DISCONNECTED/);
    // The answer the test drops on its way back to the phone (below).
    browserProblems.allow(/ERR_FAILED/);
    const dispatcher = await apiAs('Dispatcher');
    const leg = await arrangeLeg(dispatcher, stack.user('FacilityAdmin').facilityId as string, 12, 'Sam Underpass');

    await openMyDay(page);
    const card = legCard(page, leg.rider);
    const taps = card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem');
    const connection = page.locator('.connection');
    for (const button of ['En route', 'Arrived']) {
      await card.getByRole('button', { name: button, exact: true }).click();
      await expect(taps.last()).toHaveAttribute('data-state', 'sent');
    }

    // No signal from the pick-up on: the form opens at once, without waiting for the pick-up to be sent.
    await context.setOffline(true);
    await expect(connection).toContainText('No signal');
    await card.getByRole('button', { name: 'Picked up', exact: true }).click();
    const form = page.getByRole('form', { name: `Complete the ride for ${leg.rider}` });
    const pickedUp = await form.getByLabel(/^Picked up at/).inputValue();
    expect(pickedUp).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    await form.getByLabel(/^Dropped off at/).fill(later(pickedUp, 20));
    const start = Number(await form.getByLabel('Odometer at start').inputValue());
    expect(start, "Sedan 2's last reading").toBeGreaterThan(0);
    const end = Math.round((start + 9.4) * 10) / 10;
    // Still checked on the phone before it is queued: an end reading below the start is refused there.
    await form.getByLabel('Odometer at end').fill(String(start - 1));
    await form.getByRole('button', { name: 'Complete the ride' }).click();
    await expect(form.getByText('The end reading must be more than the start reading.')).toBeVisible();
    await expect(connection).toHaveAttribute('data-pending', '1');
    await form.getByLabel('Odometer at end').fill(String(end));
    await form.getByLabel('Notes (optional)').fill('Left at the front desk.');
    await form.getByRole('button', { name: 'Complete the ride' }).click();
    await expect(card).toHaveAttribute('data-status', 'completed');
    await expect(form).toHaveCount(0);
    await expect(taps.filter({ hasText: 'waiting to send' })).toHaveCount(2);
    await expect(taps.last()).toContainText('Completed at');
    await expect(connection).toHaveAttribute('data-pending', '2');
    await expect(connection).toContainText('1 tap and 1 completion saved on this phone');
    await expectNoTokenInStorage(page);
    // What waits on the phone (threat model, B0): the notes until sent, never the rider's name.
    const keptWhileWaiting = (await readScriptReadableStorage(page)).map((item) => item.text).join('\n');
    expect(keptWhileWaiting).toContain('Left at the front desk.');
    expect(keptWhileWaiting).not.toContain(leg.rider);
    await expectNoSeriousA11yViolations(page);

    // The server records the completion, but its answer is lost on the way back: the phone keeps it
    // waiting and sends it again, with the same Idempotency-Key, and the server replays its answer.
    const keys: string[] = [];
    await page.route('**/v1/legs/*/completion', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        await route.fetch();
        await route.abort('failed');
        return;
      }
      await route.continue();
    });
    await context.setOffline(false);
    await expect.poll(() => keys.length).toBe(1);
    await expect(connection).toHaveAttribute('data-pending', '1');
    await expect(taps.last()).toContainText('waiting to send');
    // The phone tries again every 15 s while something waits: move its clock on until it has.
    await expect.poll(async () => {
      await page.clock.fastForward(16_000);
      return keys.length;
    }).toBe(2);
    await expect(connection).toHaveAttribute('data-pending', '0');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    await expect(taps).toHaveCount(4);
    for (const index of [0, 1, 2, 3]) await expect(taps.nth(index)).toHaveAttribute('data-state', 'sent');
    // Sent, the completion's notes are gone from the phone.
    const keptAfterSending = (await readScriptReadableStorage(page)).map((item) => item.text).join('\n');
    expect(keptAfterSending).toContain(leg.legId);
    expect(keptAfterSending).not.toContain('Left at the front desk.');
    expect(keptAfterSending).not.toContain(leg.rider);

    const recorded = await json<{ status: string; odometerStart: number; odometerEnd: number }>(
      await dispatcher.get(`/v1/legs/${leg.legId}`));
    expect(recorded).toMatchObject({ status: 'completed', odometerStart: start, odometerEnd: end });
    const history = await json<{ events: { entityId: string; action: string }[] }>(
      await dispatcher.get(`/v1/trip-requests/${leg.tripId}/history`));
    const legEvents = history.events.filter((event) => event.entityId === leg.legId).map((event) => event.action);
    expect(legEvents).toEqual(['trip_leg.created', 'trip_leg.assigned', 'trip_leg.en_route', 'trip_leg.arrived', 'trip_leg.picked_up',
      'trip_leg.completed']);
  });

test('a completion the server refuses stays on screen with its answers, and once corrected is recorded once',
  async ({ page, context, apiAs, stack, browserProblems }) => {
    browserProblems.allow(/ERR_INTERNET_DISCONNECTED/);
    // The refusal the test provokes: an end reading with a digit too many.
    browserProblems.allow(/status of 422/);
    const dispatcher = await apiAs('Dispatcher');
    const leg = await arrangeLeg(dispatcher, stack.user('FacilityAdmin').facilityId as string, 13, 'Alex Digit');

    await openMyDay(page);
    const card = legCard(page, leg.rider);
    const taps = card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem');
    const connection = page.locator('.connection');
    for (const button of ['En route', 'Arrived', 'Picked up']) {
      await card.getByRole('button', { name: button, exact: true }).click();
      await expect(taps.last()).toHaveAttribute('data-state', 'sent');
    }
    const form = page.getByRole('form', { name: `Complete the ride for ${leg.rider}` });
    const pickedUp = await form.getByLabel(/^Picked up at/).inputValue();
    await form.getByLabel(/^Dropped off at/).fill(later(pickedUp, 15));
    const start = Number(await form.getByLabel('Odometer at start').inputValue());
    const typo = Math.round((start + 3000) * 10) / 10;

    // Completed without signal, with a digit too many: the phone cannot know; the server refuses it.
    await context.setOffline(true);
    await form.getByLabel('Odometer at end').fill(String(typo));
    await form.getByLabel('Notes (optional)').fill('Rider asked for the side door.');
    await form.getByRole('button', { name: 'Complete the ride' }).click();
    await expect(card).toHaveAttribute('data-status', 'completed');
    await expect(connection).toContainText('1 completion saved on this phone');
    await context.setOffline(false);
    const refusal = page.getByRole('list', { name: 'Taps not recorded' }).getByRole('listitem');
    await expect(refusal.getByRole('alert')).toContainText(`Not recorded: the completion for ${leg.rider}`, { timeout: 30_000 });
    await expect(refusal).toContainText('a digit too many');

    // The leg is still picked up: the form is back with the driver's answers and the server's message at its field.
    await expect(card).toHaveAttribute('data-status', 'picked_up');
    await expect(form.getByLabel('Odometer at end')).toHaveValue(String(typo));
    await expect(form.getByLabel('Notes (optional)')).toHaveValue('Rider asked for the side door.');
    await expect(form.getByLabel('Odometer at end')).toHaveAccessibleDescription(/likely a typo/);
    await expectNoSeriousA11yViolations(page);

    const end = Math.round((start + 12.3) * 10) / 10;
    await form.getByLabel('Odometer at end').fill(String(end));
    await form.getByRole('button', { name: 'Complete the ride' }).click();
    await expect(card).toHaveAttribute('data-status', 'completed');
    await expect(connection).toHaveAttribute('data-pending', '0');
    await expect(taps.last()).toHaveAttribute('data-state', 'sent');
    // The corrected completion replaced the refused one: nothing left to dismiss.
    await expect(refusal).toHaveCount(0);

    const recorded = await json<{ status: string; odometerEnd: number }>(await dispatcher.get(`/v1/legs/${leg.legId}`));
    expect(recorded).toMatchObject({ status: 'completed', odometerEnd: end });
    const history = await json<{ events: { entityId: string; action: string }[] }>(
      await dispatcher.get(`/v1/trip-requests/${leg.tripId}/history`));
    const completions = history.events.filter((event) => event.entityId === leg.legId && event.action === 'trip_leg.completed');
    expect(completions).toHaveLength(1);
  });

test('a tap the server refuses (the leg was taken away meanwhile) stays on screen until dismissed',
  async ({ page, context, apiAs, stack, browserProblems }) => {
    browserProblems.allow(/ERR_INTERNET_DISCONNECTED/);
    browserProblems.allow(/status of 404/);
    const dispatcher = await apiAs('Dispatcher');
    const leg = await arrangeLeg(dispatcher, stack.user('FacilityAdmin').facilityId as string, 11, 'Riley Reassigned');

    await openMyDay(page);
    const card = legCard(page, leg.rider);
    await expect(card).toBeVisible();
    await context.setOffline(true);
    await card.getByRole('button', { name: 'En route', exact: true }).click();
    await expect(card).toContainText('waiting to send');

    // Meanwhile the dispatcher takes the leg away: the driver no longer has it.
    await json(await dispatcher.delete(`/v1/legs/${leg.legId}/assignment`, { headers: { 'If-Match': `"${leg.version}"` } }));
    await context.setOffline(false);
    const refusal = page.getByRole('list', { name: 'Taps not recorded' }).getByRole('listitem');
    await expect(refusal.getByRole('alert')).toContainText(`Not recorded: en route for ${leg.rider}`, { timeout: 30_000 });
    // The day is read again: the leg is no longer the driver's, and the refusal still names its rider.
    await expect(card).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'driver-day-refused');
    await refusal.getByRole('button', { name: 'Dismiss' }).click();
    await expect(refusal).toHaveCount(0);
    const unassigned = await json<{ status: string }>(await dispatcher.get(`/v1/legs/${leg.legId}`));
    expect(unassigned.status).toBe('unassigned');
  });

test('a phone that refuses IndexedDB still sends every tap once, and says taps last only while the page is open',
  async ({ page, apiAs, stack }) => {
    const dispatcher = await apiAs('Dispatcher');
    const leg = await arrangeLeg(dispatcher, stack.user('FacilityAdmin').facilityId as string, 14, 'Robin Private');
    // As some private modes do: opening the database fails.
    await page.addInitScript(() => {
      const refuse = () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      };
      Object.defineProperty(window.indexedDB, 'open', { value: refuse });
    });

    await openMyDay(page);
    const card = legCard(page, leg.rider);
    await card.getByRole('button', { name: 'En route', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'only while this page stays open' })).toBeVisible();
    await expect(card).toHaveAttribute('data-status', 'en_route');
    await expect(card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem').last()).toHaveAttribute('data-state', 'sent');
    await card.getByRole('button', { name: 'Arrived', exact: true }).click();
    await expect(card.getByRole('list', { name: /^Taps for/ }).getByRole('listitem').last()).toHaveAttribute('data-state', 'sent');

    const history = await json<{ events: { entityId: string; action: string }[] }>(
      await dispatcher.get(`/v1/trip-requests/${leg.tripId}/history`));
    const legEvents = history.events.filter((event) => event.entityId === leg.legId).map((event) => event.action);
    expect(legEvents).toEqual(['trip_leg.created', 'trip_leg.assigned', 'trip_leg.en_route', 'trip_leg.arrived']);
  });
