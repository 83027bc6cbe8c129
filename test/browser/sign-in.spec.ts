import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { screenshot } from './support/screenshots';
import { signIn, signOutControl } from './support/sign-in';
import { expectNoTokenInStorage } from './support/storage';

/**
 * The sign-in pages a person sees on the way in and out: the local issuer's authorize page (the
 * stand-in for Cognito's managed login), Billing's start page (the billing desk), the
 * signed-out page, and a reload (tokens live in memory, so a reload signs in again).
 */
test('the sign-in page lists the demo users and passes axe; a reload signs in again; sign-out leaves nothing', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/oauth2\/authorize/);
  await expect(page.getByRole('button', { name: /Billing/ })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await expectNoTokenInStorage(page);

  await signIn(page, { role: 'Billing' });
  await expect(page.getByRole('heading', { name: 'Billing desk', level: 1 })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await expectNoTokenInStorage(page);
  await screenshot(page, 'home-billing');

  // Tokens are in memory only: a reload goes back through the issuer (which, unlike Cognito
  // with a live session, asks again), never to a page that is still signed in.
  await page.reload();
  await expect(page).toHaveURL(/\/oauth2\/authorize/);

  await signIn(page, { role: 'Billing' });
  await signOutControl(page).click();
  await expect(page.getByText('You have signed out')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await expectNoTokenInStorage(page);
});
