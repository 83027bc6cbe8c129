import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { headerValue } from '../shared/http/headers';
import { Problems } from '../shared/http/problem';
import { MAX_BODY_BYTES } from './limits';

/** Parsing and validating what API Gateway hands over: body, query, path, If-Match. */

/**
 * A value that matches none of a union's shapes is described by the shape it came closest to
 * (fewest issues), so `{ pickupAt, dropoffAt }` with a bad pickupAt says so at `return.pickupAt`
 * rather than "Invalid input" at `return`; a tie keeps the union's own issue.
 */
function closestBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || !Array.isArray(issue.errors) || issue.errors.length === 0) return [issue];
  const sizes = issue.errors.map((branch) => branch.length);
  const fewest = Math.min(...sizes);
  if (fewest === 0 || sizes.filter((size) => size === fewest).length > 1) return [issue];
  const branch = issue.errors[sizes.indexOf(fewest)] as z.core.$ZodIssue[];
  return branch.flatMap((inner) => closestBranch({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** One message per field, the first that applies: a second one about the same value only repeats it. */
function issues(error: z.ZodError): { path: string; message: string }[] {
  const byPath = new Map<string, string>();
  for (const issue of error.issues.flatMap(closestBranch)) {
    const path = issue.path.join('.') || '(root)';
    if (!byPath.has(path)) byPath.set(path, issue.message);
  }
  return [...byPath].slice(0, 20).map(([path, message]) => ({ path, message }));
}

export function parseJsonBody(event: APIGatewayProxyEvent, schema: z.ZodType | undefined): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw Problems.tooLarge(MAX_BODY_BYTES);
  if (!schema) {
    if (text.trim().length > 0) throw Problems.validation([{ path: '(root)', message: 'This route takes no body' }]);
    return undefined;
  }
  const contentType = headerValue(event.headers, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType.trim())) throw Problems.unsupportedMediaType();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw Problems.malformedJson();
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw Problems.validation(issues(parsed.error));
  return parsed.data;
}

export function parseParameters(values: Record<string, string | undefined> | null, schema: z.ZodType | undefined): unknown {
  const input = Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== undefined));
  if (!schema) {
    if (Object.keys(input).length > 0) {
      throw Problems.invalidParameters(Object.keys(input).slice(0, 20).map((key) => ({ path: key, message: 'Unknown parameter' })));
    }
    return {};
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw Problems.invalidParameters(issues(parsed.error));
  return parsed.data;
}

/** Accepts the ETags this API issues: `"7"` (or weak `W/"7"`). Anything else cannot match. */
export function parseIfMatch(event: APIGatewayProxyEvent): number | 'unparseable' | undefined {
  const value = headerValue(event.headers, 'if-match');
  if (value === undefined) return undefined;
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(value.trim());
  return match ? Number(match[1]) : 'unparseable';
}

export const etagFor = (version: number) => `"${version}"`;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

export function parseIdempotencyKey(event: APIGatewayProxyEvent): string | undefined {
  const value = headerValue(event.headers, 'idempotency-key');
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw Problems.invalidParameters([{ path: 'Idempotency-Key', message: 'Use 1-128 letters, digits or _.:-' }]);
  }
  return value;
}
