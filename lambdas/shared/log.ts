import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Log ids, codes, roles, routes and outcomes only — never names, phone
 * numbers, addresses, notes or tokens (PRODUCT.md §5). `redact` is the last line of defence for
 * keys that must never appear.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'nemt-dispatch' });

const NEVER_LOG = /name|phone|email|address|note|dob|birth|token|authorization|password|secret/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) safe[key] = NEVER_LOG.test(key) ? '[redacted]' : value;
  return safe;
}
