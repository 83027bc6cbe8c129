import { randomUUID } from 'node:crypto';
import type { RouteId } from '../../lambdas/api/routes';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, completeLeg, createContact, createFacility, createFacilityUser, createLeg, createRider, createStaffUser, createStandingOrder,
  createTripRequest, createVehicle, driveLeg, phoneNumber, type UserRow, vehiclePlate,
} from '../support/fixtures';
import { createTestIntake, intakeDuplicates, type IntakeRider } from '../support/intake';

/**
 * SECURITY S2: a caller cannot write what is not theirs to write. For each create/update route
 * not already covered by directory.test.ts and cancellations.test.ts, every caller the route
 * admits sends a valid body plus one field it may not set — the tenant, the submitter, a state,
 * the source, the reference code, an id or version, completion data, a driver, the mileage —
 * and is refused with 422 while nothing is written: no table gains or loses a row and the
 * target row is byte-for-byte the same. The same body without the field then succeeds, so the
 * refusal is the field's doing.
 */
const db = useTestDatabase();
const owner = () => db().owner;

let api: TestApi;
let facilityId: string;
let otherFacilityId: string;
let riderId: string;
let users: { Dispatcher: UserRow; Driver: UserRow; Billing: UserRow; FacilityAdmin: UserRow; FacilityUser: UserRow };
let spareDriver: UserRow;
/** A vehicle no request may slip onto a leg by a field the route does not take. */
let spareVehicleId: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  facilityId = (await createFacility(owner())).id;
  otherFacilityId = (await createFacility(owner())).id;
  const contact = await createContact(owner(), { facilityId });
  users = {
    Dispatcher: await createStaffUser(owner(), 'Dispatcher'),
    Driver: await createStaffUser(owner(), 'Driver'),
    Billing: await createStaffUser(owner(), 'Billing'),
    FacilityAdmin: await createFacilityUser(owner(), 'FacilityAdmin', facilityId),
    FacilityUser: await createFacilityUser(owner(), 'FacilityUser', facilityId, { contactId: contact.id }),
  };
  spareDriver = await createStaffUser(owner(), 'Driver');
  spareVehicleId = (await createVehicle(owner())).id;
  riderId = (await createRider(owner(), { facilityId })).id;
});

// ---- what "nothing is written" means ----------------------------------------------------------------

const TABLES = ['facilities', 'users', 'riders', 'contacts', 'trip_requests', 'trip_legs', 'cancellation_requests',
  'billing_records', 'billing_codes', 'audit_events', 'notification_outbox', 'idempotency_keys', 'vehicles',
  'vehicle_odometer_corrections', 'standing_orders'] as const;
type TargetTable = 'trip_requests' | 'trip_legs' | 'billing_records' | 'billing_codes' | 'riders' | 'vehicles' | 'standing_orders'
  | 'users';

async function snapshot(target?: { table: TargetTable; id: string }) {
  const { rows } = await owner().query<Record<string, number>>(
    `SELECT ${TABLES.map((table) => `(SELECT count(*)::int FROM ${table}) AS ${table}`).join(', ')}`,
  );
  if (!target) return { counts: rows[0] };
  const row = await owner().query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${target.table} t WHERE id = $1`, [target.id]);
  return { counts: rows[0], row: row.rows[0]?.row };
}

// ---- the routes, their targets and valid bodies -----------------------------------------------------------

type Caller = keyof typeof users;

interface Target {
  path: string;
  body: Record<string, unknown>;
  version?: number;
  row?: { table: TargetTable; id: string };
}

interface RouteCase {
  route: RouteId;
  method: 'POST' | 'PATCH' | 'PUT';
  /** Callers the route admits; each tries every forbidden field. */
  callers: Caller[];
  /** A fresh target and a body valid for this caller. */
  target: (caller: Caller) => Promise<Target>;
  forbidden: (caller: Caller) => Record<string, unknown>;
}

/** A value known only once the fixtures exist (the cases are listed before they are). */
class Later {
  constructor(readonly get: () => unknown) {}
}
const later = (get: () => unknown) => new Later(get);
const resolve = (value: unknown) => (value instanceof Later ? value.get() : value);
const otherTenant = later(() => otherFacilityId);
const ownTenant = later(() => facilityId);
const dispatcherSub = later(() => users.Dispatcher.id);
const anotherDriver = later(() => spareDriver.id);
const anotherVehicle = later(() => spareVehicleId);

const SOME_ID = '6f1c7a52-0f4e-4c7e-9d7a-3f0f3b1c2d4e';
const LATER = '2031-09-09T09:09:00Z';

/** Fields every resource carries that no client ever sets. */
const identity = { id: SOME_ID, version: 99, createdAt: LATER, updatedAt: LATER };

const scheduledTrip = () => createTripRequest(owner(), {
  facilityId, riderId, source: 'facility', submittedBy: users.FacilityUser.id, status: 'scheduled',
});
const freshLeg = async () => createLeg(owner(), await scheduledTrip());

/** Fields of a standing order no client sets, beside those every resource carries. */
const seriesOwnership = { submittedBy: dispatcherSub, status: 'active', source: 'dispatcher', rejectionReason: 'none',
  materialisedThrough: '2031-12-31', ...identity };

const CASES: RouteCase[] = [
  {
    route: 'standingOrders.create',
    method: 'POST',
    callers: ['FacilityAdmin', 'FacilityUser', 'Dispatcher'],
    target: async (caller) => ({
      path: '/v1/standing-orders',
      body: { ...(caller === 'Dispatcher' ? { facilityId } : {}), riderId, daysOfWeek: [1, 3, 5], pickupTime: '07:00',
        appointmentTime: '08:00', pickupAddress: '1 Main St', dropoffAddress: '2 Dialysis Centre', startDate: '2031-03-03' },
    }),
    forbidden: (caller) => ({
      ...(caller === 'Dispatcher' ? {} : { facilityId: ownTenant, 'facilityId (another tenant)': otherTenant }),
      ...seriesOwnership,
    }),
  },
  {
    route: 'standingOrders.update',
    method: 'PATCH',
    callers: ['FacilityAdmin', 'FacilityUser', 'Dispatcher'],
    target: async () => {
      const series = await createStandingOrder(owner(), { facilityId, riderId, submittedBy: users.FacilityUser.id, startDate: '2031-03-03' });
      return { path: `/v1/standing-orders/${series.id}`, body: { pickupAddress: '3 Changed St' }, version: series.version,
        row: { table: 'standing_orders', id: series.id } };
    },
    forbidden: () => ({ facilityId: otherTenant, riderId: SOME_ID, ...seriesOwnership }),
  },
  {
    route: 'tripRequests.create',
    method: 'POST',
    callers: ['FacilityAdmin', 'FacilityUser', 'Dispatcher'],
    target: async (caller) => ({
      path: '/v1/trip-requests',
      body: { ...(caller === 'Dispatcher' ? { facilityId } : {}), riderId, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd',
        appointmentAt: '2031-03-01T15:00:00Z' },
    }),
    forbidden: (caller) => ({
      // A facility role may not name even its own facility: the tenant comes from the token.
      ...(caller === 'Dispatcher' ? {} : { facilityId: ownTenant, 'facilityId (another tenant)': otherTenant }),
      submittedBy: dispatcherSub, status: 'scheduled', source: 'intake', referenceCode: 'ABCDE-FGHIJ',
      rejectionReason: 'none', ...identity,
    }),
  },
  {
    route: 'tripRequests.update',
    method: 'PATCH',
    callers: ['FacilityAdmin', 'FacilityUser', 'Dispatcher'],
    target: async () => {
      const trip = await createTripRequest(owner(), { facilityId, riderId, source: 'facility', submittedBy: users.FacilityUser.id });
      return { path: `/v1/trip-requests/${trip.id}`, body: { pickupAddress: '3 Changed St' }, version: trip.version,
        row: { table: 'trip_requests', id: trip.id } };
    },
    forbidden: () => ({
      facilityId: otherTenant, riderId: SOME_ID, submittedBy: dispatcherSub, status: 'scheduled', source: 'intake',
      referenceCode: 'ABCDE-FGHIJ', rejectionReason: 'none', ...identity,
    }),
  },
  {
    route: 'legs.update',
    method: 'PATCH',
    callers: ['Dispatcher'],
    target: async () => {
      const leg = await freshLeg();
      return { path: `/v1/legs/${leg.id}`, body: { pickupAddress: '4 Side Entrance' }, version: leg.version,
        row: { table: 'trip_legs', id: leg.id } };
    },
    forbidden: () => ({
      status: 'assigned', driverId: anotherDriver, vehicleId: anotherVehicle, facilityId: otherTenant, tripRequestId: SOME_ID,
      riderId: SOME_ID, kind: 'return', willCall: true, actualPickupAt: LATER, actualDropoffAt: LATER, odometerStart: 1, odometerEnd: 2,
      mileage: 1, completionNotes: 'done', noShowReason: 'absent', ...identity,
    }),
  },
  {
    route: 'legs.assign',
    method: 'PUT',
    callers: ['Dispatcher'],
    target: async () => {
      const leg = await freshLeg();
      return { path: `/v1/legs/${leg.id}/assignment`, body: { driverId: spareDriver.id, vehicleId: (await createVehicle(owner())).id },
        version: leg.version,
        row: { table: 'trip_legs', id: leg.id } };
    },
    forbidden: () => ({
      status: 'en_route', facilityId: otherTenant, scheduledPickupAt: LATER, pickupAddress: 'Elsewhere', mileage: 1,
      ...identity,
    }),
  },
  {
    route: 'legs.recordStatus',
    method: 'POST',
    callers: ['Driver', 'Dispatcher'],
    target: async () => {
      const leg = await assignLeg(owner(), (await freshLeg()).id, users.Driver.id);
      return { path: `/v1/legs/${leg.id}/status-events`, body: { status: 'en_route' }, version: leg.version,
        row: { table: 'trip_legs', id: leg.id } };
    },
    forbidden: () => ({
      driverId: anotherDriver, vehicleId: anotherVehicle, facilityId: otherTenant, reason: 'only with no_show', actualPickupAt: LATER,
      actualDropoffAt: LATER, odometerStart: 1, odometerEnd: 2, mileage: 1, completionNotes: 'done',
      scheduledPickupAt: LATER, ...identity,
    }),
  },
  {
    route: 'legs.complete',
    method: 'POST',
    callers: ['Driver'],
    target: async () => {
      const leg = await driveLeg(owner(), (await freshLeg()).id, 'picked_up', { driverId: users.Driver.id });
      return {
        path: `/v1/legs/${leg.id}/completion`, version: leg.version, row: { table: 'trip_legs', id: leg.id },
        body: { actualPickupAt: '2031-06-01T09:05:00Z', actualDropoffAt: '2031-06-01T09:40:00Z', odometerStart: 1000,
          odometerEnd: 1012.5 },
      };
    },
    forbidden: () => ({
      mileage: 500, status: 'completed', driverId: anotherDriver, vehicleId: anotherVehicle, facilityId: otherTenant, tripRequestId: SOME_ID,
      riderId: SOME_ID, noShowReason: 'absent', scheduledPickupAt: LATER, completionNotes: 'use notes', ...identity,
    }),
  },
  {
    route: 'billing.transition',
    method: 'POST',
    callers: ['Billing'],
    target: async () => {
      const leg = await completeLeg(owner(), (await freshLeg()).id, users.Driver.id);
      const { rows } = await owner().query<{ id: string; version: number }>(
        'SELECT id, version FROM billing_records WHERE trip_leg_id = $1', [leg.id]);
      const record = rows[0];
      if (!record) throw new Error('completing a leg made no billing record');
      return { path: `/v1/billing-records/${record.id}/transitions`, body: { to: 'ready', amountCents: 4200 },
        version: record.version, row: { table: 'billing_records', id: record.id } };
    },
    forbidden: () => ({
      // Billing can never change completion data, nor the record's own facts.
      mileage: 999, status: 'paid', facilityId: otherTenant, legOutcome: 'no_show', tripLegId: SOME_ID,
      tripRequestId: SOME_ID, heldFrom: 'ready', actualPickupAt: LATER, actualDropoffAt: LATER, odometerStart: 1, odometerEnd: 2,
      driverId: anotherDriver, ...identity,
    }),
  },
  {
    route: 'vehicles.create',
    method: 'POST',
    callers: ['Dispatcher'],
    target: async () => ({
      path: '/v1/vehicles',
      body: { name: 'Van 9', plate: vehiclePlate(), kind: 'minivan',
        capabilities: { ambulatorySeats: 5, wheelchairPositions: 0, bariatric: false, stretcher: false, oxygen: false } },
    }),
    forbidden: () => ({
      // A vehicle starts in service with no reading: its state and odometer have routes of their own.
      status: 'retired', outOfServiceReason: 'none', odometer: 12, facilityId: otherTenant, ambulatorySeats: 9, ...identity,
    }),
  },
  {
    route: 'vehicles.update',
    method: 'PATCH',
    callers: ['Dispatcher'],
    target: async () => {
      const vehicle = await createVehicle(owner(), { odometer: 100 });
      return { path: `/v1/vehicles/${vehicle.id}`, body: { name: 'Van 10' }, version: vehicle.version,
        row: { table: 'vehicles', id: vehicle.id } };
    },
    forbidden: () => ({
      status: 'out_of_service', outOfServiceReason: 'Brakes', odometer: 5, facilityId: otherTenant, oxygen: true, ...identity,
    }),
  },
  {
    route: 'vehicles.transition',
    method: 'POST',
    callers: ['Dispatcher'],
    target: async () => {
      const vehicle = await createVehicle(owner(), { odometer: 100 });
      return { path: `/v1/vehicles/${vehicle.id}/status`, body: { to: 'out_of_service', reason: 'Brakes' }, version: vehicle.version,
        row: { table: 'vehicles', id: vehicle.id } };
    },
    forbidden: () => ({ status: 'retired', odometer: 5, name: 'Renamed', plate: 'X1', outOfServiceReason: 'Tyres', ...identity }),
  },
  {
    route: 'vehicles.correctOdometer',
    method: 'POST',
    callers: ['Dispatcher'],
    target: async () => {
      const vehicle = await createVehicle(owner(), { odometer: 100 });
      return { path: `/v1/vehicles/${vehicle.id}/odometer-corrections`, body: { reading: 90, reason: 'Misread' },
        version: vehicle.version, row: { table: 'vehicles', id: vehicle.id } };
    },
    forbidden: () => ({ odometer: 5, status: 'retired', correctedBy: dispatcherSub, name: 'Renamed', ...identity }),
  },
  {
    route: 'billingCodes.update',
    method: 'PUT',
    callers: ['Billing'],
    target: async () => {
      const { rows } = await owner().query<{ id: string; version: number }>(
        `SELECT id, version FROM billing_codes WHERE level_of_service = 'wheelchair'`);
      const code = rows[0];
      if (!code) throw new Error('billing codes are not seeded');
      return { path: '/v1/billing-codes/wheelchair', version: code.version, row: { table: 'billing_codes', id: code.id },
        body: { baseCode: 'A0130', mileageCode: 'S0209', description: 'Wheelchair van, edited' } };
    },
    forbidden: () => ({
      // The key is the path's; the mapping belongs to no tenant and prices nothing itself.
      levelOfService: 'stretcher', facilityId: otherTenant, amountCents: 100, vehicleKind: 'sedan', ...identity,
    }),
  },
  {
    route: 'riders.merge',
    method: 'POST',
    callers: ['Dispatcher'],
    target: async () => {
      const [original, duplicate] = (await intakeDuplicates(createTestIntake(db().as('intake')), owner(), phoneNumber())) as
        [IntakeRider, IntakeRider];
      return { path: `/v1/riders/${duplicate.id}/merge`, body: { intoRiderId: original.id }, version: duplicate.version,
        row: { table: 'riders', id: duplicate.id } };
    },
    forbidden: () => ({
      // Only the link is the merge's to write: never the tenant, the contact, or the rider's state.
      mergedIntoRiderId: SOME_ID, facilityId: otherTenant, riderId: SOME_ID, notifyChannel: 'email', notifyConsent: false,
      phone: '+15550109999', email: 'someone@example.test', erased: true, smsOptedOut: true, ...identity,
    }),
  },
  {
    route: 'users.changeRole',
    method: 'POST',
    callers: ['Dispatcher'],
    target: async () => {
      const user = await createFacilityUser(owner(), 'FacilityUser', facilityId);
      return { path: `/v1/users/${user.id}/role`, body: { role: 'FacilityAdmin', facilityId }, version: 1, row: { table: 'users', id: user.id } };
    },
    forbidden: () => ({
      // The assignment only: never the address the user signs in with, their name, or whether they may sign in.
      email: 'someone@example.test', displayName: 'Renamed', active: false, disabledAt: LATER, sub: SOME_ID, groups: ['Dispatcher'],
      ...identity,
    }),
  },
];

function send(routeCase: RouteCase, caller: Caller, target: Target, body: Record<string, unknown>) {
  return api.call(routeCase.method, target.path, {
    as: actorOf(users[caller]),
    body,
    headers: {
      ...(target.version !== undefined ? { 'If-Match': `"${target.version}"` } : {}),
      ...(routeCase.method === 'POST' && routeCase.route.endsWith('.create') ? { 'Idempotency-Key': `mass-${randomUUID()}` } : {}),
    },
  });
}

/** `'facilityId (another tenant)'` sends `facilityId` with another value. */
const fieldName = (label: string) => label.split(' ')[0] as string;

describe.each(CASES.map((routeCase) => [routeCase.route, routeCase] as const))('%s', (_route, routeCase) => {
  const attempts = routeCase.callers.flatMap((caller) =>
    Object.entries(routeCase.forbidden(caller)).map(([label, value]) => [caller, label, value] as const));

  // Built lazily: the fixtures exist only once the database does.
  const targets = new Map<Caller, Target>();
  const targetFor = async (caller: Caller) => {
    let target = targets.get(caller);
    if (!target) {
      target = await routeCase.target(caller);
      targets.set(caller, target);
    }
    return target;
  };

  test.each(attempts.map(([caller, label, value]) => [`${caller} sending ${label}`, caller, label, value] as const))(
    '%s is refused with 422 and nothing is written',
    async (_name, caller, label, value) => {
      const target = await targetFor(caller);
      const field = fieldName(label);
      const before = await snapshot(target.row);
      const answer = await send(routeCase, caller, target, { ...target.body, [field]: resolve(value) });
      expect(answer.status).toBe(422);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      // The refusal names the field: as its path, or (unknown keys) in the message about the body.
      expect(JSON.stringify(answer.body.errors ?? [])).toContain(field);
      expect(await snapshot(target.row)).toEqual(before);
    },
  );

  test.each(routeCase.callers)('the same body without the field is accepted from %s', async (caller) => {
    const target = await targetFor(caller);
    const answer = await send(routeCase, caller, target, target.body);
    expect(answer.status).toBeLessThan(300);
  });
});

test('every route of this file is a create or update route of the table', () => {
  const covered = CASES.map((routeCase) => routeCase.route).sort();
  expect(covered).toEqual(['billing.transition', 'billingCodes.update', 'legs.assign', 'legs.complete', 'legs.recordStatus',
    'legs.update', 'riders.merge', 'standingOrders.create', 'standingOrders.update', 'tripRequests.create', 'tripRequests.update',
    'users.changeRole', 'vehicles.correctOdometer', 'vehicles.create', 'vehicles.transition', 'vehicles.update']);
});
