import type { APIRequestContext, Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn } from './support/sign-in';
import { dayInZone, json, zonedInstant } from './support/provider-time';

/**
 * The facility portal, as a scheduler clicks it in Chromium against the real local stack: a
 * FacilityUser registers a new rider from the request form, comes back with the rider chosen and
 * requests a trip with a timed return; once the Dispatcher schedules it, "Our trips" and the
 * trip's page show it confirmed with its rides' times. A trip of another facility, opened by
 * URL, is "not found" and shows none of its data. A cancellation is asked for with a TDS reason
 * (a missing reason said at its field first). Every page passes axe.
 */
test.describe.configure({ mode: 'serial' });

const SCHEDULER = 'scheduler@riverside.example';

interface Trip { id: string; referenceCode: string; version: number; status: string; riderId: string }

async function signInAsScheduler(page: Page, path: string): Promise<void> {
  await signIn(page, { role: 'FacilityUser', email: SCHEDULER, path });
}

/** A rider and a trip of the user behind `api` (a facility role: the tenant comes from the token). */
async function arrangeTrip(api: APIRequestContext, fullName: string, day: string): Promise<Trip> {
  const rider = await json<{ id: string }>(await api.post('/v1/riders', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { fullName, notifyChannel: 'none', homeAddress: '5 Quiet Lane, Springfield' },
  }));
  return json<Trip>(await api.post('/v1/trip-requests', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { riderId: rider.id, pickupAddress: '5 Quiet Lane, Springfield', dropoffAddress: '900 Secret Clinic Road',
      appointmentAt: zonedInstant(day, '11:00'), clinicalNotes: 'Confidential note' },
  }));
}

test('a scheduler registers a rider, requests a trip, and sees it confirmed once dispatch schedules it',
  async ({ page, apiAs, browserProblems }) => {
    // The refusal the test provokes on purpose: a phone number without its area code (422).
    browserProblems.allow(/status of 422/);
    const day = dayInZone(30);
    const riderName = `Jordan Birch ${randomUUID().slice(0, 6)}`;

    await signInAsScheduler(page, '/trips');
    await expect(page.getByRole('heading', { name: /Our trips/, level: 1 })).toBeVisible();
    const main = page.getByRole('main');
    await main.getByRole('link', { name: 'Request a trip' }).click();
    await expect(page.getByRole('heading', { name: 'Request a trip', level: 1 })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Your riders' })).toBeVisible();

    // Not registered yet: register the rider from the request form, and come back with them chosen.
    await page.getByRole('link', { name: 'Register a new rider' }).click();
    await expect(page.getByRole('heading', { name: 'New rider', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Save and continue the request' }).click();
    await expect(page.getByText('Enter the rider’s name.')).toBeVisible();
    await expect(page.getByLabel('Full name')).toBeFocused();
    await page.getByLabel('Full name').fill(riderName);
    // A number the API refuses: its answer is said at the phone field, in words.
    await page.getByLabel('Phone (optional)').fill('010-0377');
    await page.getByRole('button', { name: 'Save and continue the request' }).click();
    await expect(page.getByLabel('Phone (optional)')).toHaveAccessibleDescription(/with its area code/);
    await expect(page.getByLabel('Phone (optional)')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Phone (optional)').fill('(555) 010-0377');
    await page.getByLabel('Home address (optional)').fill('77 Birch Road, Springfield');
    await page.getByLabel('How they get around').selectOption({ label: 'Wheelchair' });
    await page.getByLabel('Text message').check();
    await page.getByLabel('The rider agreed to receive these messages').check();
    await expectNoSeriousA11yViolations(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'facility-rider');
    await page.getByRole('button', { name: 'Save and continue the request' }).click();

    // Back on the request: the rider chosen, their home and usual mobility filled in.
    await expect(page.getByRole('heading', { name: 'Request a trip', level: 1 })).toBeVisible();
    await expect(page.getByText(riderName, { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Choose another rider' })).toBeVisible();
    await expect(page.getByLabel('Pick up from')).toHaveValue('77 Birch Road, Springfield');
    await expect(page.getByLabel('How they get around')).toHaveValue('wheelchair');
    await page.getByLabel('Day').fill(day);
    await page.getByLabel(/^Appointment time/).fill('10:00');
    await page.getByLabel('Return at a set time').check();
    await page.getByLabel(/^Return pickup time/).fill('13:00');
    // The drop-off starts as the facility's own address (Riverside's, in the demo data).
    await expect(page.getByLabel('Going to')).toHaveValue('400 Riverside Drive, Springfield');
    await expect(page.getByText('Filled in with your facility’s address')).toBeVisible();
    await page.getByLabel('Notes for dispatch and the driver (optional)').fill('Needs help with the ramp.');
    await expectNoSeriousA11yViolations(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'facility-request');
    await page.getByRole('button', { name: 'Send the request' }).click();

    // The trip's page, announced: waiting for dispatch.
    const title = page.getByRole('heading', { name: /^Trip /, level: 1 });
    await expect(title).toContainText('requested');
    await expect(page.getByText('Request sent.')).toBeVisible();
    const tripId = new URL(page.url()).pathname.split('/').pop() as string;

    // Dispatch schedules it (outbound and the timed return).
    const dispatcher = await apiAs('Dispatcher');
    const trip = await json<Trip>(await dispatcher.get(`/v1/trip-requests/${tripId}`));
    expect(trip.status).toBe('requested');
    await json(await dispatcher.post(`/v1/trip-requests/${tripId}/schedule`, {
      headers: { 'If-Match': `"${trip.version}"` },
      data: {
        outbound: { pickupAt: zonedInstant(day, '09:00'), dropoffAt: zonedInstant(day, '09:50') },
        return: { pickupAt: zonedInstant(day, '13:00'), dropoffAt: zonedInstant(day, '13:45') },
      },
    }));

    // Our trips: confirmed at a glance, with the pickup window in the provider's zone and both rides.
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Our trips' }).click();
    const row = page.getByRole('list', { name: 'Trips' }).getByRole('listitem').filter({ hasText: trip.referenceCode }).first();
    await expect(row).toContainText('scheduled');
    await expect(row).toContainText('Confirmed');
    await expect(row).toContainText(riderName);
    await expect(row).toContainText(/Pickup .*9:00 AM – 9:50 AM E[SD]T/);
    await expect(row.getByRole('list', { name: 'Legs' })).toContainText('Outbound');
    await expect(row.getByRole('list', { name: 'Legs' })).toContainText('Return');
    await page.getByRole('link', { name: 'Scheduled', exact: true }).click();
    await expect(page.getByRole('list', { name: 'Trips' }).getByRole('listitem').filter({ hasText: trip.referenceCode })).toHaveCount(1);
    await page.getByRole('link', { name: 'All', exact: true }).click();
    // One appointment day (the API's filter, in the provider's zone): this trip; an empty day says so.
    await page.getByLabel('Appointment day').fill(day);
    await expect(page.getByRole('list', { name: 'Trips' }).getByRole('listitem').filter({ hasText: trip.referenceCode })).toHaveCount(1);
    await page.getByLabel('Appointment day').fill(dayInZone(35));
    await expect(page.getByText(/No trips with an appointment on/)).toBeVisible();
    await page.getByRole('button', { name: 'Any day' }).click();
    await expect(row).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'facility-trips');

    // The trip's page: scheduled, its rides with their times, and the history so far.
    await row.getByRole('link', { name: new RegExp(trip.referenceCode) }).click();
    await expect(title).toContainText('scheduled');
    const rides = page.getByRole('region', { name: 'Rides' });
    await expect(rides).toContainText(/Outbound\s*unassigned/);
    await expect(rides).toContainText(/9:00 AM – 9:50 AM E[SD]T/);
    await expect(rides).toContainText(/1:00 PM – 1:45 PM E[SD]T/);
    const history = page.getByRole('region', { name: 'History' }).getByRole('listitem');
    await expect(history.filter({ hasText: 'Request received' })).toContainText('by you');
    await expect(history.filter({ hasText: 'Scheduled' }).first()).toContainText('by a dispatcher');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'facility-trip');

    // The riders: found by name; the rider's details changed in place (If-Match).
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Riders' }).click();
    await page.getByLabel('Find a rider').fill(riderName.split(' ').pop() as string);
    const riders = page.getByRole('list', { name: 'Riders' }).getByRole('listitem');
    await expect(riders).toHaveCount(1);
    await expect(riders.first()).toContainText('(555) 010-0377');
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'facility-riders');
    await riders.first().getByRole('link', { name: riderName, exact: true }).click();
    await expect(page.getByRole('heading', { name: riderName, level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Change details' }).click();
    await page.getByLabel('Phone (optional)').fill('555 010 0388');
    await expectNoSeriousA11yViolations(page);
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await expect(page.getByText('(555) 010-0388')).toBeVisible();
    const scheduler = await apiAs('FacilityUser', SCHEDULER);
    const saved = await json<{ phone: string }>(await scheduler.get(`/v1/riders/${trip.riderId}`));
    expect(saved.phone).toBe('+15550100388');
    await expectNoSeriousA11yViolations(page);
  });

test("a scheduler opening another facility's trip by its address sees 'not found' and none of its data",
  async ({ page, apiAs, browserProblems }) => {
    // The API answers 404 for the other facility's trip; the browser logs that refusal.
    browserProblems.allow(/status of 404/);
    const oakGrove = await apiAs('FacilityAdmin', 'admin@oakgrove.example');
    const theirs = await arrangeTrip(oakGrove, 'Walter Oakley Hidden', dayInZone(32));
    const scheduler = await apiAs('FacilityUser', SCHEDULER);
    expect((await scheduler.get(`/v1/trip-requests/${theirs.id}`)).status()).toBe(404);

    await signInAsScheduler(page, `/trips/${theirs.id}`);
    await expect(page.getByRole('heading', { name: 'Trip not found', level: 1 })).toBeVisible();
    // The whole document and its title, not only <main>: a header, a live region or the tab could leak too.
    const shown = `${await page.title()}\n${(await page.locator('body').textContent()) ?? ''}`;
    for (const secret of [theirs.referenceCode, 'Walter Oakley Hidden', '900 Secret Clinic Road', 'Confidential note', '5 Quiet Lane']) {
      expect(shown, `the page shows nothing of the other facility's trip (${secret})`).not.toContain(secret);
    }
    await expect(page.getByRole('link', { name: 'Go to our trips' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });

test('a scheduler asks for a cancellation with a reason from the trip page', async ({ page, apiAs }) => {
  const scheduler = await apiAs('FacilityUser', SCHEDULER);
  const trip = await arrangeTrip(scheduler, `Casey Cancel ${randomUUID().slice(0, 6)}`, dayInZone(31));

  await signInAsScheduler(page, `/trips/${trip.id}`);
  await expect(page.getByRole('heading', { name: new RegExp(`Trip ${trip.referenceCode}`), level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Ask dispatch to cancel' }).click();
  const form = page.getByRole('form', { name: 'Ask to cancel' });
  await expect(form.getByLabel('Booked by mistake')).toBeFocused();
  // A reason is needed: said next to the choice, before anything is sent.
  await form.getByRole('button', { name: 'Ask to cancel' }).click();
  await expect(form.getByText('Choose the reason.')).toBeVisible();
  await form.getByLabel('Another reason').check();
  await form.getByRole('button', { name: 'Ask to cancel' }).click();
  await expect(form.getByText('Say what the reason is.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await form.getByLabel(/^Plans changed/).check();
  await form.getByLabel(/^Details/).fill('Appointment moved to next month');
  await form.getByRole('button', { name: 'Ask to cancel' }).click();

  const requests = page.getByRole('list', { name: 'Cancellation requests' }).getByRole('listitem');
  await expect(requests).toHaveCount(1);
  await expect(requests.first()).toContainText('pending');
  await expect(requests.first()).toContainText('Plans changed');
  await expect(requests.first()).toContainText('Appointment moved to next month');
  await expect(page.getByRole('form', { name: 'Ask to cancel' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Ask dispatch to cancel' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'History' }).getByRole('listitem').filter({ hasText: 'Cancellation requested' }))
    .toBeVisible();
  await expectNoSeriousA11yViolations(page);

  const held = await json<{ items: { status: string; reasonCode: string; reasonText: string | null }[] }>(
    await scheduler.get(`/v1/cancellation-requests?tripRequestId=${trip.id}`));
  expect(held.items).toEqual([expect.objectContaining({ status: 'pending', reasonCode: 'changed_plans', reasonText: 'Appointment moved to next month' })]);
});

test('a dispatcher registers a rider for the facility they choose, and finds them among its riders', async ({ page }) => {
  const riderName = `Dale Dispatch ${randomUUID().slice(0, 6)}`;
  await signIn(page, { role: 'Dispatcher', path: '/riders/new' });
  await expect(page.getByRole('heading', { name: 'New rider', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Save the rider' }).click();
  await expect(page.getByText('Choose the facility the rider belongs to.')).toBeVisible();
  await expect(page.getByLabel('Facility')).toBeFocused();
  await page.getByLabel('Facility').selectOption({ label: 'Riverside Dialysis Center' });
  await page.getByLabel('Full name').fill(riderName);
  await page.getByLabel('No messages').check();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Save the rider' }).click();
  await expect(page.getByRole('heading', { name: riderName, level: 1 })).toBeVisible();
  await expect(page.getByText('Rider saved.').first()).toBeVisible();

  await page.getByRole('link', { name: '← Riders' }).click();
  await page.getByLabel('Facility').selectOption({ label: 'Riverside Dialysis Center' });
  await page.getByLabel('Find a rider').fill(riderName);
  await expect(page.getByRole('list', { name: 'Riders' }).getByRole('listitem')).toHaveCount(1);
  await page.getByLabel('Facility').selectOption({ label: 'Oak Grove Senior Living' });
  await expect(page.getByText(`No rider matches “${riderName}”.`)).toBeVisible();
  await expectNoSeriousA11yViolations(page);
});
