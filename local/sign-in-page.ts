import type { StackUser } from './manifest';

/**
 * The local sign-in page, rendered on the server: plain HTML and one stylesheet from the same
 * origin, no script and no inline style, so it loads under the console's CSP unchanged. Each demo
 * user is a submit button in one form (keyboard: Tab and Enter/Space), named by its visible text.
 */
export const SIGN_IN_STYLESHEET_PATH = '/oauth2/assets/sign-in.css';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const STAFF_LABEL = 'Provider staff';

function head(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${SIGN_IN_STYLESHEET_PATH}">
</head>`;
}

export interface SignInPage {
  action: string;
  /** The authorization request's parameters, sent back unchanged with the choice. */
  params: readonly [string, string][];
  users: readonly StackUser[];
  error?: string;
}

export function renderSignInPage(page: SignInPage): string {
  const hidden = page.params
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const choices = page.users
    .map((user) => `<li><button type="submit" name="user" value="${escapeHtml(user.sub)}">
<span class="name">${escapeHtml(user.displayName)}</span>
<span class="detail">${escapeHtml(user.role)} · ${escapeHtml(user.facilityName ?? STAFF_LABEL)}</span>
<span class="email">${escapeHtml(user.email)}</span>
</button></li>`)
    .join('\n');
  const error = page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>` : '';
  const list = page.users.length > 0
    ? `<ul class="users">\n${choices}\n</ul>`
    : '<p class="error" role="alert">No demo user is active. Start the stack with <code>npm start -- --fresh</code> to create them again.</p>';
  return `${head('Sign in · NEMT Dispatch (local)')}
<body>
<main>
<h1>Sign in to NEMT Dispatch</h1>
<p class="intro">This is the local stack's sign-in page. Choose a demo user to sign in as; there is no password on your machine. In AWS, the Cognito sign-in page asks for a password and a one-time code instead.</p>
${error}
<form method="post" action="${escapeHtml(page.action)}">
${hidden}
<fieldset>
<legend>Sign in as</legend>
${list}
</fieldset>
</form>
</main>
</body>
</html>
`;
}

export function renderErrorPage(message: string): string {
  return `${head('Sign-in problem · NEMT Dispatch (local)')}
<body>
<main>
<h1>Sign-in cannot continue</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
<p>Go back to the app and start the sign-in again. If this keeps happening, the app's sign-in settings do not match the local stack (client <code>local-console</code>, callback <code>/callback</code> on the address the app runs at).</p>
</main>
</body>
</html>
`;
}

/** System fonts, dark text on white (contrast above 7:1), large targets, a focus ring you can see. */
export const SIGN_IN_STYLESHEET = `*, *::before, *::after { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 100%; line-height: 1.5;
  color: #1a1a1a; background: #f4f5f7; }
body { margin: 0; }
main { max-width: 36rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 0.75rem; }
.intro { margin: 0 0 1.25rem; }
fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
legend { font-weight: 700; font-size: 1.125rem; margin-bottom: 0.5rem; padding: 0; }
.users { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
button { display: block; width: 100%; min-height: 3rem; padding: 0.75rem 1rem; text-align: left; font: inherit;
  color: #1a1a1a; background: #ffffff; border: 2px solid #4a5568; border-radius: 0.5rem; cursor: pointer; }
button:hover { background: #e8eef9; border-color: #1d4ed8; }
button:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 3px; }
.name { display: block; font-weight: 700; }
.detail, .email { display: block; color: #374151; overflow-wrap: anywhere; }
.error { color: #8a1c1c; background: #fdecec; border-left: 4px solid #b91c1c; padding: 0.75rem 1rem; margin: 0 0 1rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.95em; }
@media (prefers-reduced-motion: no-preference) { button { transition: background-color 0.1s; } }
`;
