import createClient, { type Middleware } from 'openapi-fetch';
import type { ApiPaths, DispatcherLeg, Schemas } from './contract';
import { ApiProblem, NetworkProblem, problemFrom } from './problem';

/**
 * The typed client: paths and bodies come from the OpenAPI document, so a changed route fails
 * `tsc`, not a user's click. The middleware adds the access token, and turns every refusal into an
 * ApiProblem that the screens place next to the field (`errors[].path`) or the action.
 */
export type TokenSource = () => Promise<string | null>;

export function createApi(accessToken: TokenSource, onUnauthenticated: () => void = () => {}) {
  const client = createClient<ApiPaths>({ baseUrl: window.location.origin });
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = await accessToken();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    async onResponse({ response }) {
      // A 401 means the session is over (expired, revoked, user disabled): say so once, at the top.
      if (response.status === 401) onUnauthenticated();
      if (!response.ok) throw await problemFrom(response);
      return response;
    },
    onError({ error }) {
      if (error instanceof ApiProblem) return error;
      return new NetworkProblem();
    },
  };
  client.use(auth);
  return client;
}

export type Api = ReturnType<typeof createApi>;

/** The answer's body, or the problem it was refused with (the middleware already threw it). */
export async function data<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const result = await call;
  if (result.data === undefined) throw await problemFrom(result.response);
  return result.data;
}

/** The ETag this API issues for a version; sent back as If-Match so a stale screen cannot overwrite. */
export const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });

/** Every page of a cursor-paged list (legs of a day, drivers). */
export async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  maxPages = 20,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await fetchPage(cursor);
    items.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return items;
}

/**
 * The legs as a Dispatcher reads them. GET /v1/legs answers a shape per role (the Dispatcher's
 * has `riderId`); the console's leg screens are Dispatcher-only, so any other shape is dropped.
 */
export function dispatcherLegs(items: readonly Schemas['Leg'][]): DispatcherLeg[] {
  return items.filter((leg): leg is DispatcherLeg => 'riderId' in leg);
}
