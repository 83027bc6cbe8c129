import { InMemoryWebStorage, type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleConfig } from './lib/config';

/**
 * Sign-in: OAuth 2.0 authorization code + PKCE, one code path for Cognito's managed login and the
 * local stack's issuer.
 *
 * Where things live:
 * - Tokens (access, id, refresh) only in memory (`userStore` over InMemoryWebStorage): a reload
 *   forgets them and signs in again by redirecting to the issuer (seamless while the issuer's own
 *   session lives, as Cognito's does).
 * - The PKCE state (`state`, `code_verifier`, `nonce`, where to return) in sessionStorage, because
 *   a redirect sign-in leaves the page: memory does not survive the trip to the issuer and back.
 *   It never holds a token, is scoped to the tab, and oidc-client-ts removes it when the callback
 *   is processed. (A popup sign-in could keep it in memory, but popups are blocked, awkward on a
 *   phone, and break the "reload = redirect straight back" behaviour.)
 * - Renewal with the refresh token (`automaticSilentRenew`): oidc-client-ts uses the refresh_token
 *   grant when the user has one, so no hidden iframe (which `frame-ancestors 'none'` would refuse).
 */
const STATE_PREFIX = 'nemt.signin.';
/** Set just before leaving for the issuer's sign-out, so `/` then offers "Sign in" instead of bouncing back. */
const SIGNED_OUT_FLAG = 'nemt.signedOut';

export interface Auth {
  manager: UserManager;
  config: ConsoleConfig;
  accessToken(): Promise<string | null>;
  signIn(returnTo?: string): Promise<void>;
  signOut(): Promise<void>;
}

export function createAuth(config: ConsoleConfig): Auth {
  const origin = window.location.origin;
  const manager = new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: config.scope,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: STATE_PREFIX }),
    automaticSilentRenew: true,
    loadUserInfo: false,
    monitorSession: false,
    revokeTokenTypes: ['refresh_token'],
    revokeTokensOnSignout: false,
    // Cognito's discovery document names no revocation or end-session endpoint; config.json does.
    metadataSeed: { revocation_endpoint: config.revocationEndpoint, end_session_endpoint: config.signOutEndpoint },
  });

  return {
    manager,
    config,
    async accessToken() {
      const user = await manager.getUser();
      return user && !user.expired ? user.access_token : null;
    },
    async signIn(returnTo = currentPath()) {
      sessionStorage.removeItem(SIGNED_OUT_FLAG);
      await manager.signinRedirect({ state: { returnTo } });
    },
    async signOut() {
      // Revoke first (Cognito: POST /oauth2/revoke with token + client_id), then forget, then end the
      // issuer's session with Cognito's parameters (client_id + logout_uri, not post_logout_redirect_uri).
      try {
        await manager.revokeTokens(['refresh_token']);
      } catch {
        // Still sign out locally and at the issuer; the refresh token dies with its family there.
      }
      await manager.removeUser();
      sessionStorage.setItem(SIGNED_OUT_FLAG, '1');
      const url = new URL(config.signOutEndpoint);
      url.searchParams.set('client_id', config.clientId);
      url.searchParams.set('logout_uri', `${origin}/`);
      window.location.assign(url.toString());
    },
  };
}

function currentPath(): string {
  return `${window.location.pathname}${window.location.search}`;
}

export type StartResult =
  | { kind: 'signed-in'; user: User; returnTo: string }
  | { kind: 'signed-out' }
  | { kind: 'redirecting' }
  | { kind: 'callback-failed'; message: string };

/**
 * Before React renders: finish a callback, or go to the issuer (a reload forgets the tokens), or
 * stay on a "signed out" page right after signing out.
 */
export async function startSession(auth: Auth): Promise<StartResult> {
  if (window.location.pathname === '/callback') {
    try {
      const user = await auth.manager.signinRedirectCallback();
      const state = user.state as { returnTo?: unknown } | undefined;
      const returnTo = typeof state?.returnTo === 'string' && state.returnTo.startsWith('/') && !state.returnTo.startsWith('//')
        ? state.returnTo
        : '/';
      window.history.replaceState(null, '', returnTo === '/callback' ? '/' : returnTo);
      return { kind: 'signed-in', user, returnTo };
    } catch (error) {
      window.history.replaceState(null, '', '/');
      return { kind: 'callback-failed', message: error instanceof Error ? error.message : 'Sign-in did not complete.' };
    }
  }
  const user = await auth.manager.getUser();
  if (user && !user.expired) return { kind: 'signed-in', user, returnTo: currentPath() };
  if (sessionStorage.getItem(SIGNED_OUT_FLAG)) return { kind: 'signed-out' };
  await auth.signIn();
  return { kind: 'redirecting' };
}
