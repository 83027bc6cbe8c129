/**
 * The console's response-header policy (SECURITY S26), as data: CloudFront's response-headers
 * policy (lib/constructs/console-edge.ts) and the local stack's static server (local/) are both
 * built from it, so the browser meets the same rules on a laptop as in AWS. No imports: the CDK
 * app, the local stack and tests read it without loading anything else.
 */
export interface ConsoleHeaderPolicy {
  /** Origins the console may call besides its own: the sign-in (OAuth) domain, the IdP's discovery host. */
  readonly signInOrigins: readonly string[];
}

export const HSTS = { maxAgeSeconds: 63_072_000, includeSubdomains: true, preload: true } as const;
export const REFERRER_POLICY = 'strict-origin-when-cross-origin';

/** No inline script, no eval, nothing framed, nothing loaded from elsewhere but the sign-in calls. */
export function contentSecurityPolicy(policy: ConsoleHeaderPolicy): string {
  const connect = ["'self'", ...policy.signInOrigins].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action 'self' ${policy.signInOrigins.join(' ')}`,
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ]
    .join('; ')
    .replace(/\s+;/g, ';');
}

/** The whole header set as a plain map, for servers that write headers themselves. */
export function consoleSecurityHeaders(policy: ConsoleHeaderPolicy, options: { https: boolean }): Record<string, string> {
  const csp = contentSecurityPolicy(policy);
  return {
    'Content-Security-Policy': options.https ? csp : csp.replace(/; upgrade-insecure-requests$/, ''),
    'Strict-Transport-Security': `max-age=${HSTS.maxAgeSeconds}; includeSubDomains; preload`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': REFERRER_POLICY,
  };
}
