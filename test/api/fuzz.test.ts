import fc from 'fast-check';
import type { z } from 'zod';
import { MAX_BODY_BYTES } from '../../lambdas/api/limits';
import { type Route, type RouteId, routes } from '../../lambdas/api/routes';
import type { Database } from '../../lambdas/shared/db/port';
import { logger } from '../../lambdas/shared/log';
import type { Role } from '../../lambdas/shared/tenancy/actor';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, completeLeg, createCancellationRequest, createContact, createFacility, createFacilityUser, createLeg,
  createRider, createStaffUser, createStandingOrder, createTripRequest, createVehicle, driveLeg, phoneNumber, type StandingOrderRow,
  type UserRow, vehiclePlate,
} from '../support/fixtures';
import { createTestIntake, intakeBody, intakeDuplicates, type IntakeRider, type TestIntake } from '../support/intake';

/**
 * SECURITY S16: generated input for every route — arbitrary JSON, deep nesting, bodies near the
 * 64 KB limit, unicode, prototype-pollution keys, and mutations of a valid body (fields dropped,
 * wrong types, boundary lengths, impossible dates, SQL metacharacters); query strings and path
 * parameters for every route that has them. Whatever arrives, the answer is never a 5xx, every
 * refusal is application/problem+json with status/title/type, and nothing internal leaks.
 *
 * Every request runs against one tenant world through a database wrapper that rolls each
 * transaction back, so a valid generated body meets the same rows every time and walks the
 * handler's whole path (the handler still runs in its one real transaction).
 */
const RUNS = 1_000;
const db = useTestDatabase();

class RolledBack {
  constructor(readonly value: unknown) {}
}

/**
 * The real database, but nothing a request does is ever committed; what the caller would have
 * built while committing is built after the rollback instead.
 */
function rollingBack(database: Database): Database {
  const transaction: Database['transaction'] = async (work, options) => {
    const { whileCommitting, ...rest } = options ?? {};
    try {
      await database.transaction(async (tx) => {
        throw new RolledBack(await work(tx));
      }, rest);
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error;
      return (whileCommitting ? whileCommitting(error.value as never) : error.value) as never;
    }
    throw new Error('unreachable: the work always rolls back');
  };
  return { transaction, query: (sql, params) => transaction((tx) => tx.query(sql, params)), close: async () => {} };
}

// ---- the world --------------------------------------------------------------------------------

interface World {
  facilityId: string;
  contactId: string;
  users: Record<Role, UserRow>;
  colleague: UserRow;
  spareDriver: UserRow;
  riderId: string;
  riderVersion: number;
  /** A rider with no trips still to be carried out: one that may be erased. */
  erasable: { id: string; version: number };
  /** A rider with no open trips: erasure refuses a rider whose trips still need their details. */
  erasableRiderId: string;
  facilityVersion: number;
  requestedTrip: { id: string; version: number };
  cancellation: { id: string };
  unassignedLeg: { id: string; version: number };
  assignedLeg: { id: string; version: number };
  pickedUpLeg: { id: string; version: number };
  billingRecordId: string;
  /** In service, serving every level of service, with a reading; free for any leg of the world. */
  vehicle: { id: string; version: number };
  /** A solved intake challenge: every run rolls back, so it is never spent for good. */
  altcha: string;
  /** Two private-pay riders from the intake with one phone: a duplicate and the rider it repeats. */
  duplicate: IntakeRider;
  original: IntakeRider;
  /** Standing orders the FacilityUser submitted: one of each state a route acts on. */
  series: { pending: StandingOrderRow; active: StandingOrderRow; paused: StandingOrderRow };
}

let world: World;
let api: TestApi;
let intake: TestIntake;
const tokens = new Map<Role, string>();

async function buildWorld(): Promise<World> {
  const owner = db().owner;
  const facility = await createFacility(owner, { notifyDriverEnRoute: true });
  const contact = await createContact(owner, { facilityId: facility.id });
  const users: Record<Role, UserRow> = {
    Dispatcher: await createStaffUser(owner, 'Dispatcher'),
    Driver: await createStaffUser(owner, 'Driver'),
    Billing: await createStaffUser(owner, 'Billing'),
    FacilityAdmin: await createFacilityUser(owner, 'FacilityAdmin', facility.id),
    FacilityUser: await createFacilityUser(owner, 'FacilityUser', facility.id, { contactId: contact.id }),
  };
  const colleague = await createFacilityUser(owner, 'FacilityUser', facility.id);
  const spareDriver = await createStaffUser(owner, 'Driver');
  const rider = await createRider(owner, { facilityId: facility.id });
  const erasable = await createRider(owner, { facilityId: facility.id });
  const submitted = { facilityId: facility.id, riderId: rider.id, source: 'facility' as const, submittedBy: users.FacilityUser.id };
  const requestedTrip = await createTripRequest(owner, submitted);
  const cancellable = await createTripRequest(owner, submitted);
  const cancellation = await createCancellationRequest(owner, { trip: cancellable, requestedBy: users.FacilityUser.id });
  const legOf = async () => createLeg(owner, await createTripRequest(owner, { ...submitted, status: 'scheduled' }));
  const unassignedLeg = await legOf();
  const assignedLeg = await assignLeg(owner, (await legOf()).id, users.Driver.id);
  const pickedUpLeg = await driveLeg(owner, (await legOf()).id, 'picked_up', { driverId: users.Driver.id });
  const completed = await completeLeg(owner, (await legOf()).id, users.Driver.id);
  const vehicle = await createVehicle(owner, { odometer: 900 });
  const { rows: billing } = await owner.query<{ id: string }>('SELECT id FROM billing_records WHERE trip_leg_id = $1', [completed.id]);
  const { rows: versions } = await owner.query<{ rider: number; facility: number; erasable: number }>(
    `SELECT (SELECT version FROM riders WHERE id = $1) AS rider, (SELECT version FROM facilities WHERE id = $2) AS facility,
            (SELECT version FROM riders WHERE id = $3) AS erasable`,
    [rider.id, facility.id, erasable.id],
  );
  // Committed, so the provider-level intake key exists before the rolled-back runs use it.
  const committedIntake = createTestIntake(db().as('intake'));
  const [original, duplicate] = (await intakeDuplicates(committedIntake, owner, phoneNumber())) as [IntakeRider, IntakeRider];
  const altcha = await committedIntake.solvedChallenge();
  const seriesIn = (status: 'pending' | 'active' | 'paused') => createStandingOrder(owner, { facilityId: facility.id,
    riderId: rider.id, submittedBy: users.FacilityUser.id, contactId: contact.id, status, startDate: '2031-05-05' });
  const series = { pending: await seriesIn('pending'), active: await seriesIn('active'), paused: await seriesIn('paused') };
  return {
    series,
    altcha, original, duplicate,
    facilityId: facility.id, contactId: contact.id, users, colleague, spareDriver, riderId: rider.id, erasableRiderId: erasable.id,
    riderVersion: versions[0]?.rider ?? 1, erasable: { id: erasable.id, version: versions[0]?.erasable ?? 1 }, facilityVersion: versions[0]?.facility ?? 1,
    requestedTrip, cancellation, unassignedLeg, assignedLeg, pickedUpLeg, billingRecordId: billing[0]?.id ?? '',
    vehicle: { id: vehicle.id, version: vehicle.version },
  };
}

beforeAll(async () => {
  // Tens of thousands of requests: their access-log lines would only slow the run down.
  logger.setLogLevel('SILENT');
  world = await buildWorld();
  api = createTestApi(rollingBack(db().as('api')));
  intake = createTestIntake(rollingBack(db().as('intake')));
  for (const role of Object.keys(world.users) as Role[]) tokens.set(role, api.issuer.mint(actorOf(world.users[role])));
});

afterAll(() => {
  logger.setLogLevel('INFO');
});

// ---- what a valid request to each route looks like ---------------------------------------------

type Json = Record<string, unknown>;

interface FuzzCase {
  /** A valid path parameter for each `{name}` in the route's path. */
  params?: () => Record<string, string>;
  /** A valid body for a caller of this role; absent for routes that take none. */
  body?: (role: Role) => Json;
  /** A valid query. */
  query?: () => Record<string, string>;
  /** Conditional requests name the version the world holds (it never changes: every run rolls back). */
  ifMatch?: () => number;
}

const ISO = '2031-05-05T10:00:00Z';
const staffNames = (role: Role, facilityId: string): Json => (role === 'Dispatcher' ? { facilityId } : {});

const CASES: Record<RouteId, FuzzCase> = {
  'me.get': {},
  'tripRequests.create': {
    body: (role) => ({ ...staffNames(role, world.facilityId), riderId: world.riderId, pickupAddress: '1 Main St',
      dropoffAddress: '2 Clinic Rd', appointmentAt: ISO, returnTrip: 'scheduled', requestedReturnAt: '2031-05-05T12:00:00Z',
      mobility: 'wheelchair', oxygen: true, companions: 1, clinicalNotes: 'Dialysis' }),
  },
  'tripRequests.list': { query: () => ({ status: 'requested', limit: '10' }) },
  'tripRequests.get': { params: () => ({ tripRequestId: world.requestedTrip.id }) },
  'tripRequests.update': {
    params: () => ({ tripRequestId: world.requestedTrip.id }),
    body: () => ({ pickupAddress: '5 New St', appointmentAt: ISO, requestedPickupAt: null, clinicalNotes: 'Changed',
      mobility: 'wheelchair_xl', oxygen: false, companions: 2 }),
    ifMatch: () => world.requestedTrip.version,
  },
  'tripRequests.schedule': {
    params: () => ({ tripRequestId: world.requestedTrip.id }),
    body: () => ({ outbound: { pickupAt: '2031-05-05T09:00:00Z', dropoffAt: '2031-05-05T09:45:00Z', pickupAddress: '1 Main St' } }),
    ifMatch: () => world.requestedTrip.version,
  },
  'tripRequests.reject': {
    params: () => ({ tripRequestId: world.requestedTrip.id }),
    body: () => ({ reason: 'Outside the service area' }),
    ifMatch: () => world.requestedTrip.version,
  },
  'tripRequests.cancel': {
    params: () => ({ tripRequestId: world.requestedTrip.id }),
    body: () => ({ reasonCode: 'other', reasonText: 'Family will drive' }),
  },
  'tripRequests.history': { params: () => ({ tripRequestId: world.requestedTrip.id }) },
  'cancellations.create': {
    params: () => ({ tripRequestId: world.requestedTrip.id }),
    body: () => ({ reasonCode: 'changed_plans', reasonText: 'Appointment moved' }),
  },
  'cancellations.list': { query: () => ({ status: 'pending', tripRequestId: world.requestedTrip.id, limit: '5' }) },
  'cancellations.approve': {
    params: () => ({ cancellationRequestId: world.cancellation.id }),
    body: () => ({ reason: 'Confirmed by phone' }),
  },
  'cancellations.deny': {
    params: () => ({ cancellationRequestId: world.cancellation.id }),
    body: () => ({ reason: 'Trip already under way' }),
  },
  'legs.list': { query: () => ({ status: 'assigned', from: '2030-01-01T00:00:00Z', to: '2040-01-01T00:00:00Z', limit: '20' }) },
  'legs.get': { params: () => ({ legId: world.assignedLeg.id }) },
  'legs.update': {
    params: () => ({ legId: world.unassignedLeg.id }),
    body: () => ({ scheduledPickupAt: '2035-01-01T09:00:00Z', scheduledDropoffAt: '2035-01-01T09:30:00Z', dropoffAddress: '9 Ward' }),
    ifMatch: () => world.unassignedLeg.version,
  },
  'legs.assign': {
    params: () => ({ legId: world.unassignedLeg.id }),
    body: () => ({ driverId: world.spareDriver.id, vehicleId: world.vehicle.id }),
  },
  'legs.unassign': { params: () => ({ legId: world.assignedLeg.id }), ifMatch: () => world.assignedLeg.version },
  'legs.recordStatus': {
    params: () => ({ legId: world.assignedLeg.id }),
    body: () => ({ status: 'en_route' }),
    ifMatch: () => world.assignedLeg.version,
  },
  'legs.complete': {
    params: () => ({ legId: world.pickedUpLeg.id }),
    body: () => ({ actualPickupAt: '2031-06-01T09:05:00Z', actualDropoffAt: '2031-06-01T09:40:00Z', odometerStart: 1000,
      odometerEnd: 1012.5, notes: 'Ramp needed' }),
    ifMatch: () => world.pickedUpLeg.version,
  },
  'vehicles.list': { query: () => ({ status: 'in_service', limit: '10' }) },
  'vehicles.get': { params: () => ({ vehicleId: world.vehicle.id }) },
  'vehicles.create': {
    body: () => ({ name: 'Van 12', plate: vehiclePlate(), kind: 'wheelchair_van',
      capabilities: { ambulatorySeats: 3, wheelchairPositions: 2, bariatric: true, stretcher: false, oxygen: true } }),
  },
  'vehicles.update': {
    params: () => ({ vehicleId: world.vehicle.id }),
    body: () => ({ name: 'Van 7', plate: 'NEMT-07', capabilities: { ambulatorySeats: 4, wheelchairPositions: 1, bariatric: false,
      stretcher: false, oxygen: false } }),
    ifMatch: () => world.vehicle.version,
  },
  'vehicles.transition': {
    params: () => ({ vehicleId: world.vehicle.id }),
    body: () => ({ to: 'out_of_service', reason: 'Brakes' }),
    ifMatch: () => world.vehicle.version,
  },
  'vehicles.correctOdometer': {
    params: () => ({ vehicleId: world.vehicle.id }),
    body: () => ({ reading: 880.5, reason: 'Typed 900 for 880.5' }),
    ifMatch: () => world.vehicle.version,
  },
  'billing.list': { query: () => ({ status: 'pending', facilityId: world.facilityId, limit: '10' }) },
  'billing.export': { query: () => ({ status: 'pending', from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }) },
  'billing.get': { params: () => ({ billingRecordId: world.billingRecordId }) },
  'billing.transition': {
    params: () => ({ billingRecordId: world.billingRecordId }),
    body: () => ({ to: 'ready', amountCents: 4500, note: 'Priced' }),
  },
  'billingCodes.list': {},
  'billingCodes.update': {
    params: () => ({ levelOfService: 'stretcher' }),
    body: () => ({ baseCode: 'T2005', mileageCode: 'T2049', description: 'Stretcher van; mileage per mile' }),
    ifMatch: () => 1,
  },
  'facilities.list': { query: () => ({ kind: 'facility', limit: '10' }) },
  'facilities.create': { body: () => ({ kind: 'facility', name: 'Riverside Dialysis', notifyDriverEnRoute: true }) },
  'facilities.get': { params: () => ({ facilityId: world.facilityId }) },
  'facilities.update': {
    params: () => ({ facilityId: world.facilityId }),
    body: () => ({ name: 'Renamed Clinic', notifyDriverEnRoute: false }),
    ifMatch: () => world.facilityVersion,
  },
  'riders.list': { query: () => ({ phone: '+15550100000', limit: '10' }) },
  'riders.create': {
    body: (role) => ({ ...staffNames(role, world.facilityId), fullName: 'Pat Example', phone: '+15550100001',
      email: 'pat@example.test', dateOfBirth: '1950-02-03', homeAddress: '1 Elm St', careNotes: 'Uses a cane',
      mobility: 'wheelchair', notifyChannel: 'email', notifyConsent: true }),
  },
  'riders.get': { params: () => ({ riderId: world.riderId }) },
  'riders.update': {
    params: () => ({ riderId: world.riderId }),
    body: () => ({ homeAddress: '2 Oak Ave', phone: null, dateOfBirth: '1951-03-04' }),
    ifMatch: () => world.riderVersion,
  },
  'riders.erase': { params: () => ({ riderId: world.erasableRiderId }), ifMatch: () => 1 },
  'contacts.list': { query: () => ({ limit: '10' }) },
  'contacts.create': { body: (role: Role) => ({ ...(role === 'Dispatcher' ? { facilityId: world.facilityId } : {}),
    fullName: 'Case Manager', phone: '+15550109999', email: 'case.manager@clinic.test' }) },
  'contacts.get': { params: () => ({ contactId: world.contactId }) },
  'contacts.update': { params: () => ({ contactId: world.contactId }), body: () => ({ phone: null, fullName: 'Renamed' }), ifMatch: () => 1 },
  'riders.export': { params: () => ({ riderId: world.riderId }) },
  'users.list': { query: () => ({ role: 'FacilityUser', limit: '10' }) },
  'users.create': {
    body: (role) => ({ ...staffNames(role, world.facilityId), email: 'new.user@example.test', displayName: 'New User',
      role: 'FacilityUser' }),
  },
  'users.disable': { params: () => ({ userId: world.colleague.id }), body: () => ({}) },
  'users.enable': { params: () => ({ userId: world.colleague.id }), body: () => ({}) },
  'users.changeRole': {
    params: () => ({ userId: world.colleague.id }), body: () => ({ role: 'FacilityAdmin', facilityId: world.facilityId }), ifMatch: () => 1,
  },
  'audit.verify': {},
  'riders.duplicates': { params: () => ({ riderId: world.duplicate.id }) },
  'riders.merge': {
    params: () => ({ riderId: world.duplicate.id }), body: () => ({ intoRiderId: world.original.id }),
    ifMatch: () => world.duplicate.version,
  },
  'standingOrders.create': {
    body: (role) => ({ ...staffNames(role, world.facilityId), riderId: world.riderId, contactId: world.contactId, daysOfWeek: [1, 3, 5],
      pickupTime: '07:00', appointmentTime: '08:00', pickupAddress: '1 Main St', dropoffAddress: '2 Dialysis Centre',
      mobility: 'wheelchair', oxygen: true, companions: 1, returnMode: 'timed', returnPickupTime: '12:30', startDate: '2031-05-05',
      endDate: '2031-12-31', excludedDates: ['2031-05-07'] }),
  },
  'standingOrders.list': { query: () => ({ status: 'active', riderId: world.riderId, limit: '10' }) },
  'standingOrders.get': { params: () => ({ standingOrderId: world.series.active.id }) },
  'standingOrders.update': {
    params: () => ({ standingOrderId: world.series.pending.id }),
    body: () => ({ pickupTime: '06:30', daysOfWeek: [2, 4], endDate: null, excludedDates: ['2031-05-06'], returnMode: 'will_call' }),
    ifMatch: () => world.series.pending.version,
  },
  'standingOrders.accept': {
    params: () => ({ standingOrderId: world.series.pending.id }), body: () => ({ pickupTime: '06:45' }),
    ifMatch: () => world.series.pending.version,
  },
  'standingOrders.reject': {
    params: () => ({ standingOrderId: world.series.pending.id }), body: () => ({ reason: 'Outside the service area' }),
    ifMatch: () => world.series.pending.version,
  },
  'standingOrders.pause': { params: () => ({ standingOrderId: world.series.active.id }), body: () => ({}),
    ifMatch: () => world.series.active.version },
  'standingOrders.resume': { params: () => ({ standingOrderId: world.series.paused.id }), body: () => ({}),
    ifMatch: () => world.series.paused.version },
  'standingOrders.skip': { params: () => ({ standingOrderId: world.series.active.id }), body: () => ({ date: '2031-05-06' }),
    ifMatch: () => world.series.active.version },
  'standingOrders.end': { params: () => ({ standingOrderId: world.series.active.id }), body: () => ({}),
    ifMatch: () => world.series.active.version },
  'standingOrders.preview': { params: () => ({ standingOrderId: world.series.active.id }), query: () => ({ count: '20' }) },
  'intake.challenge': {},
  'intake.submit': {
    body: () => intakeBody({ notes: 'Walker', returnTrip: 'will_call', dateOfBirth: '1944-04-04', altcha: world.altcha }),
  },
};

// ---- generators -------------------------------------------------------------------------------

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Timestamps near the ISO-8601 shape: impossible days and hours, years 0 and 10000, odd offsets. */
const isoish = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 1, 1969, 1970, 2038, 9999, 10_000)),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.option(fc.integer({ min: 0, max: 999_999_999 }), { nil: undefined }),
    fc.oneof(
      fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+14:00', '-12:00', '+15:59', '+16:00', '-23:59', '+24:00', '+0530'),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }))
        .map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`),
    ),
  )
  .map(([year, month, day, hour, minute, fraction, offset]) =>
    `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(minute)}${fraction === undefined ? '' : `.${fraction}`}${offset}`);

/** Real instants across the whole range JavaScript can name, with their offsets. */
const instant = fc
  .tuple(fc.date({ min: new Date(Date.UTC(-1, 0, 1)), max: new Date(Date.UTC(10_001, 0, 1)), noInvalidDate: true }),
    fc.constantFrom('Z', '+14:00', '-12:00', '+05:30'))
  .map(([date, offset]) => date.toISOString().replace('Z', offset));

const dateish = fc
  .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([year, month, day]) => `${pad(year, 4)}-${pad(month)}-${pad(day)}`);

const SQL_AND_FRIENDS = [
  "'", "''", '"', ';', '--', "'; DROP TABLE trip_requests; --", "' OR '1'='1", '1; SELECT pg_sleep(5)', '$1', '$$', '\\',
  '%', '_', '%00', '\u0000', 'a\u0000b', '\u0000\u0000', '\r\n', '\t', ' ', '   ', '\u00a0', '\u200b', '\ufeff', '\ud800',
  '\udfff', '🚑', 'Ω≈ç√', 'ﷺ', '𝕏', '\u202e', 'null', 'undefined', 'NaN', 'true', '{}', '[]', '<script>alert(1)</script>',
  '../../etc/passwd', `\${jndi:ldap://x}`, '{{7*7}}', '=1+1', '+15551234567', '+1', '15551234567', 'not-a-uuid',
  '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'a@b', 'x@example.test',
  '2030-02-30T10:00:00Z', '2030-13-01T00:00:00Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59-12:00', '2030-01-01T00:00:00+23:59', '2030-01-01', '2030-01-01T25:00:00Z', '2030-01-01T10:00:00',
  '0000-01-01', '2030-02-29', '2032-02-29', '9999-12-31', 'yesterday', 'pending', 'ready', 'paid', 'completed', 'other',
  'Dispatcher', 'FacilityAdmin', 'individual',
];

const NUMBERS = [0, -0, 1, -1, 0.1, 0.05, 1.5, 0.04, 99.99, 100, 101, 499, 500, 501, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 9_999_999,
  9_999_999.95, 10_000_000, 100_000_000, 100_000_001, 1e21, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER];

const LENGTHS = [0, 1, 63, 64, 65, 128, 129, 199, 200, 201, 254, 255, 499, 500, 501, 1_999, 2_000, 2_001, 5_000];

/** Strings at the schemas' bounds and at the body limit (some bodies land just over it). */
const boundaryString = fc.oneof(
  fc.tuple(fc.constantFrom(...LENGTHS), fc.constantFrom('a', ' ', 'é', '🚑', "'", '\u0000')).map(([n, c]) => c.repeat(n)),
  fc.integer({ min: MAX_BODY_BYTES - 2_000, max: MAX_BODY_BYTES + 200 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: (MAX_BODY_BYTES >> 1) - 1_000, max: (MAX_BODY_BYTES >> 1) + 200 }).map((n) => 'é'.repeat(n)),
);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...SQL_AND_FRIENDS), weight: 4 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { a: 1 }), weight: 2 },
  { arbitrary: fc.constantFrom(...NUMBERS), weight: 2 },
  { arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), weight: 1 },
  { arbitrary: isoish, weight: 3 },
  { arbitrary: instant, weight: 2 },
  { arbitrary: dateish, weight: 1 },
  { arbitrary: fc.uuid(), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  { arbitrary: boundaryString, weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];
const FORBIDDEN_KEYS = ['facilityId', 'submittedBy', 'status', 'source', 'referenceCode', 'id', 'version', 'driverId',
  'mileage', 'actualPickupAt', 'odometerEnd', 'completionNotes', 'riderId', 'role', 'active', 'createdAt', 'heldFrom'];

/** Sets an own, enumerable property even for keys like `__proto__` (plain assignment would not). */
function define(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

type Path = readonly string[];

/** Every path into a body (objects and leaves), so mutations can reach nested fields. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  const nested = Object.entries(value as Json).flatMap(([key, child]) => pathsOf(child, [...prefix, key]));
  return prefix.length ? [prefix, ...nested] : nested;
}

function containerAt(body: Json, path: Path): Json | undefined {
  let node: unknown = body;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Json)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Json) : undefined;
}

type Mutation = { kind: 'drop'; path: Path } | { kind: 'set'; path: Path; value: unknown };

function mutate(base: Json, mutations: Mutation[]): Json {
  const body = clone(base);
  for (const mutation of mutations) {
    const parent = containerAt(body, mutation.path.slice(0, -1));
    const key = mutation.path.at(-1);
    if (!parent || key === undefined) continue;
    if (mutation.kind === 'drop') delete parent[key];
    else define(parent, key, mutation.value);
  }
  return body;
}

/** Field names the route's body schema declares (including optional ones a valid base leaves out). */
function schemaKeys(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const asObject = schema as unknown as { shape?: Record<string, unknown>; options?: z.ZodType[] };
  if (asObject.shape) return Object.keys(asObject.shape);
  if (asObject.options) return [...new Set(asObject.options.flatMap(schemaKeys))];
  return [];
}

/** Bodies near a valid one: up to four fields dropped, replaced by wrong values, or added. */
function nearBody(base: Json, declared: string[]): fc.Arbitrary<Json> {
  const paths = [...pathsOf(base), ...declared.map((key) => [key])];
  const strangeKey = fc.oneof(
    { arbitrary: fc.constantFrom(...FORBIDDEN_KEYS, ...POLLUTING_KEYS).map((key): Path => [key]), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((key): Path => [key]), weight: 1 },
  );
  const anyKey = paths.length ? fc.oneof({ arbitrary: fc.constantFrom(...paths), weight: 2 }, { arbitrary: strangeKey, weight: 1 })
    : strangeKey;
  const set = fc.record({ path: anyKey, value: nastyValue }).map(({ path, value }): Mutation => ({ kind: 'set', path, value }));
  const mutation: fc.Arbitrary<Mutation> = paths.length
    ? fc.oneof(fc.constantFrom(...paths).map((path): Mutation => ({ kind: 'drop', path })), set)
    : set;
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((mutations) => mutate(base, mutations));
}

const deepNesting = fc
  .tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return `${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}`;
  });

/** A valid body with a prototype-pollution payload beside (or instead of) its fields. */
function pollution(base: Json): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...POLLUTING_KEYS), fc.constantFrom('{"polluted":true}', '{"prototype":{"polluted":true}}', 'null', '1'),
      fc.boolean())
    .map(([key, payload, keepFields]) => {
      const fields = JSON.stringify(keepFields ? base : {}).slice(1, -1);
      return `{${fields}${fields ? ',' : ''}${JSON.stringify(key)}:${payload}}`;
    });
}

/** JSON.stringify, except for the values it cannot encode. */
function encode(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return 'null';
  }
}

/** The raw body text a request sends. */
function bodyText(base: Json | undefined, declared: string[]): fc.Arbitrary<string> {
  const valid = base ?? {};
  return fc.oneof(
    // The valid body itself now and then (each one walks the whole handler and database path);
    // mostly mutations of it, some of which are still valid in new ways.
    { arbitrary: fc.constant(encode(valid)), weight: 1 },
    { arbitrary: nearBody(valid, declared).map(encode), weight: 12 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map(encode), weight: 2 },
    { arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true, withSparseArray: true })
      .map(encode), weight: 2 },
    { arbitrary: pollution(valid), weight: 2 },
    { arbitrary: deepNesting, weight: 1 },
    { arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('', ' ', '{', '{"a":}', 'nul',
      '\u0000', '{"a":1}{"b":2}', '[1,]')), weight: 1 },
  );
}

const queryValue = fc.oneof(
  { arbitrary: fc.constantFrom(...SQL_AND_FRIENDS), weight: 4 },
  { arbitrary: fc.constantFrom(...NUMBERS).map(String), weight: 2 },
  { arbitrary: fc.constantFrom('0x10', '1e2', '1.5', '-0', ' 5', '5 ', '', '100', '101'), weight: 1 },
  { arbitrary: isoish, weight: 2 },
  { arbitrary: fc.uuid(), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  // Cursors this API might have issued, with sort keys no row ever had.
  { arbitrary: fc.tuple(fc.oneof(isoish, fc.constantFrom<unknown>(null, 1, '', '\u0000', 'x'.repeat(64)), fc.string()),
    fc.oneof(fc.uuid(), fc.string())).map(([at, id]) => Buffer.from(encode([at, id])).toString('base64url')), weight: 2 },
  { arbitrary: fc.base64String({ maxLength: 80 }), weight: 1 },
);

function nearQuery(base: Record<string, string>, declared: string[]): fc.Arbitrary<Record<string, string>> {
  const keys = [...new Set([...Object.keys(base), ...declared])];
  const key = fc.oneof(
    { arbitrary: fc.constantFrom(...(keys.length ? keys : ['limit'])), weight: 5 },
    { arbitrary: fc.constantFrom(...FORBIDDEN_KEYS, ...POLLUTING_KEYS), weight: 1 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), weight: 1 },
  );
  return fc
    .tuple(fc.subarray(Object.keys(base)), fc.oneof(
      { arbitrary: fc.constant([]), weight: 1 },
      { arbitrary: fc.array(fc.tuple(key, queryValue), { minLength: 1, maxLength: 4 }), weight: 6 },
    ))
    .map(([kept, changes]) => {
      const query: Record<string, string> = {};
      for (const name of kept) define(query, name, base[name]);
      for (const [name, value] of changes) define(query, name, value);
      return query;
    });
}

/** A path parameter: a real id, a random UUID (not found), or anything at all. */
const pathValue = (valid: string) =>
  fc.oneof(
    { arbitrary: fc.constant(valid), weight: 1 },
    { arbitrary: fc.oneof(fc.uuid(), fc.constant(valid.toUpperCase()), fc.constant(` ${valid}`)), weight: 1 },
    { arbitrary: fc.constantFrom(...SQL_AND_FRIENDS), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), weight: 3 },
  // '.' and '..' are dot segments: the URL itself changes route before any handler is reached.
  ).filter((value) => value.length > 0 && value !== '.' && value !== '..');

function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'));
  }
}

function urlOf(route: Route, params: Record<string, string>, query: Record<string, string> | undefined): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_whole, name: string) => encodeSegment(params[name] ?? ''));
  if (!query || Object.keys(query).length === 0) return path;
  const search = Object.entries(query).map(([key, value]) => `${encodeSegment(key)}=${encodeSegment(value)}`).join('&');
  return `${path}?${search}`;
}

// ---- one generated request per run -------------------------------------------------------------

interface Generated {
  role: Role | undefined;
  url: string;
  body: string | undefined;
  headers: Record<string, string>;
}

const headerNoise = (route: Route, fuzzCase: FuzzCase) =>
  fc.record({
    contentType: fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 12 },
      { arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/xml',
        'application/x-www-form-urlencoded', 'application/jsonx', ''), weight: 1 },
    ),
    ifMatch: fc.oneof(
      { arbitrary: fc.constant(fuzzCase.ifMatch ? `"${fuzzCase.ifMatch()}"` : undefined), weight: 12 },
      { arbitrary: fc.constantFrom('"0"', '"999999999"', '"9999999999"', '*', 'W/"1"', '1', '"-1"', '', '"1", "2"'), weight: 1 },
    ),
    idempotencyKey: 'idempotent' in route && route.idempotent
      ? fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 8 },
        { arbitrary: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/), fc.string({ unit: 'grapheme', maxLength: 140 })),
          weight: 2 },
      )
      : fc.constant(undefined),
  });

function requestFor(route: Route, fuzzCase: FuzzCase): fc.Arbitrary<Generated> {
  const roles: (Role | undefined)[] = route.access === 'public' ? [undefined] : [...route.roles];
  const params = fuzzCase.params?.() ?? {};
  const paramNames = Object.keys(params);
  const takesBody = route.method !== 'GET';
  const declaredQuery = schemaKeys('query' in route ? route.query : undefined);
  // Body routes mostly fuzz the body, GET routes the query or the path. A route without a query
  // schema refuses any query: fuzz it now and then, and leave the other runs to the body or the path.
  const onlyQueryToFuzz = !takesBody && paramNames.length === 0;
  const queryArb = !takesBody && 'query' in route
    ? nearQuery(fuzzCase.query?.() ?? {}, declaredQuery)
    : fc.oneof({ arbitrary: fc.constant(undefined), weight: onlyQueryToFuzz ? 1 : 9 },
      { arbitrary: nearQuery({}, ['x']), weight: onlyQueryToFuzz ? 6 : 1 });
  const paramsArb = paramNames.length === 0
    ? fc.constant(params)
    : fc.oneof(
      { arbitrary: fc.constant(params), weight: takesBody ? 9 : 1 },
      { arbitrary: fc.record(Object.fromEntries(paramNames.map((name) => [name, pathValue(params[name] as string)]))),
        weight: takesBody ? 1 : 6 },
    );
  return fc.constantFrom(...roles).chain((role) =>
    fc.record({
      params: paramsArb,
      query: queryArb,
      // A GET carries a generated body too: API Gateway passes it on, and the API must ignore it.
      body: !takesBody
        ? bodyText(undefined, [])
        : 'body' in route
          ? bodyText(fuzzCase.body?.(role ?? 'Dispatcher'), schemaKeys(route.body))
          // A route that takes no body: usually none, sometimes one (refused).
          : fc.oneof({ arbitrary: fc.constant(undefined), weight: 1 }, { arbitrary: bodyText(undefined, []), weight: 3 }),
      noise: headerNoise(route, fuzzCase),
    }).map(({ params: chosen, query, body, noise }): Generated => ({
      role,
      url: urlOf(route, chosen as Record<string, string>, query),
      body,
      headers: {
        ...(body !== undefined ? { 'Content-Type': noise.contentType } : {}),
        ...(noise.ifMatch !== undefined ? { 'If-Match': noise.ifMatch } : {}),
        ...(noise.idempotencyKey !== undefined ? { 'Idempotency-Key': noise.idempotencyKey } : {}),
      },
    })),
  );
}

async function send(route: Route, request: Generated): Promise<ApiAnswer> {
  if (route.access === 'public') {
    return route.method === 'GET'
      ? intake.challenge({ url: request.url, rawBody: request.body, headers: request.headers })
      : intake.submit({ url: request.url, rawBody: request.body, headers: request.headers });
  }
  const token = request.role ? tokens.get(request.role) : undefined;
  return api.call(route.method, request.url, { token, rawBody: request.body, headers: request.headers });
}

// ---- what every answer must look like ------------------------------------------------------------

const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'instance', 'requestId', 'errors']);
/** Shapes of internals: stack frames, source paths, database messages. */
const INTERNALS = /\.(?:ts|js):\d+:\d+|(?:lambdas|node_modules)[\\/]|\bat [\w.<>]+ \(|violates|relation "|syntax error|invalid input syntax|duplicate key|SQLSTATE|unparseable/;

function describeRequest(route: Route, request: Generated): string {
  return `${route.method} ${request.url.slice(0, 300)} as ${request.role ?? 'anonymous'} body ${String(request.body).slice(0, 300)}`;
}

function assertWellFormed(route: Route, request: Generated, answer: ApiAnswer): void {
  const context = () => `${describeRequest(route, request)} → ${answer.status} ${answer.text?.slice(0, 300)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${context()}`);
  if (INTERNALS.test(answer.text ?? '')) throw new Error(`internals in the answer: ${context()}`);
  if (answer.status < 300) return;
  if (answer.headers['content-type'] !== 'application/problem+json') throw new Error(`not problem+json: ${context()}`);
  const problem = answer.body as Record<string, unknown>;
  const wellFormed = problem !== null && typeof problem === 'object' && problem.status === answer.status &&
    typeof problem.title === 'string' && typeof problem.type === 'string' &&
    Object.keys(problem).every((key) => PROBLEM_KEYS.has(key)) &&
    (problem.errors === undefined || (Array.isArray(problem.errors) && problem.errors.every((error: unknown) =>
      error !== null && typeof error === 'object' && Object.keys(error).every((key) => key === 'path' || key === 'message'))));
  if (!wellFormed) throw new Error(`malformed problem: ${context()}`);
}

// ---- the properties ---------------------------------------------------------------------------------

test('every route in the route table has a fuzz case, and no case names an unknown route', () => {
  expect(Object.keys(CASES).sort()).toEqual(routes.map((route) => route.id).sort());
});

describe.each(routes.map((route) => [route.id, route] as const))('%s', (_id, route) => {
  test(`${RUNS} generated requests: never a 5xx, every refusal is problem+json, nothing internal leaks`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestFor(route, CASES[route.id]), async (request) => {
        const answer = await send(route, request);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        assertWellFormed(route, request, answer);
      }),
      { numRuns: RUNS },
    );
    // The generators must reach the handler, not only the validator: some runs succeed.
    const succeeded = [...statuses].filter(([status]) => status < 300).reduce((sum, [, count]) => sum + count, 0);
    expect(succeeded).toBeGreaterThan(0);
    expect([...statuses.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(RUNS);
  }, 120_000);
});

/** What the fuzzer found (each answered 500 before schemas/common.ts and http/db-errors.ts learnt better). */
describe('inputs the fuzzer found', () => {
  const cursor = (at: unknown) => Buffer.from(JSON.stringify([at, '00000000-0000-1000-8000-000000000000'])).toString('base64url');
  const trip = () => CASES['tripRequests.create'].body?.('FacilityUser') as Json;
  test.each([
    ['a NUL character in an address', 'tripRequests.create', () => ({ ...trip(), pickupAddress: 'a\u0000b' }), 422],
    ['year 0000', 'tripRequests.create', () => ({ ...trip(), appointmentAt: '0000-01-01T00:00:00Z' }), 422],
    ['an instant before year 1', 'tripRequests.create', () => ({ ...trip(), appointmentAt: '0001-01-01T00:00:00+01:00' }), 422],
    ['an instant after year 9999', 'tripRequests.create', () => ({ ...trip(), appointmentAt: '9999-12-31T23:59:59-12:00' }), 422],
    ['a UTC offset of +23:59', 'tripRequests.create', () => ({ ...trip(), appointmentAt: '2030-01-02T15:00:00+23:59' }), 422],
    ['a NUL character in a note', 'cancellations.approve', () => ({ reason: 'a\u0000b' }), 422],
    ['a date of birth in year 0000', 'riders.create', () => ({ fullName: 'Pat', dateOfBirth: '0000-01-01' }), 422],
    ['a NUL character in the public intake', 'intake.submit', () => intakeBody({ fullName: 'Pat\u0000' }), 422],
  ] as const)('%s is refused, not a 500', async (_name, routeId, body, status) => {
    const route = routes.find((candidate) => candidate.id === routeId) as Route;
    const role = route.access === 'public' ? undefined
      : (route.roles as readonly Role[]).includes('FacilityUser') ? 'FacilityUser' : 'Dispatcher';
    const params = CASES[routeId].params?.() ?? {};
    const answer = await send(route, { role, url: urlOf(route, params, undefined), body: JSON.stringify(body()),
      headers: { 'Content-Type': 'application/json' } });
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
  });

  test.each([
    ['a cursor whose time is empty', ''],
    ['a cursor whose time is day 0 of month 0', '0000-00-00T00:00:00Z'],
    ['a cursor whose time has a NUL character', '2030-01-01\u0000'],
  ])('%s is a 400', async (_name, at) => {
    const answer = await api.call('GET', `/v1/trip-requests?cursor=${cursor(at)}`, { token: tokens.get('Dispatcher') });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
  });
});

test('no generated key polluted Object.prototype', () => {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
});
