import type { components, paths } from './schema';

/**
 * The API the console and the request page call: names for the generated OpenAPI types
 * (`npm run api:types` → schema.d.ts, from the route table). Only aliases live here, never a
 * hand-written shape: a changed route changes schema.d.ts, and `tsc` then fails where a screen
 * relies on the old one. Nothing else in web/ may invent API shapes either.
 */
export type Schemas = components['schemas'];
export type ApiPaths = paths;

export type Mobility = Schemas['TripRequest']['mobility'];
export type LegStatus = Schemas['Leg']['status'];
export type TripStatus = Schemas['TripRequest']['status'];
export type Role = Schemas['Me']['role'];
export type Me = Schemas['Me'];
export type User = Schemas['User'];
export type Rider = Schemas['Rider'];
export type CancellationRequest = Schemas['CancellationRequest'];
export type Vehicle = Schemas['Vehicle'];
export type AuditEvent = Schemas['TripHistory']['events'][number];
export type Problem = Schemas['Problem'];

/** A trip request; `rider` is present with `include=rider`. */
export type TripRequest = Schemas['TripRequest'];
/** A leg as a Dispatcher reads it (the variant with `riderId`); `rider` with `include=rider`. */
export type DispatcherLeg = Extract<Schemas['Leg'], { riderId: string }>;
/** A leg as a Driver reads it: the minimum to do the job (the variant with `riderName`). */
export type DriverLeg = Extract<Schemas['Leg'], { riderName: string | null }>;
/** One tap on the driver's phone: en route, arrived, picked up, or no-show with a reason. */
export type LegStatusEventBody = Schemas['LegStatusEventBody'];
export type CompletionBody = Schemas['CompletionBody'];
/** Another rider with the same phone (GET /v1/riders/{riderId}/duplicates). */
export type RiderDuplicate = Schemas['RiderDuplicates']['items'][number];
/** The driver's leg a refused double booking overlaps (409 driver-double-booked, Dispatchers). */
export type LegClash = NonNullable<Problem['clash']>;

/** A standing order (a recurring series for one rider); its times are wall-clock times in the provider's zone. */
export type StandingOrder = Schemas['StandingOrder'];
export type StandingOrderStatus = StandingOrder['status'];
/** The next occurrences of a series, computed (GET /v1/standing-orders/{standingOrderId}/preview). */
export type Occurrence = Schemas['StandingOrderPreview']['occurrences'][number];
/** An occurrence a change left as it was, and why (someone had touched its trip). */
export type LeftAlone = Schemas['StandingOrderChanged']['leftAlone'][number];
export type Facility = Schemas['Facility'];

export type IntakeChallenge = Schemas['IntakeChallenge'];
export type IntakeBody = Schemas['IntakeBody'];
export type IntakeReceipt = Schemas['IntakeReceipt'];

/** A billing record (one per completed or no-show leg) and the lifecycle states the desk lists. */
export type BillingRecord = Schemas['BillingRecord'];
export type BillingStatus = BillingRecord['status'];
export type LevelOfService = NonNullable<BillingRecord['levelOfService']>;
/** The body of POST /v1/billing-records/{billingRecordId}/transitions. */
export type BillingTransition = Schemas['BillingTransitionBody'];
