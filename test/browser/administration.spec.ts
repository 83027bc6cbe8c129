import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DATABASE_NAME, DEV_DB_PASSWORD } from '../../local/layout';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn } from './support/sign-in';
import { json } from './support/provider-time';

/**
 * Administration, in Chromium against the local stack: a Dispatcher's facilities and contacts,
 * vehicles and their service, users (invite, disable, enable) and the audit check; the role
 * change (S30) with the changed user's old token refused, by the API and in their open console;
 * and a FacilityAdmin who manages their own facility's users and contacts, nothing more. Every
 * account the tests change is one they created: the demo users keep their roles.
 */
test.describe.configure({ mode: 'serial' });
// Refused on purpose: a phone number that is not E.164 (422), enabling a user right after the disable (409).
test.use({ allowedConsoleErrors: [/status of (409|422)/] });

interface Versioned { id: string; version: number }
interface UserRow extends Versioned { email: string; role: string; facilityId: string | null; active: boolean }
interface VehicleRow extends Versioned { name: string; status: string; outOfServiceReason: string | null }

const suffix = () => randomUUID().slice(0, 6);

/**
 * The API lets a disabled user back in only once every token from before the disable has run out
 * (60 minutes). The test cannot wait an hour: it moves the disable back two hours in the local
 * stack's database, as if the Dispatcher came back to it later.
 */
async function disabledTwoHoursAgo(port: number, userId: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: DEV_DB_PASSWORD, database: DATABASE_NAME });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `UPDATE users SET disabled_at = now() - interval '2 hours' WHERE id = $1 AND NOT active`, [userId]);
    expect(rowCount, 'the user was disabled').toBe(1);
  } finally {
    await client.end();
  }
}

test('a Dispatcher adds a facility and its contact, and changes its settings', async ({ page, apiAs }) => {
  const name = `Harbor Clinic ${suffix()}`;
  await signIn(page, { role: 'Dispatcher', path: '/admin/facilities' });
  await expect(page.getByRole('heading', { name: 'Facilities', level: 1 })).toBeVisible();
  await expect(page.getByRole('link', { name: /Riverside/ }).first()).toBeVisible();

  const form = page.getByRole('form', { name: 'Add a facility' });
  await form.getByRole('button', { name: 'Add the facility' }).click();
  await expect(form.getByText('Enter the facility’s name.')).toBeVisible();
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Street address').fill('12 Harbor Street, Springfield');
  // An individual's tenant has no address of its own: the field goes with the choice.
  await form.getByLabel('Private-pay rider').check();
  await expect(form.getByLabel('Street address')).toHaveCount(0);
  await form.getByLabel('Facility (books for its patients)').check();
  await form.getByLabel('When the driver is on the way').check();
  await form.getByRole('button', { name: 'Add the facility' }).click();
  await expect(page.getByRole('link', { name })).toBeVisible();
  await expect(form.getByLabel('Name')).toHaveValue('');
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'admin-facilities');

  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(page.getByText(`${name} has no contacts yet`)).toBeVisible();
  const settings = page.getByRole('form', { name: 'Settings' });
  await expect(settings.getByLabel('When the driver is on the way')).toBeChecked();
  await expect(settings.getByLabel('Street address')).toHaveValue('12 Harbor Street, Springfield');
  await settings.getByLabel('Street address').fill('14 Harbor Street, Springfield');
  await settings.getByLabel('A reminder the evening before the ride').check();
  await settings.getByRole('button', { name: 'Save the settings' }).click();
  await expect(page.getByText(`${name} saved.`)).toBeAttached();

  const contact = page.getByRole('form', { name: 'Add a contact' });
  await contact.getByLabel('Name').fill('Dana Whitfield');
  await contact.getByLabel('Phone (optional)').fill('555-0100');
  await contact.getByRole('button', { name: 'Add the contact' }).click();
  await expect(contact.getByText(/E\.164 phone number/)).toBeVisible();
  await contact.getByLabel('Phone (optional)').fill('+15550100777');
  await contact.getByLabel('Email (optional)').fill('dana.whitfield@harbor.example');
  await contact.getByRole('button', { name: 'Add the contact' }).click();
  const row = page.getByRole('listitem').filter({ hasText: 'Dana Whitfield' });
  await expect(row).toContainText('(555) 010-0777 · dana.whitfield@harbor.example');

  await row.getByRole('button', { name: 'Edit Dana Whitfield' }).click();
  const edit = page.getByRole('form', { name: 'Edit Dana Whitfield' });
  await edit.getByLabel('Email (optional)').fill('');
  await edit.getByRole('button', { name: 'Save the contact' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'Dana Whitfield' })).toContainText('No email');
  // Held by the API, not only on screen (a reload would sign out: the tokens live in memory only).
  const facilityId = new URL(page.url()).pathname.split('/').pop() as string;
  const held = await json<Record<string, unknown>>(await (await apiAs('Dispatcher')).get(`/v1/facilities/${facilityId}`));
  expect(held).toMatchObject({ name, kind: 'facility', address: '14 Harbor Street, Springfield', notifyDriverEnRoute: true,
    notifyRideReminder: true, active: true });
  const contacts = await json<{ items: Record<string, unknown>[] }>(
    await (await apiAs('Dispatcher')).get(`/v1/contacts?facilityId=${facilityId}`));
  expect(contacts.items).toEqual([expect.objectContaining({ fullName: 'Dana Whitfield', phone: '+15550100777', email: null })]);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'admin-facility');
});

test('a Dispatcher adds a vehicle, takes it out of service and back', async ({ page, apiAs }) => {
  const name = `Van ${suffix()}`;
  const plate = `AD-${suffix().toUpperCase()}`;
  await signIn(page, { role: 'Dispatcher', path: '/admin/vehicles' });
  await expect(page.getByRole('heading', { name: 'Vehicles', level: 1 })).toBeVisible();

  const form = page.getByRole('form', { name: 'Add a vehicle' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Plate').fill(plate.toLowerCase());
  await expect(form.getByLabel('Plate')).toHaveValue(plate);
  await form.getByLabel('Kind').selectOption({ label: 'Wheelchair van' });
  await form.getByLabel('Wheelchair positions').fill('0');
  await form.getByLabel('Bariatric (XL) wheelchair lift').check();
  await form.getByRole('button', { name: 'Add the vehicle' }).click();
  await expect(form.getByText('A bariatric lift needs at least one wheelchair position.')).toBeVisible();
  await form.getByLabel('Wheelchair positions').fill('2');
  await form.getByLabel('Carries oxygen').check();
  await form.getByRole('button', { name: 'Add the vehicle' }).click();

  const vehicle = page.getByRole('article', { name });
  await expect(vehicle).toContainText('in service');
  await expect(vehicle).toContainText('wheelchair van · 4 seats, 2 wheelchair positions, bariatric lift, oxygen');

  await vehicle.getByRole('button', { name: `Edit ${name}` }).click();
  const edit = page.getByRole('form', { name: `Edit ${name}` });
  await edit.getByLabel('Seats').fill('5');
  await edit.getByRole('button', { name: 'Save the vehicle' }).click();
  await expect(vehicle).toContainText('wheelchair van · 5 seats, 2 wheelchair positions');

  await vehicle.getByRole('button', { name: 'Take out of service' }).click();
  const out = page.getByRole('form', { name: `Take ${name} out of service` });
  await out.getByRole('button', { name: 'Take it out of service' }).click();
  await expect(out.getByText(/Say why/)).toBeVisible();
  await out.getByLabel('Reason').fill('Lift inspection');
  await out.getByRole('button', { name: 'Take it out of service' }).click();
  await expect(vehicle.locator('.status')).toHaveText('out of service');
  await expect(vehicle).toContainText('Out of service: Lift inspection');
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'admin-vehicles');

  const dispatcher = await apiAs('Dispatcher');
  const listed = await json<{ items: VehicleRow[] }>(await dispatcher.get('/v1/vehicles?status=out_of_service&limit=100'));
  expect(listed.items.find((item) => item.name === name)).toMatchObject({ status: 'out_of_service', outOfServiceReason: 'Lift inspection' });

  await vehicle.getByRole('button', { name: 'Return to service' }).click();
  await expect(vehicle.locator('.status')).toHaveText('in service');
  const back = await json<{ items: VehicleRow[] }>(await dispatcher.get('/v1/vehicles?status=in_service&limit=100'));
  expect(back.items.find((item) => item.name === name)).toMatchObject({ status: 'in_service', outOfServiceReason: null });
});

test('a vehicle edit made while someone else changed it is refused, not saved over their change', async ({ page, apiAs, browserProblems }) => {
  // Refused on purpose: the first save, sent with the version the form opened with (412).
  browserProblems.allow(/status of 412/);
  const name = `Van ${suffix()}`;
  const renamed = `Spare van ${suffix()}`;
  const dispatcher = await apiAs('Dispatcher');
  const created = await json<VehicleRow>(await dispatcher.post('/v1/vehicles', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { name, plate: `CF-${suffix().toUpperCase()}`, kind: 'wheelchair_van',
      capabilities: { ambulatorySeats: 4, wheelchairPositions: 1, bariatric: false, stretcher: false, oxygen: false } },
  }));

  // The console's clock runs on from now; the test moves it on to come back to the tab later.
  await page.clock.install();
  await signIn(page, { role: 'Dispatcher', path: '/admin/vehicles' });
  await page.getByRole('article', { name }).getByRole('button', { name: `Edit ${name}` }).click();
  // The one edit form open; its name follows the vehicle it starts from.
  const edit = page.getByRole('form', { name: /^Edit / });
  await expect(edit).toHaveAccessibleName(`Edit ${name}`);
  await expect(edit.getByLabel('Name')).toHaveValue(name);

  // Meanwhile someone else renames it.
  const changed = await json<VehicleRow>(await dispatcher.patch(`/v1/vehicles/${created.id}`, {
    headers: { 'If-Match': `"${created.version}"` }, data: { name: renamed },
  }));
  // The Dispatcher comes back to the tab a minute later: the fleet is read again underneath the open form.
  await page.clock.fastForward('01:01');
  const refetched = page.waitForResponse((answer) =>
    answer.request().method() === 'GET' && new URL(answer.url()).pathname === '/v1/vehicles');
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
  await refetched;

  // Their own edit, from the draft they opened, is refused: it would have put the old name back.
  await edit.getByLabel('Seats').fill('5');
  await edit.getByRole('button', { name: 'Save the vehicle' }).click();
  // The API's words ("The resource changed since you read it…"), or the console's own for a bare 412.
  const refusal = /changed since you (read|opened) it/;
  await expect(edit.getByRole('alert')).toContainText(refusal);
  const held = await json<VehicleRow & { capabilities: { ambulatorySeats: number } }>(
    await dispatcher.get(`/v1/vehicles/${created.id}`));
  expect(held).toMatchObject({ name: renamed, version: changed.version, capabilities: { ambulatorySeats: 4 } });

  // The form starts again from the vehicle as it is now, the refusal still shown.
  await expect(edit).toHaveAccessibleName(`Edit ${renamed}`);
  await expect(edit.getByLabel('Name')).toHaveValue(renamed);
  await expect(edit.getByLabel('Seats')).toHaveValue('4');
  await expect(edit.getByRole('alert')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // Saved again, the edit goes through on top of the other change.
  await edit.getByLabel('Seats').fill('5');
  await edit.getByRole('button', { name: 'Save the vehicle' }).click();
  await expect(page.getByText(`${renamed} saved.`)).toBeAttached();
  await expect(page.getByRole('article', { name: renamed })).toContainText('wheelchair van · 5 seats, 1 wheelchair position');
  const saved = await json<VehicleRow & { capabilities: { ambulatorySeats: number } }>(
    await dispatcher.get(`/v1/vehicles/${created.id}`));
  expect(saved).toMatchObject({ name: renamed, version: changed.version + 1, capabilities: { ambulatorySeats: 5 } });
});

test('a Dispatcher invites a user, disables them with a confirmation and enables them again', async ({ page, apiAs, stack }) => {
  const email = `billing.${suffix()}@nemt.example`;
  await signIn(page, { role: 'Dispatcher', path: '/admin/users' });
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

  const form = page.getByRole('form', { name: 'Invite a user' });
  await expect(form.getByLabel('Role').locator('option')).toHaveText(
    ['Dispatcher', 'Driver', 'Billing', 'Facility admin', 'Facility scheduler']);
  await form.getByLabel('Name').fill('Robin Ledger');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Role').selectOption({ label: 'Billing' });
  await expect(form.getByLabel('Facility')).toHaveCount(0);
  await form.getByRole('button', { name: 'Invite the user' }).click();

  await page.getByLabel('Find by name or email').fill(email);
  const user = page.getByRole('article', { name: 'Robin Ledger' });
  await expect(user).toContainText(`${email} · Billing · Provider staff`);
  await expect(user.locator('.status')).toHaveText('active');
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'admin-users');

  await user.getByRole('button', { name: 'Disable…' }).click();
  await expect(user.getByText(/Disable Robin Ledger\? They are signed out everywhere/)).toBeVisible();
  await user.getByRole('button', { name: 'Keep them active' }).click();
  await expect(user.locator('.status')).toHaveText('active');
  await user.getByRole('button', { name: 'Disable…' }).click();
  await user.getByRole('button', { name: 'Yes, disable' }).click();
  await expect(user.locator('.status')).toHaveText('disabled');

  // Straight away, enabling is refused with the reason, in place.
  await user.getByRole('button', { name: 'Enable' }).click();
  await expect(user.getByRole('alert')).toContainText('Access tokens issued before the disable stay valid for up to 60 minutes');
  await expect(user.locator('.status')).toHaveText('disabled');

  const dispatcher = await apiAs('Dispatcher');
  const billingUsers = await json<{ items: UserRow[] }>(await dispatcher.get('/v1/users?role=Billing&limit=100'));
  const created = billingUsers.items.find((item) => item.email === email);
  expect(created?.active).toBe(false);
  await disabledTwoHoursAgo(stack.manifest.postgres.port, (created as UserRow).id);
  await user.getByRole('button', { name: 'Enable' }).click();
  await expect(user.locator('.status')).toHaveText('active');
  await expect(user.getByRole('alert')).toHaveCount(0);
});

test("a Dispatcher changes a user's role: the user's open console and old token are refused", async ({ page, browser, apiAs, stack }) => {
  // Arrange: a FacilityAdmin of Riverside, created for this test, with a token from before the change.
  const riverside = stack.user('FacilityAdmin', 'admin@riverside.example').facilityId as string;
  const email = `moving.${suffix()}@riverside.example`;
  const dispatcher = await apiAs('Dispatcher');
  const target = await json<UserRow>(await dispatcher.post('/v1/users', {
    headers: { 'Idempotency-Key': randomUUID() },
    data: { email, displayName: 'Morgan Mover', role: 'FacilityAdmin', facilityId: riverside },
  }));
  const oldToken = stack.tokenFor({ sub: target.id, role: 'FacilityAdmin', facilityId: riverside });

  // Their console, open in another browser. The local sign-in page offers only the demo users, so
  // it signs in as Riverside's demo admin and every API call carries the target's token instead.
  const theirs = await browser.newContext();
  try {
    await theirs.route('**/v1/**', (route) =>
      route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${oldToken}` } }));
    const theirPage = await theirs.newPage();
    await signIn(theirPage, { role: 'FacilityAdmin', email: 'admin@riverside.example', path: '/admin/users' });
    await expect(theirPage.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
    await expect(theirPage.getByRole('article', { name: 'Morgan Mover' })).toContainText('(you)');

    // The Dispatcher moves them to Facility scheduler.
    await signIn(page, { role: 'Dispatcher', path: '/admin/users' });
    await page.getByLabel('Find by name or email').fill(email);
    const row = page.getByRole('article', { name: 'Morgan Mover' });
    await expect(row).toContainText('Facility admin · Riverside');
    await row.getByRole('button', { name: 'Change role or facility' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change Morgan Mover’s role or facility' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('Their current sessions end.');
    await expect(dialog.getByLabel('Role')).toBeFocused();
    await dialog.getByLabel('Role').selectOption({ label: 'Facility scheduler' });
    await expect(dialog.getByLabel('Facility')).toHaveValue(riverside);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'admin-role-change');
    await dialog.getByRole('button', { name: 'Change the role and end their sessions' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(row).toContainText('Facility scheduler · Riverside');
    await expect(page.getByText('Morgan Mover is now Facility scheduler at Riverside')).toBeAttached();

    // The old token is refused on its next request; a token with the new assignment works.
    const before = await fetch(new URL('/v1/me', page.url()), { headers: { Authorization: `Bearer ${oldToken}` } });
    expect(before.status).toBe(401);
    const newToken = stack.tokenFor({ sub: target.id, role: 'FacilityUser', facilityId: riverside });
    const after = await fetch(new URL('/v1/me', page.url()), { headers: { Authorization: `Bearer ${newToken}` } });
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ sub: target.id, role: 'FacilityUser', facilityId: riverside });

    // Their open console (lists still on screen from before) says the session has ended at its next request.
    await theirPage.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Contacts' }).click();
    const contact = theirPage.getByRole('form', { name: 'Add a contact' });
    await contact.getByLabel('Name').fill('Refused Contact');
    await contact.getByRole('button', { name: 'Add the contact' }).click();
    await expect(theirPage.locator('.banner[role="alert"]')).toContainText('Your session has ended.');
    await expect(theirPage.getByRole('listitem').filter({ hasText: 'Refused Contact' })).toHaveCount(0);
    await expect(theirPage.getByRole('button', { name: 'Sign in again' })).toBeVisible();
  } finally {
    await theirs.close();
  }
});

test('the audit page verifies the chains and can verify again', async ({ page }) => {
  await signIn(page, { role: 'Dispatcher', path: '/admin/audit' });
  await expect(page.getByRole('heading', { name: 'Audit', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'The audit trail is intact' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/^Verified [\d,]+ events in \d+ chains, up to .+E[SD]T\. No event was changed or removed\.$/))
    .toBeVisible();
  await page.getByRole('button', { name: 'Verify again' }).click();
  await expect(page.getByRole('heading', { name: 'The audit trail is intact' })).toBeVisible({ timeout: 30_000 });
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'admin-audit');
});

test("a FacilityAdmin manages their own facility's users and contacts only, without the role change", async ({ page, apiAs }) => {
  // Another facility's contact, which Riverside's admin must not see.
  const oakGrove = await apiAs('FacilityAdmin', 'admin@oakgrove.example');
  const elsewhere = `Oak Contact ${suffix()}`;
  await json(await oakGrove.post('/v1/contacts', { headers: { 'Idempotency-Key': randomUUID() }, data: { fullName: elsewhere } }));

  await signIn(page, { role: 'FacilityAdmin', email: 'admin@riverside.example', path: '/admin/users' });
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
  const list = page.getByRole('region', { name: /Accounts/ });
  await expect(list.getByRole('article').first()).toBeVisible();
  await expect(list.getByText('scheduler@riverside.example')).toBeVisible();
  await expect(list.getByText('admin@oakgrove.example')).toHaveCount(0);
  await expect(list.getByText('dispatcher@nemt.example')).toHaveCount(0);
  for (const text of await list.locator('.admin-row > div > p.meta').allTextContents()) expect(text).toContain('Riverside');
  await expect(page.getByRole('button', { name: 'Change role or facility' })).toHaveCount(0);

  const form = page.getByRole('form', { name: 'Invite a user' });
  await expect(form.getByLabel('Role').locator('option')).toHaveText(['Facility admin', 'Facility scheduler']);
  await expect(form.getByLabel('Facility')).toHaveCount(0);
  const email = `sched.${suffix()}@riverside.example`;
  await form.getByLabel('Name').fill('Casey Planner');
  await form.getByLabel('Email').fill(email);
  await form.getByRole('button', { name: 'Invite the user' }).click();
  const created = list.getByRole('article', { name: 'Casey Planner' });
  await expect(created).toContainText(`${email} · Facility scheduler · Riverside`);
  await expect(created.getByRole('button', { name: 'Change role or facility' })).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'facility-admin-users');

  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Contacts' }).click();
  await expect(page.getByRole('heading', { name: 'Contacts', level: 1 })).toBeVisible();
  const contact = page.getByRole('form', { name: 'Add a contact' });
  const name = `Nurse ${suffix()}`;
  await contact.getByLabel('Name').fill(name);
  await contact.getByRole('button', { name: 'Add the contact' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: name })).toContainText('No phone · No email');
  await expect(page.getByText(elsewhere)).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'facility-admin-contacts');
});
