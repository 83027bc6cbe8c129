/**
 * Request limits shared by the handlers, the OpenAPI document and the CDK app (API Gateway's
 * own 413 answer, the WAF body-size rule). Kept apart from the handler code so the CDK app can
 * read them without loading any of it (test/infra/lib-imports.test.ts).
 */

/** The largest request body any route accepts, in bytes of UTF-8. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * How long a client refused by the firewall's per-IP rate rules should wait (lib/constructs/waf-rules.ts):
 * the rules count over five minutes, so the refusals stop within that once the client slows down.
 */
export const WAF_RATE_RETRY_AFTER_SECONDS = 300;
