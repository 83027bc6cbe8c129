import type { components, operations, paths } from './schema';

/**
 * The API the console calls: the generated OpenAPI types (`npm run api:types` → schema.d.ts),
 * plus the issue-12 contract items the route table does not describe yet.
 *
 * PENDING CONTRACT — remove each override below once `npm run api:types` generates it (the
 * backend helpers are adding them in parallel; see contract-issue12.md items 1, 6–10). This is
 * the one place such types live; nothing else in web/ may invent API shapes.
 */
export type Schemas = components['schemas'];

export type Mobility = Schemas['TripRequest']['mobility'];
export type LegStatus = Schemas['LegPage']['items'][number]['status'];
export type TripStatus = Schemas['TripRequest']['status'];
export type Role = Schemas['Me']['role'];
export type User = Schemas['User'];
export type Rider = Schemas['Rider'] & { /** PENDING item 6 */ mergedIntoRiderId?: string | null };
export type CancellationRequest = Schemas['CancellationRequest'];
export type AuditEvent = Schemas['TripHistory']['events'][number];
export type Problem = Schemas['Problem'];

/** PENDING item 7: `include=rider`. */
export interface RiderSummary {
  fullName: string | null;
  phone: string | null;
  mobility: Mobility;
}
export type TripRequest = Schemas['TripRequest'] & { rider?: RiderSummary };

type GeneratedDispatcherLeg = Extract<Schemas['LegPage']['items'][number], { riderId: string }>;
/** PENDING items 7–8: `referenceCode` on every dispatcher leg, `rider` with include=rider. */
export type DispatcherLeg = GeneratedDispatcherLeg & { referenceCode?: string; rider?: RiderSummary };

/** PENDING item 10: the provider's name and zone for every role. */
export type Me = Schemas['Me'] & { provider?: { name: string; timeZone: string } };

/** PENDING item 6. */
export interface RiderDuplicate {
  id: string;
  facilityId: string;
  createdAt: string;
  tripCount: number;
}

/** PENDING item 9: the 409 driver-double-booked extension member, for Dispatchers. */
export interface LegClash {
  legId: string;
  tripRequestId: string;
  referenceCode: string;
  scheduledPickupAt: string;
  scheduledDropoffAt: string;
}

/** PENDING item 1. */
export interface IntakeChallenge {
  algorithm: 'SHA-256';
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}
/** PENDING item 2: the solved ALTCHA payload (base64 JSON), required. */
export type IntakeBody = Schemas['IntakeBody'] & { altcha: string };
export type IntakeReceipt = Schemas['IntakeReceipt'];

// ---- path overrides for openapi-fetch --------------------------------------------------------

type Json<T> = { 'application/json': T };
type Ok<T> = { headers: { [name: string]: unknown }; content: Json<T> };
type Page<T> = { items: T[]; nextCursor: string | null };
type ProblemResponse = { headers: { [name: string]: unknown }; content: { 'application/problem+json': Problem } };

type WithQuery<Op extends { parameters: { query?: unknown } }, Extra> = Omit<Op, 'parameters'> & {
  parameters: Omit<Op['parameters'], 'query'> & { query?: NonNullable<Op['parameters']['query']> & Extra };
};
type WithOk<Op extends { responses: object }, T> = Omit<Op, 'responses'> & {
  responses: Omit<Op['responses'], 200> & { 200: Ok<T> };
};
type NoParams = { query?: never; header?: never; path?: never; cookie?: never };

type LegsList = WithOk<WithQuery<operations['legs.list'], { date?: string; include?: 'rider' }>, Page<DispatcherLeg>>;
type TripsList = WithOk<
  WithQuery<operations['tripRequests.list'], { order?: 'newest' | 'oldest'; include?: 'rider' }>,
  Page<TripRequest>
>;

type Overridden =
  | '/v1/legs' | '/v1/trip-requests' | '/v1/me'
  | '/v1/riders/{riderId}/duplicates' | '/v1/riders/{riderId}/merge' | '/v1/intake/challenge';

export type ApiPaths = Omit<paths, Overridden> & {
  '/v1/legs': Omit<paths['/v1/legs'], 'get'> & { get: LegsList };
  '/v1/trip-requests': Omit<paths['/v1/trip-requests'], 'get'> & { get: TripsList };
  '/v1/me': Omit<paths['/v1/me'], 'get'> & { get: WithOk<operations['me.get'], Me> };
  '/v1/riders/{riderId}/duplicates': {
    parameters: NoParams;
    get: {
      parameters: { query?: never; header?: never; path: { riderId: string }; cookie?: never };
      requestBody?: never;
      responses: { 200: Ok<{ items: RiderDuplicate[] }>; 403: ProblemResponse; 404: ProblemResponse };
    };
  };
  '/v1/riders/{riderId}/merge': {
    parameters: NoParams;
    post: {
      parameters: { query?: never; header?: { 'If-Match'?: string }; path: { riderId: string }; cookie?: never };
      requestBody: { content: Json<{ intoRiderId: string }> };
      responses: { 200: Ok<Rider>; 409: ProblemResponse; 412: ProblemResponse; 422: ProblemResponse };
    };
  };
  '/v1/intake/challenge': {
    parameters: NoParams;
    get: {
      parameters: NoParams;
      requestBody?: never;
      responses: { 200: Ok<IntakeChallenge> };
    };
  };
};
