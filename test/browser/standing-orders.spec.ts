import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn } from './support/sign-in';
import { dayInZone, json } from './support/provider-time';

/**
 * Standing orders on the Dispatcher's board, as a person clicks them in Chromium against the
 * real local stack: a Dispatcher books a series for a rider (a refused answer shown at its field),
 * previews its next rides, accepts it and finds the rides on the board's days; skips a date (that
 * day's ride shows cancelled), pauses (a ride with a driver is left, and the page says so),
 * resumes, changes the pickup time (untouched rides follow) and ends it. A facility's series,
 * sent through the API, waits on the board; one is accepted there with an adjusted pickup time,
 * another rejected with a reason. Every screen passes axe and fits a 375-pixel phone.
 */
test.describe.configure({ mode: 'serial' });
// The only refusal the flow provokes on purpose: a pickup after the appointment (422).
test.use({ allowedConsoleErrors: [/status of 422/] });

const RIVERSIDE = 'Riverside Dialysis Center';
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "Monday" for a calendar date. */
function weekdayOf(date: string): string {
  return WEEKDAY_NAMES[new Date(`${date}T12:00:00Z`).getUTCDay()] as string;
}

/** ISO weekday (1 = Monday … 7 = Sunday), as the API numbers a series' days. */
function isoWeekdayOf(date: string): number {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/** "Tue, Jun 23", as the console writes a calendar date. */
function shownDate(date: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' })
    .format(new Date(`${date}T12:00:00Z`));
}

/** A rider of a facility: a Dispatcher names the facility, a facility user's comes from their account (null). */
async function registerRider(api: APIRequestContext, facilityId: string | null, fullName: string, homeAddress?: string): Promise<string> {
  const rider = await json<{ id: string }>(await api.post('/v1/riders', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { ...(facilityId ? { facilityId } : {}), fullName, notifyChannel: 'none', ...(homeAddress ? { homeAddress } : {}) },
  }));
  return rider.id;
}

/** Assigns the rider's outbound leg of that day to the first driver, in a wheelchair van. */
async function assignOutbound(api: APIRequestContext, day: string, riderId: string): Promise<void> {
  const legs = await json<{ items: { id: string; riderId: string; kind: string; version: number }[] }>(
    await api.get(`/v1/legs?date=${day}&limit=100`));
  const leg = legs.items.find((item) => item.riderId === riderId && item.kind === 'outbound');
  expect(leg, `an outbound leg of the series on ${day}`).toBeDefined();
  const drivers = await json<{ items: { id: string }[] }>(await api.get('/v1/users?role=Driver'));
  const vehicles = await json<{ items: { id: string; name: string }[] }>(await api.get('/v1/vehicles?limit=100'));
  const van = vehicles.items.find((vehicle) => vehicle.name === 'Van 4');
  const { id, version } = leg as { id: string; version: number };
  await json(await api.put(`/v1/legs/${id}/assignment`, {
    headers: { 'If-Match': `"${version}"` },
    data: { driverId: drivers.items[0]?.id, vehicleId: van?.id },
  }));
}

/** Nothing scrolls sideways on a 375-pixel phone (then back to the default viewport). */
async function expectFitsAPhone(page: Page): Promise<void> {
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `nothing scrolls sideways at 375 px on ${page.url()}`).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 720 });
}

/**
 * From a series' page to a day on the board and back, in the page (tokens live in memory: a
 * reload would sign in again).
 */
async function boardDay(page: Page, day: string): Promise<Locator> {
  await page.getByRole('link', { name: /Back to the board/ }).click();
  await page.getByLabel('Day').fill(day);
  const legs = page.getByRole('region', { name: 'Legs' });
  await expect(legs).toHaveAttribute('data-date', day);
  await expect(legs).toHaveAttribute('data-state', 'ready');
  return legs;
}

async function openSeries(page: Page, riderName: string): Promise<void> {
  const running = page.getByRole('region', { name: 'Standing orders' }).getByRole('list', { name: /Active and paused/ });
  await running.getByRole('link', { name: riderName }).click();
  await expect(page.getByRole('heading', { level: 1, name: new RegExp(`Standing order for ${riderName}`) })).toBeVisible();
}

test('a Dispatcher books a series, previews and accepts it, finds its rides on the board, skips a date, pauses, changes and ends it',
  async ({ page, apiAs, stack }) => {
    const dispatcherApi = await apiAs('Dispatcher');
    const riverside = stack.user('FacilityAdmin').facilityId as string;
    const jordan = await registerRider(dispatcherApi, riverside, 'Jordan Series', '77 Maple Court, Springfield');
    // Three days ahead of today, so that every one of them is still to come whatever the hour.
    const first = dayInZone(1);
    const second = dayInZone(2);
    const fourth = dayInZone(4);

    await signIn(page, { role: 'Dispatcher' });
    await expect(page.getByRole('heading', { name: 'Dispatch board' })).toBeVisible();
    const pane = page.getByRole('region', { name: 'Standing orders' });
    await expect(pane).toBeVisible();
    await pane.getByRole('link', { name: 'New standing order' }).click();

    // The form: facility, then rider (their home address fills the pickup), days, times, return, dates.
    const form = page.getByRole('form', { name: 'New standing order' });
    await expect(form).toBeVisible();
    await form.getByLabel('Facility').selectOption({ label: RIVERSIDE });
    await form.getByLabel('Rider').selectOption({ label: 'Jordan Series' });
    await expect(form.getByLabel('Pick up from')).toHaveValue('77 Maple Court, Springfield');
    // Sent without a day: the form says so at the days, and nothing is sent.
    await form.getByRole('button', { name: 'Create the standing order' }).click();
    await expect(form.getByRole('group', { name: 'Days of the week' })).toContainText('Tick at least one day.');
    for (const day of [first, second, fourth]) await form.getByRole('checkbox', { name: weekdayOf(day) }).check();
    await form.getByLabel(/^Appointment time/).fill('07:00');
    // The pickup follows the appointment until it is set by hand.
    await expect(form.getByLabel(/^Pickup time/)).toHaveValue('06:15');
    await form.getByLabel('Going to').fill('400 Riverside Drive, Springfield');
    await form.getByLabel('How they get around').selectOption({ label: 'Wheelchair' });
    await form.getByRole('radio', { name: 'At a set time' }).check();
    await form.getByLabel(/^Return pickup time/).fill('11:00');
    await form.getByLabel('First day').fill(first);
    // A pickup after the appointment: the API refuses it, and its message stands at that field.
    await form.getByLabel(/^Pickup time/).fill('07:15');
    await form.getByRole('button', { name: 'Create the standing order' }).click();
    const pickupField = form.getByLabel(/^Pickup time/);
    await expect(pickupField).toHaveAttribute('aria-invalid', 'true');
    await expect(pickupField).toHaveAccessibleDescription(/before the appointment time/i);
    await expect(form.getByRole('alert')).toContainText('Some answers need fixing');
    await expectNoSeriousA11yViolations(page);
    await expectFitsAPhone(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'standing-order-new');
    await pickupField.fill('06:30');
    await form.getByRole('button', { name: 'Create the standing order' }).click();

    // Its page: the facts in words, pending, and the next rides the API works out (nothing made yet).
    await expect(page.getByRole('heading', { level: 1, name: /Standing order for Jordan Series/ })).toContainText('pending');
    await expect(page.getByText(/· pickup 6:30 AM ET · appointment 7:00 AM/).first()).toBeVisible();
    const next = page.getByRole('region', { name: 'Next rides' });
    // A row per day: pickup, appointment and return, each in the zone of that day (EST or EDT).
    const firstRide = next.getByRole('row').filter({ hasText: shownDate(first) });
    await expect(firstRide.getByRole('cell')).toHaveText([/^6:30 AM E[SD]T$/, /^7:00 AM E[SD]T$/, /^11:00 AM E[SD]T$/]);
    await expectNoSeriousA11yViolations(page);

    // Accept as asked: the rides are made for the coming days.
    const actions = page.getByRole('region', { name: 'What to do' });
    await actions.getByRole('button', { name: 'Accept', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('active');

    // Its first day on the board: the outbound leg at 6:30, unassigned, ready for a driver.
    await next.getByRole('link', { name: shownDate(first) }).click();
    const legs = page.getByRole('region', { name: 'Legs' });
    await expect(legs).toHaveAttribute('data-date', first);
    await expect(legs).toHaveAttribute('data-state', 'ready');
    const firstLeg = legs.getByRole('button', { name: /outbound, 6:30 AM – 7:00 AM E[SD]T, Jordan Series/ });
    await expect(firstLeg).toHaveAttribute('data-status', 'unassigned');
    await expect(legs.getByRole('button', { name: /return, 11:00 .*Jordan Series/ })).toBeVisible();

    // Back to the series through the board's list, and skip the second day.
    await openSeries(page, 'Jordan Series');
    await page.getByLabel('Date to skip').selectOption({ label: `${shownDate(second)}, pickup 6:30 AM ET` });
    await page.getByRole('button', { name: 'Skip this date' }).click();
    await page.getByRole('button', { name: 'Yes, skip it' }).click();
    const report = page.getByRole('status').filter({ hasText: 'skipped' });
    await expect(report).toContainText(`${shownDate(second)} skipped`);
    await expect(page.getByRole('region', { name: 'The series' })).toContainText(shownDate(second));
    await expect(next.getByRole('row').filter({ hasText: shownDate(second) })).toHaveCount(0);
    const made = page.getByRole('region', { name: 'Rides made' });
    await expect(made.getByRole('listitem').filter({ hasText: shownDate(second) })).toContainText('cancelled');
    await expect(made.getByRole('listitem').filter({ hasText: shownDate(first) })).toContainText('scheduled');
    await expectNoSeriousA11yViolations(page);

    const secondDay = await boardDay(page, second);
    await expect(secondDay.getByRole('button', { name: /outbound, 6:30 AM – 7:00 AM E[SD]T, Jordan Series/ }))
      .toHaveAttribute('data-status', 'cancelled');
    await openSeries(page, 'Jordan Series');

    // The fourth day's outbound leg gets a driver (through the API, as a colleague would on the board).
    await assignOutbound(dispatcherApi, fourth, jordan);

    // Pause: untouched rides are withdrawn; the assigned one is left, and the page says which and why.
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('paused');
    const paused = page.getByRole('status').filter({ hasText: 'Paused.' });
    await expect(paused).toContainText('One ride was left as it was');
    await expect(paused).toContainText(`${shownDate(fourth)} kept as it was: a driver is already assigned.`);
    await expect(paused.getByRole('link', { name: `The trip of ${shownDate(fourth)}` })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await expectFitsAPhone(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'standing-order-detail');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('active');

    // A change: pickup a quarter of an hour later. Untouched rides follow; the assigned one stays.
    await page.getByRole('button', { name: 'Change days, times or addresses' }).click();
    const change = page.getByRole('form', { name: 'Change the standing order for Jordan Series' });
    await change.getByLabel(/^Pickup time/).fill('06:45');
    await change.getByRole('button', { name: 'Save the change' }).click();
    const changed = page.getByRole('status').filter({ hasText: 'Changed the standing order for Jordan Series.' });
    await expect(changed).toContainText(`${shownDate(fourth)} kept as it was: a driver is already assigned.`);
    await expect(page.locator('.series-summary')).toContainText('pickup 6:45 AM ET');
    await expectNoSeriousA11yViolations(page);
    const firstDay = await boardDay(page, first);
    await expect(firstDay.getByRole('button', { name: /outbound, 6:45 AM – 7:00 AM E[SD]T, Jordan Series/ })
      .and(firstDay.locator('[data-status="unassigned"]'))).toHaveCount(1);
    await openSeries(page, 'Jordan Series');

    // End, after confirming: no more rides, nothing more to do.
    await page.getByRole('button', { name: 'End the series' }).click();
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('ended');
    await expect(next).toContainText('makes no more rides');
    await expectNoSeriousA11yViolations(page);
    // The fourth day: its assigned ride stays; nothing unassigned is left of the series.
    const fourthDay = await boardDay(page, fourth);
    const fourthOutbound = fourthDay.getByRole('button', { name: /outbound, .* Jordan Series/ });
    await expect(fourthOutbound.and(fourthDay.locator('[data-status="assigned"]'))).toHaveAccessibleName(/6:30 AM – 7:00 AM/);
    await expect(fourthOutbound.and(fourthDay.locator('[data-status="unassigned"]'))).toHaveCount(0);
  });

test("a facility's series waits on the board: one accepted there with an adjusted pickup, another rejected with a reason",
  async ({ page, apiAs }) => {
    const facilityApi = await apiAs('FacilityAdmin');
    const start = dayInZone(1);
    const asFacility = async (fullName: string, pickupTime: string) => {
      const riderId = await registerRider(facilityApi, null, fullName);
      return json<{ id: string; status: string }>(await facilityApi.post('/v1/standing-orders', {
        headers: { 'Idempotency-Key': randomUUID() },
        data: { riderId, daysOfWeek: [isoWeekdayOf(start)], appointmentTime: '09:00', pickupTime,
          pickupAddress: '5 Birch Road, Springfield', dropoffAddress: '400 Riverside Drive, Springfield',
          mobility: 'ambulatory', oxygen: false, companions: 1, returnMode: 'will_call', startDate: start },
      }));
    };
    const accepted = await asFacility('Riley Weekly', '08:10');
    const rejected = await asFacility('Morgan Weekly', '08:20');
    expect(accepted.status).toBe('pending');
    expect(rejected.status).toBe('pending');

    await signIn(page, { role: 'Dispatcher' });
    const pane = page.getByRole('region', { name: 'Standing orders' });
    const waiting = pane.getByRole('list', { name: /Waiting for acceptance/ });
    const riley = waiting.getByRole('listitem').filter({ hasText: 'Riley Weekly' });
    await expect(riley).toContainText(/pickup 8:10 AM ET · appointment 9:00 AM/);
    await riley.getByRole('button', { name: 'Open' }).click();
    await expectNoSeriousA11yViolations(page);
    await expectFitsAPhone(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    // On a wide screen the pane sits under the other two, beside the legs; on a phone, scrolled to.
    await screenshot(page, 'board-standing-orders', [1440]);
    await page.setViewportSize({ width: 375, height: 812 });
    await pane.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'board-standing-orders', [375]);
    await page.setViewportSize({ width: 1280, height: 720 });

    // Accepted with the pickup moved to 8:00: the series and its first ride say 8:00.
    const accept = riley.getByRole('form', { name: 'Accept the standing order for Riley Weekly' });
    await accept.getByLabel(/^Pickup/).fill('08:00');
    await accept.getByRole('button', { name: 'Accept', exact: true }).click();
    await expect(riley).toHaveCount(0);
    const running = pane.getByRole('list', { name: /Active and paused/ });
    await expect(running.getByRole('listitem').filter({ hasText: 'Riley Weekly' })).toContainText(/pickup 8:00 AM ET/);
    await page.getByLabel('Day').fill(start);
    const legs = page.getByRole('region', { name: 'Legs' });
    await expect(legs).toHaveAttribute('data-date', start);
    await expect(legs).toHaveAttribute('data-state', 'ready');
    await expect(legs.getByRole('button', { name: /outbound, 8:00 AM – 9:00 AM E[SD]T, Riley Weekly/ })).toBeVisible();

    // Rejected: a reason is required, then confirmed; the series leaves the waiting list.
    const morgan = waiting.getByRole('listitem').filter({ hasText: 'Morgan Weekly' });
    await morgan.getByRole('button', { name: 'Open' }).click();
    await morgan.getByRole('button', { name: 'Reject' }).click();
    await expect(morgan.getByText('Give the reason; the facility is told it.')).toBeVisible();
    await morgan.getByLabel('Reason for rejecting').fill('We do not serve that address on that day.');
    await morgan.getByRole('button', { name: 'Reject' }).click();
    await morgan.getByRole('button', { name: 'Yes, reject' }).click();
    await expect(morgan).toHaveCount(0);
    const dispatcherApi = await apiAs('Dispatcher');
    const after = await json<{ status: string; rejectionReason: string | null }>(
      await dispatcherApi.get(`/v1/standing-orders/${rejected.id}`));
    expect(after).toMatchObject({ status: 'rejected', rejectionReason: 'We do not serve that address on that day.' });
  });
