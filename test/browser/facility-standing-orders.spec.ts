import type { APIRequestContext, Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn } from './support/sign-in';
import { dayInZone, json } from './support/provider-time';

/**
 * Standing orders as a facility's scheduler works them in Chromium against the real local stack:
 * asked for in the browser for one of their riders (their facility is theirs, nothing to choose),
 * on their list with its days and times in words and its first ride, a date skipped while it waits;
 * once the Dispatcher has accepted it (through the API), paused, resumed and ended. Accepting and
 * rejecting are the Dispatcher's and never offered. The days are six weeks ahead, beyond the
 * horizon of made rides, so that nothing lands on another spec's board.
 */
test.describe.configure({ mode: 'serial' });

const SCHEDULER = 'scheduler@riverside.example';
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function weekdayOf(date: string): string {
  return WEEKDAY_NAMES[new Date(`${date}T12:00:00Z`).getUTCDay()] as string;
}

/** "Tue, Jun 23", as the console writes a calendar date. */
function shownDate(date: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' })
    .format(new Date(`${date}T12:00:00Z`));
}

async function registerRider(api: APIRequestContext, fullName: string, homeAddress: string): Promise<string> {
  const rider = await json<{ id: string }>(await api.post('/v1/riders', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { fullName, notifyChannel: 'none', homeAddress },
  }));
  return rider.id;
}

async function expectFitsAPhone(page: Page): Promise<void> {
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `nothing scrolls sideways at 375 px on ${page.url()}`).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 720 });
}

test('a facility scheduler asks for a standing order, finds it on their list, skips a date, pauses and ends it',
  async ({ page, apiAs }) => {
    const schedulerApi = await apiAs('FacilityUser', SCHEDULER);
    await registerRider(schedulerApi, 'Casey Weekly', '9 Willow Lane, Springfield');
    const first = dayInZone(42);
    const second = dayInZone(44);
    // The first day's weekday a week later: one of the series' days.
    const skipped = dayInZone(49);

    await signIn(page, { role: 'FacilityUser', email: SCHEDULER });
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Standing orders' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Standing orders' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await page.getByRole('link', { name: 'New standing order' }).click();

    // Their own facility: no facility to choose; the rider's home address fills the pickup.
    const form = page.getByRole('form', { name: 'New standing order' });
    await expect(form).toBeVisible();
    await expect(form.getByLabel('Facility')).toHaveCount(0);
    await form.getByLabel('Rider').selectOption({ label: 'Casey Weekly' });
    await expect(form.getByLabel('Pick up from')).toHaveValue('9 Willow Lane, Springfield');
    for (const day of [first, second]) await form.getByRole('checkbox', { name: weekdayOf(day) }).check();
    await form.getByLabel(/^Appointment time/).fill('10:00');
    await expect(form.getByLabel(/^Pickup time/)).toHaveValue('09:15');
    await form.getByLabel('Going to').fill('400 Riverside Drive, Springfield');
    await form.getByRole('radio', { name: 'Will-call (they phone when ready)' }).check();
    await form.getByLabel('First day').fill(first);
    await expectNoSeriousA11yViolations(page);
    await form.getByRole('button', { name: 'Create the standing order' }).click();

    // Its page: pending, waiting for the Dispatcher; accepting and rejecting are not offered.
    const title = page.getByRole('heading', { level: 1, name: /Standing order for Casey Weekly/ });
    await expect(title).toContainText('pending');
    await expect(page.getByRole('status').filter({ hasText: 'Sent.' })).toContainText("waits for the transport provider's dispatcher");
    await expect(page.getByRole('link', { name: /Back to standing orders/ })).toBeVisible();
    await expect(page.getByRole('link', { name: /board/i })).toHaveCount(0);
    const actions = page.getByRole('region', { name: 'What to do' });
    await expect(actions.getByRole('button', { name: 'Skip this date' })).toBeVisible();
    await expect(actions.getByRole('button', { name: 'Accept', exact: true })).toHaveCount(0);
    await expect(actions.getByRole('button', { name: 'Reject' })).toHaveCount(0);
    await expect(actions.getByRole('button', { name: 'Pause' })).toHaveCount(0);
    const next = page.getByRole('region', { name: 'Next rides' });
    await expect(next.getByRole('row').filter({ hasText: shownDate(first) }).getByRole('cell').first()).toHaveText(/^9:15 AM E[SD]T$/);
    // No ride is made yet: the days are plain text, not links to a board the facility does not have.
    await expect(next.getByRole('link')).toHaveCount(0);

    // Skip the first day's weekday a week later, after confirming.
    await actions.getByLabel('Date to skip').selectOption({ label: `${shownDate(skipped)}, pickup 9:15 AM ET` });
    await actions.getByRole('button', { name: 'Skip this date' }).click();
    await actions.getByRole('button', { name: 'Yes, skip it' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'skipped' })).toContainText(`${shownDate(skipped)} skipped`);
    await expect(page.getByRole('region', { name: 'The series' })).toContainText(shownDate(skipped));
    await expect(next.getByRole('row').filter({ hasText: shownDate(skipped) })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    const seriesId = new URL(page.url()).pathname.split('/').pop() as string;

    // The Dispatcher accepts it (through the API, as on the board).
    const dispatcherApi = await apiAs('Dispatcher');
    const pending = await json<{ version: number }>(await dispatcherApi.get(`/v1/standing-orders/${seriesId}`));
    await json(await dispatcherApi.post(`/v1/standing-orders/${seriesId}/accept`, {
      headers: { 'If-Match': `"${pending.version}"` }, data: {},
    }));

    // The list: status, rider, days and times in words, and the next ride.
    await page.getByRole('link', { name: /Back to standing orders/ }).click();
    const current = page.getByRole('list', { name: /Current/ });
    const row = current.getByRole('listitem').filter({ hasText: 'Casey Weekly' });
    await expect(row).toContainText('active');
    await expect(row).toContainText(/pickup 9:15 AM ET · appointment 10:00 AM/);
    await expect(row).toContainText('Will-call return');
    await expect(row).toContainText(new RegExp(`Next ride: ${shownDate(first)}, pickup 9:15 AM E[SD]T`));
    await expectNoSeriousA11yViolations(page);
    await expectFitsAPhone(page);
    await screenshot(page, 'facility-standing-orders');

    // Paused and resumed from its page, still without the Dispatcher's actions.
    await row.getByRole('link', { name: 'Casey Weekly' }).click();
    await expect(title).toContainText('active');
    await expect(actions.getByRole('button', { name: 'Accept', exact: true })).toHaveCount(0);
    await actions.getByRole('button', { name: 'Pause' }).click();
    await expect(title).toContainText('paused');
    await expect(page.getByRole('status').filter({ hasText: 'Paused.' })).toBeVisible();
    await expect(actions.getByRole('button', { name: 'Resume' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await expectFitsAPhone(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'facility-series');
    await actions.getByRole('button', { name: 'Resume' }).click();
    await expect(title).toContainText('active');

    // Ended, after confirming: no more rides, nothing more to do.
    await actions.getByRole('button', { name: 'End the series' }).click();
    await actions.getByRole('button', { name: 'Yes, end it' }).click();
    await expect(title).toContainText('ended');
    await expect(next).toContainText('makes no more rides');
    await expectNoSeriousA11yViolations(page);
    const ended = await json<{ status: string; excludedDates: string[] }>(await schedulerApi.get(`/v1/standing-orders/${seriesId}`));
    expect(ended).toMatchObject({ status: 'ended', excludedDates: [skipped] });

    // Back on the list, among the ones that are over.
    await page.getByRole('link', { name: /Back to standing orders/ }).click();
    await expect(page.getByRole('list', { name: /Ended and rejected/ }).getByRole('listitem').filter({ hasText: 'Casey Weekly' }))
      .toContainText('Ended: it makes no more rides.');
    await expect(page.getByRole('list', { name: /Current/ }).getByRole('listitem').filter({ hasText: 'Casey Weekly' })).toHaveCount(0);
  });
