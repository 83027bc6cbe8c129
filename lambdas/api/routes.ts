import type { z } from 'zod';
import type { Role } from '../shared/tenancy/actor';
import {
  AuditVerification, BillingCode, BillingCodeList, BillingCodeParams, BillingCodeUpdate, BillingExportQuery, BillingListQuery, BillingParams, BillingRecord, BillingTransitionBody, Contact,
  ContactCreate, ContactListQuery, ContactParams, ContactUpdate, Facility,
  FacilityCreate, FacilityListQuery, FacilityParams, FacilityUpdate, Me, Rider, RiderCreate,
  RiderDuplicates, RiderExport, RiderListQuery, RiderMergeBody, RiderParams, RiderUpdate, User, UserCreate, UserListQuery, UserParams, UserRoleChange,
} from './schemas/admin';
import { NoBody, page } from './schemas/common';
import {
  AssignmentBody, CancelBody, CancellationDecisionBody, CancellationDenyBody, CancellationListQuery, CancellationParams,
  CancellationRequest, CancellationRequestCreate, CompletionBody, Leg, LegListQuery, LegParams, LegStatusEventBody,
  LegUpdate, RejectBody, ScheduleBody, TripHistory, TripRequest, TripRequestCreate, TripRequestListQuery,
  TripRequestParams, TripRequestUpdate,
} from './schemas/trips';
import {
  OdometerCorrectionBody, Vehicle, VehicleCreate, VehicleListQuery, VehicleParams, VehicleTransitionBody, VehicleUpdate,
} from './schemas/vehicles';
import {
  StandingOrder, StandingOrderAcceptBody, StandingOrderChanged, StandingOrderCreate, StandingOrderListQuery, StandingOrderParams,
  StandingOrderPreview, StandingOrderPreviewQuery, StandingOrderSkipBody, StandingOrderUpdate,
} from './schemas/standing-orders';
import { intakeRoutes } from './intake-routes';
import { route } from './route-types';

/**
 * The route table (PRODUCT.md §3). Every consumer — the Lambda router, `npm run openapi`, the
 * authorization-matrix test and the CDK API construct — reads these declarations.
 */
const ALL: readonly Role[] = ['Dispatcher', 'Driver', 'Billing', 'FacilityAdmin', 'FacilityUser'];
const TRIP_READERS: readonly Role[] = ['Dispatcher', 'Billing', 'FacilityAdmin', 'FacilityUser'];
const TRIP_WRITERS: readonly Role[] = ['Dispatcher', 'FacilityAdmin', 'FacilityUser'];
/** The contacts' readers, as their row-level policies allow (facility roles their own facility's). */
const CONTACT_READERS: readonly Role[] = ['Dispatcher', 'Billing', 'FacilityAdmin', 'FacilityUser'];
const LEG_READERS: readonly Role[] = ['Dispatcher', 'Driver', 'FacilityAdmin', 'FacilityUser'];
/** Vehicles are staff data, like staff users: facility roles never see them. */
const STAFF: readonly Role[] = ['Dispatcher', 'Driver', 'Billing'];


const api = { function: 'api', access: 'authenticated' } as const;
/** User management: its own function, the only one allowed to administer the user pool. */
const users = { function: 'users', access: 'authenticated' } as const;

export const routes = [
  route({ ...api, id: 'me.get', method: 'GET', path: '/v1/me', summary: 'Who am I', roles: ALL, response: Me, successStatus: 200 }),

  // Trip requests
  route({ ...api, id: 'tripRequests.create', method: 'POST', path: '/v1/trip-requests', summary: 'Create a trip request',
    roles: TRIP_WRITERS, body: TripRequestCreate, response: TripRequest, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'tripRequests.list', method: 'GET', path: '/v1/trip-requests', summary: 'List trip requests, newest first',
    roles: TRIP_READERS, query: TripRequestListQuery, response: page(TripRequest), successStatus: 200 }),
  route({ ...api, id: 'tripRequests.get', method: 'GET', path: '/v1/trip-requests/{tripRequestId}', summary: 'Read a trip request',
    roles: TRIP_READERS, params: TripRequestParams, response: TripRequest, successStatus: 200 }),
  route({ ...api, id: 'tripRequests.update', method: 'PATCH', path: '/v1/trip-requests/{tripRequestId}',
    summary: 'Edit a trip request before it is scheduled', roles: TRIP_WRITERS, params: TripRequestParams,
    body: TripRequestUpdate, response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.schedule', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/schedule',
    summary: 'Schedule: create the legs with their times', roles: ['Dispatcher'], params: TripRequestParams,
    body: ScheduleBody, response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.reject', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/reject',
    summary: 'Reject a requested trip', roles: ['Dispatcher'], params: TripRequestParams, body: RejectBody,
    response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.cancel', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/cancel',
    summary: 'Cancel a trip directly (dispatcher)', roles: ['Dispatcher'], params: TripRequestParams, body: CancelBody,
    response: TripRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'tripRequests.history', method: 'GET', path: '/v1/trip-requests/{tripRequestId}/history',
    summary: "A trip's audited history", roles: TRIP_READERS, params: TripRequestParams, response: TripHistory,
    successStatus: 200 }),

  // Standing orders (recurring trips): facility roles for their own series, Dispatchers for any; only Dispatchers accept or reject.
  route({ ...api, id: 'standingOrders.create', method: 'POST', path: '/v1/standing-orders',
    summary: 'Ask for a standing order (recurring trips); it starts pending', roles: TRIP_WRITERS, body: StandingOrderCreate,
    response: StandingOrder, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'standingOrders.list', method: 'GET', path: '/v1/standing-orders', summary: 'List standing orders, newest first',
    roles: TRIP_READERS, query: StandingOrderListQuery, response: page(StandingOrder), successStatus: 200 }),
  route({ ...api, id: 'standingOrders.get', method: 'GET', path: '/v1/standing-orders/{standingOrderId}',
    summary: 'Read a standing order', roles: TRIP_READERS, params: StandingOrderParams, response: StandingOrder, successStatus: 200 }),
  route({ ...api, id: 'standingOrders.update', method: 'PATCH', path: '/v1/standing-orders/{standingOrderId}',
    summary: 'Edit a standing order: future trips nobody has touched follow; the answer lists those left alone',
    roles: TRIP_WRITERS, params: StandingOrderParams, body: StandingOrderUpdate, response: StandingOrderChanged, successStatus: 200,
    conditional: true }),
  route({ ...api, id: 'standingOrders.accept', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/accept',
    summary: 'Accept (optionally adjusting its times): its trips are made for the horizon', roles: ['Dispatcher'],
    params: StandingOrderParams, body: StandingOrderAcceptBody, response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.reject', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/reject',
    summary: 'Reject a pending standing order with a reason', roles: ['Dispatcher'], params: StandingOrderParams, body: RejectBody,
    response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.pause', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/pause',
    summary: 'Pause: future trips nobody has touched are cancelled; the answer lists those left alone', roles: TRIP_WRITERS,
    params: StandingOrderParams, body: NoBody, response: StandingOrderChanged, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.resume', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/resume',
    summary: 'Resume a paused standing order: its trips are made again', roles: TRIP_WRITERS, params: StandingOrderParams,
    body: NoBody, response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.skip', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/skips',
    summary: "Skip one day: its trip is cancelled (the rider told) and the day excluded", roles: TRIP_WRITERS,
    params: StandingOrderParams, body: StandingOrderSkipBody, response: StandingOrder, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.end', method: 'POST', path: '/v1/standing-orders/{standingOrderId}/end',
    summary: 'End for good: future trips nobody has touched are cancelled; the answer lists those left alone', roles: TRIP_WRITERS,
    params: StandingOrderParams, body: NoBody, response: StandingOrderChanged, successStatus: 200, conditional: true }),
  route({ ...api, id: 'standingOrders.preview', method: 'GET', path: '/v1/standing-orders/{standingOrderId}/preview',
    summary: 'The next occurrences (dates and times), computed; nothing is written', roles: TRIP_READERS,
    params: StandingOrderParams, query: StandingOrderPreviewQuery, response: StandingOrderPreview, successStatus: 200 }),

  // Cancellation requests
  route({ ...api, id: 'cancellations.create', method: 'POST', path: '/v1/trip-requests/{tripRequestId}/cancellation-requests',
    summary: 'Ask for a trip to be cancelled', roles: TRIP_WRITERS, params: TripRequestParams,
    body: CancellationRequestCreate, response: CancellationRequest, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'cancellations.list', method: 'GET', path: '/v1/cancellation-requests',
    summary: 'List cancellation requests', roles: TRIP_WRITERS, query: CancellationListQuery,
    response: page(CancellationRequest), successStatus: 200 }),
  route({ ...api, id: 'cancellations.approve', method: 'POST', path: '/v1/cancellation-requests/{cancellationRequestId}/approve',
    summary: "Approve: cancels the trip and its open legs", roles: ['Dispatcher'], params: CancellationParams,
    body: CancellationDecisionBody, response: CancellationRequest, successStatus: 200, conditional: true }),
  route({ ...api, id: 'cancellations.deny', method: 'POST', path: '/v1/cancellation-requests/{cancellationRequestId}/deny',
    summary: 'Deny with a reason', roles: ['Dispatcher'], params: CancellationParams, body: CancellationDenyBody,
    response: CancellationRequest, successStatus: 200, conditional: true }),

  // Legs
  route({ ...api, id: 'legs.list', method: 'GET', path: '/v1/legs', summary: 'List legs by pickup time (scoped per role)',
    roles: LEG_READERS, query: LegListQuery, response: page(Leg), successStatus: 200 }),
  route({ ...api, id: 'legs.get', method: 'GET', path: '/v1/legs/{legId}', summary: 'Read a leg (fields per role)',
    roles: LEG_READERS, params: LegParams, response: Leg, successStatus: 200 }),
  route({ ...api, id: 'legs.update', method: 'PATCH', path: '/v1/legs/{legId}', summary: 'Set times or addresses (e.g. a will-call return)',
    roles: ['Dispatcher'], params: LegParams, body: LegUpdate, response: Leg, successStatus: 200, conditional: true }),
  route({ ...api, id: 'legs.assign', method: 'PUT', path: '/v1/legs/{legId}/assignment', summary: 'Assign a driver and a vehicle',
    roles: ['Dispatcher'], params: LegParams, body: AssignmentBody, response: Leg, successStatus: 200, conditional: true }),
  route({ ...api, id: 'legs.unassign', method: 'DELETE', path: '/v1/legs/{legId}/assignment', summary: 'Unassign the driver and the vehicle',
    roles: ['Dispatcher'], params: LegParams, response: Leg, successStatus: 200, conditional: true }),
  route({ ...api, id: 'legs.recordStatus', method: 'POST', path: '/v1/legs/{legId}/status-events',
    summary: 'Record en route, arrived, picked up or no-show', roles: ['Dispatcher', 'Driver'], params: LegParams,
    body: LegStatusEventBody, response: Leg, successStatus: 200, conditional: true, idempotent: true }),
  route({ ...api, id: 'legs.complete', method: 'POST', path: '/v1/legs/{legId}/completion',
    summary: 'Submit completion: actual times, odometer, notes', roles: ['Driver'], params: LegParams,
    body: CompletionBody, response: Leg, successStatus: 200, conditional: true, idempotent: true }),

  // Vehicles
  route({ ...api, id: 'vehicles.list', method: 'GET', path: '/v1/vehicles', summary: 'List vehicles by name',
    roles: STAFF, query: VehicleListQuery, response: page(Vehicle), successStatus: 200 }),
  route({ ...api, id: 'vehicles.get', method: 'GET', path: '/v1/vehicles/{vehicleId}', summary: 'Read a vehicle',
    roles: STAFF, params: VehicleParams, response: Vehicle, successStatus: 200 }),
  route({ ...api, id: 'vehicles.create', method: 'POST', path: '/v1/vehicles', summary: 'Add a vehicle to the fleet',
    roles: ['Dispatcher'], body: VehicleCreate, response: Vehicle, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'vehicles.update', method: 'PATCH', path: '/v1/vehicles/{vehicleId}',
    summary: "Change a vehicle's name, plate, kind or capabilities", roles: ['Dispatcher'], params: VehicleParams,
    body: VehicleUpdate, response: Vehicle, successStatus: 200, conditional: true }),
  route({ ...api, id: 'vehicles.transition', method: 'POST', path: '/v1/vehicles/{vehicleId}/status',
    summary: 'Take a vehicle out of service (with a reason), back into service, or retire it', roles: ['Dispatcher'],
    params: VehicleParams, body: VehicleTransitionBody, response: Vehicle, successStatus: 200, conditional: true }),
  route({ ...api, id: 'vehicles.correctOdometer', method: 'POST', path: '/v1/vehicles/{vehicleId}/odometer-corrections',
    summary: "Correct a vehicle's last odometer reading, with a reason (audited with old and new)", roles: ['Dispatcher'],
    params: VehicleParams, body: OdometerCorrectionBody, response: Vehicle, successStatus: 200, conditional: true }),

  // Billing
  route({ ...api, id: 'billing.list', method: 'GET', path: '/v1/billing-records', summary: 'List billing records',
    roles: ['Billing'], query: BillingListQuery, response: page(BillingRecord), successStatus: 200 }),
  route({ ...api, id: 'billing.export', method: 'GET', path: '/v1/billing-records/export', summary: 'Export billing records as CSV',
    roles: ['Billing'], query: BillingExportQuery, successStatus: 200, produces: 'text/csv' }),
  route({ ...api, id: 'billing.get', method: 'GET', path: '/v1/billing-records/{billingRecordId}', summary: 'Read a billing record',
    roles: ['Billing'], params: BillingParams, response: BillingRecord, successStatus: 200 }),
  route({ ...api, id: 'billing.transition', method: 'POST', path: '/v1/billing-records/{billingRecordId}/transitions',
    summary: 'Move a billing record to its next state', roles: ['Billing'], params: BillingParams,
    body: BillingTransitionBody, response: BillingRecord, successStatus: 200, conditional: true }),
  route({ ...api, id: 'billingCodes.list', method: 'GET', path: '/v1/billing-codes',
    summary: 'HCPCS base and mileage codes by level of service', roles: ['Billing', 'Dispatcher'], response: BillingCodeList,
    successStatus: 200 }),
  route({ ...api, id: 'billingCodes.update', method: 'PUT', path: '/v1/billing-codes/{levelOfService}',
    summary: "Set a level of service's codes (every later CSV export uses them)", roles: ['Billing'], params: BillingCodeParams,
    body: BillingCodeUpdate, response: BillingCode, successStatus: 200, conditional: true, ifMatchRequired: true }),

  // Facilities, riders, users
  route({ ...api, id: 'facilities.list', method: 'GET', path: '/v1/facilities', summary: 'List tenants',
    roles: ['Dispatcher'], query: FacilityListQuery, response: page(Facility), successStatus: 200 }),
  route({ ...api, id: 'facilities.create', method: 'POST', path: '/v1/facilities', summary: 'Create a tenant',
    roles: ['Dispatcher'], body: FacilityCreate, response: Facility, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'facilities.get', method: 'GET', path: '/v1/facilities/{facilityId}', summary: 'Read a tenant',
    roles: ['Dispatcher', 'FacilityAdmin', 'FacilityUser'], params: FacilityParams, response: Facility, successStatus: 200 }),
  route({ ...api, id: 'facilities.update', method: 'PATCH', path: '/v1/facilities/{facilityId}', summary: 'Change a tenant',
    roles: ['Dispatcher'], params: FacilityParams, body: FacilityUpdate, response: Facility, successStatus: 200,
    conditional: true }),
  route({ ...api, id: 'contacts.list', method: 'GET', path: '/v1/contacts', summary: "List facility contacts (case managers, nurses)",
    roles: CONTACT_READERS, query: ContactListQuery, response: page(Contact), successStatus: 200 }),
  route({ ...api, id: 'contacts.create', method: 'POST', path: '/v1/contacts', summary: 'Add a facility contact',
    roles: ['Dispatcher', 'FacilityAdmin'], body: ContactCreate, response: Contact, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'contacts.get', method: 'GET', path: '/v1/contacts/{contactId}', summary: 'Read a facility contact',
    roles: CONTACT_READERS, params: ContactParams, response: Contact, successStatus: 200 }),
  route({ ...api, id: 'contacts.update', method: 'PATCH', path: '/v1/contacts/{contactId}', summary: 'Change a facility contact',
    roles: ['Dispatcher', 'FacilityAdmin'], params: ContactParams, body: ContactUpdate, response: Contact, successStatus: 200,
    conditional: true }),
  route({ ...api, id: 'riders.list', method: 'GET', path: '/v1/riders', summary: 'List riders',
    roles: TRIP_WRITERS, query: RiderListQuery, response: page(Rider), successStatus: 200 }),
  route({ ...api, id: 'riders.create', method: 'POST', path: '/v1/riders', summary: 'Register a rider',
    roles: TRIP_WRITERS, body: RiderCreate, response: Rider, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'riders.get', method: 'GET', path: '/v1/riders/{riderId}', summary: 'Read a rider',
    roles: TRIP_WRITERS, params: RiderParams, response: Rider, successStatus: 200 }),
  route({ ...api, id: 'riders.update', method: 'PATCH', path: '/v1/riders/{riderId}', summary: 'Change a rider',
    roles: TRIP_WRITERS, params: RiderParams, body: RiderUpdate, response: Rider, successStatus: 200, conditional: true }),
  // Data-subject rights (docs/security/encryption.md): dispatchers for any tenant, facility admins for their own.
  route({ ...api, id: 'riders.erase', method: 'POST', path: '/v1/riders/{riderId}/erasure',
    summary: "Erase a rider's personal data (destroys the rider's key; trips, billing and audit stay)",
    roles: ['Dispatcher', 'FacilityAdmin'], params: RiderParams, response: Rider, successStatus: 200, conditional: true }),
  route({ ...api, id: 'riders.export', method: 'GET', path: '/v1/riders/{riderId}/export',
    summary: 'Everything held about a rider, as JSON (audited)', roles: ['Dispatcher', 'FacilityAdmin'], params: RiderParams,
    response: RiderExport, successStatus: 200, auditedRead: true }),
  // Duplicates from the public intake (every submission is its own rider): a Dispatcher links them.
  route({ ...api, id: 'riders.duplicates', method: 'GET', path: '/v1/riders/{riderId}/duplicates',
    summary: 'Other private-pay riders with the same phone, not merged', roles: ['Dispatcher'], params: RiderParams,
    response: RiderDuplicates, successStatus: 200 }),
  route({ ...api, id: 'riders.merge', method: 'POST', path: '/v1/riders/{riderId}/merge',
    summary: 'Record this rider as a duplicate of another (a link, audited in both tenants; nothing moves)',
    roles: ['Dispatcher'], params: RiderParams, body: RiderMergeBody, response: Rider, successStatus: 200, conditional: true,
    ifMatchRequired: true }),
  route({ ...api, id: 'users.list', method: 'GET', path: '/v1/users', summary: 'List users',
    roles: ['Dispatcher', 'FacilityAdmin'], query: UserListQuery, response: page(User), successStatus: 200 }),
  route({ ...users, id: 'users.create', method: 'POST', path: '/v1/users', summary: 'Invite a user with one role',
    roles: ['Dispatcher', 'FacilityAdmin'], body: UserCreate, response: User, successStatus: 201, idempotent: true }),
  route({ ...users, id: 'users.disable', method: 'POST', path: '/v1/users/{userId}/disable',
    summary: 'Disable a user and sign them out everywhere', roles: ['Dispatcher', 'FacilityAdmin'], params: UserParams,
    body: NoBody, response: User, successStatus: 200 }),
  route({ ...users, id: 'users.enable', method: 'POST', path: '/v1/users/{userId}/enable',
    summary: 'Let a disabled user sign in again (once every token from before the disable has expired)',
    roles: ['Dispatcher', 'FacilityAdmin'], params: UserParams, body: NoBody, response: User, successStatus: 200 }),
  route({ ...users, id: 'users.changeRole', method: 'POST', path: '/v1/users/{userId}/role',
    summary: "Change a user's role, facility or contact (audited; the user's older tokens are refused from the next request)",
    roles: ['Dispatcher'], params: UserParams, body: UserRoleChange, response: User, successStatus: 200, conditional: true,
    ifMatchRequired: true }),

  // Audit
  route({ ...api, id: 'audit.verify', method: 'GET', path: '/v1/audit/verification',
    summary: 'Verify every audit hash chain', roles: ['Dispatcher'], response: AuditVerification, successStatus: 200 }),

  // Public intake: its own Lambda and database role, write-only (declared in intake-routes.ts).
  ...intakeRoutes,
] as const;

export type Route = (typeof routes)[number];
export type RouteId = Route['id'];
export type RouteById<Id extends RouteId> = Extract<Route, { id: Id }>;

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;
export type RouteParams<R> = R extends { params: infer S } ? Infer<S> : Record<string, never>;
export type RouteQuery<R> = R extends { query: infer S } ? Infer<S> : Record<string, never>;
export type RouteBody<R> = R extends { body: infer S } ? Infer<S> : undefined;
