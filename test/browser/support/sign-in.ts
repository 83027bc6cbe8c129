import type { Page } from '@playwright/test';

/**
 * Signs in through the console as a person would, against the local stack's issuer: open the
 * console, follow its sign-in, pick the demo user on the issuer's authorize page (the local
 * twin of Cognito's managed login), and come back signed in. No token is planted: the console
 * runs its own authorization-code + PKCE flow. Shared by the browser specs and the P9 benchmark,
 * so it uses nothing but Playwright's page API.
 *
 * What it relies on (the console and the local issuer provide it):
 * - the authorize page (`/oauth2/authorize`) lists each demo user as a button or link whose name
 *   contains the user's email or role;
 * - a console that is not signed in shows a "Sign in" button or link, or goes to the authorize
 *   page by itself;
 * - a signed-in console shows a "Sign out" button or link.
 */
export interface SignInOptions {
  /** Picks the first demo user whose entry names this role... */
  role: string;
  /** ...or exactly this user. */
  email?: string;
  /** Where to start (default `/`); the console should come back there after sign-in. */
  path?: string;
  timeoutMs?: number;
}

const SIGN_IN = /^\s*(sign|log) ?in\b/i;
const SIGN_OUT = /^\s*(sign|log) ?out\b/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function signOutControl(page: Page) {
  return page.getByRole('button', { name: SIGN_OUT }).or(page.getByRole('link', { name: SIGN_OUT })).first();
}

export async function signIn(page: Page, options: SignInOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const who = new RegExp(escapeRegExp(options.email ?? options.role), 'i');
  const signInControl = page.getByRole('button', { name: SIGN_IN }).or(page.getByRole('link', { name: SIGN_IN })).first();
  await page.goto(options.path ?? '/');
  let pickedUser = false;
  while (Date.now() < deadline) {
    const url = new URL(page.url());
    if (url.pathname.startsWith('/oauth2/authorize')) {
      if (!pickedUser) {
        const entry = page.getByRole('button', { name: who }).or(page.getByRole('link', { name: who })).first();
        await entry.click({ timeout: Math.max(1, deadline - Date.now()) });
        pickedUser = true;
      }
    } else if (await signOutControl(page).isVisible()) {
      return;
    } else if (!pickedUser && url.pathname !== '/callback' && (await signInControl.isVisible())) {
      await signInControl.click();
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`could not sign in as ${options.email ?? options.role}: still at ${page.url()} after ` +
    `${(options.timeoutMs ?? 30_000) / 1000} s (see the expectations in test/browser/support/sign-in.ts)`);
}
