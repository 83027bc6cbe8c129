import type { LegClash, Problem } from './contract';

/**
 * An API refusal as the UI places it: `fieldErrors` by the body path the API named (shown next to
 * that field), `detail` for the action that failed, `slug` for the few problems a screen treats
 * specially (challenge-failed, driver-double-booked). Never an internal message: the API writes
 * its details for people.
 */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly detail: string;
  readonly requestId: string | undefined;
  readonly fieldErrors: ReadonlyMap<string, string>;
  /** The leg a double booking clashes with (driver-double-booked, Dispatchers only). */
  readonly clash: LegClash | undefined;

  constructor(status: number, body: Partial<Problem>) {
    super(body.detail ?? body.title ?? `The request failed (${status}).`);
    this.status = status;
    this.slug = typeof body.type === 'string' ? (body.type.split(':').pop() ?? '') : '';
    this.title = body.title ?? 'The request failed';
    this.detail = body.detail ?? fallbackDetail(status);
    this.requestId = body.requestId;
    const errors = new Map<string, string>();
    for (const error of body.errors ?? []) {
      if (!errors.has(error.path)) errors.set(error.path, error.message);
    }
    this.fieldErrors = errors;
    this.clash = body.clash;
  }

  /** The message for one field (by its body path, e.g. "outbound.pickupAt"), if the API named it. */
  field(path: string): string | undefined {
    return this.fieldErrors.get(path);
  }
}

function fallbackDetail(status: number): string {
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'Your role may not do this.';
  if (status === 404) return 'It is no longer there. Refresh to see the current state.';
  if (status === 412) return 'Someone changed this since you opened it. It has been refreshed; try again.';
  if (status >= 500) return 'Something went wrong on our side. Try again in a moment.';
  return 'The request was refused.';
}

/** Reads a failed response as a problem (problem+json, or a bare status when the body is something else). */
export async function problemFrom(response: Response): Promise<ApiProblem> {
  let body: Partial<Problem> = {};
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      body = (await response.clone().json()) as typeof body;
    } catch {
      body = {};
    }
  }
  return new ApiProblem(response.status, body);
}

/** A network failure (offline, DNS, CORS): said in words, not as a stack trace. */
export class NetworkProblem extends ApiProblem {
  constructor() {
    super(0, { title: 'No connection', detail: 'The server could not be reached. Check the connection and try again.' });
  }
}
