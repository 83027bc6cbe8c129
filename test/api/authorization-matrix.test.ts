import { randomUUID } from 'node:crypto';
import { type Route, type RouteId, routes } from '../../lambdas/api/routes';
import type { StaffRole } from '../../lambdas/shared/tenancy/actor';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, assignLeg, completeLeg, createAuditEvent, createCancellationRequest, createContact, createFacility,
  createFacilityUser, createLeg, createRider, createStaffUser, createStandingOrder, createTripRequest, createVehicle, driveLeg, type FacilityRow,
  type LegRow, phoneNumber, type RiderRow, type TripRequestRow, type UserRow, vehiclePlate,
} from '../support/fixtures';
import { createTestIntake, intakeBody, intakeDuplicates, type IntakeRider, type TestIntake } from '../support/intake';
import { AUTHORIZATION_MATRIX, type MatrixRow, type Principal, PRINCIPALS } from './authorization-matrix';

/**
 * SECURITY S1: every cell of test/api/authorization-matrix.ts, through the real handlers and the
 * real database. Each cell gets its own target rows (made through the owner connection before
 * the requests run) and a request that is valid in every other respect — body, If-Match,
 * Idempotency-Key — so the only reason for a refusal is who is asking. A refused cell must also
 * have changed nothing: every table, the audit chains, the outbox and the identity directory look
 * the same after it as before (and an allowed write does show in that same picture, so the
 * comparison can fail). The matrix runs twice, once from each tenant, and afterwards every 2xx
 * body a facility user received is searched for the other tenant's ids.
 */
const db = useTestDatabase();

// ---- the matrix itself ----------------------------------------------------------------------------

const ROUTE_IDS = new Set<string>(routes.map((route) => route.id));
const routeById = new Map<string, Route>(routes.map((route) => [route.id, route]));

describe('the matrix', () => {
  test('names only routes of the route table', () => {
    expect(AUTHORIZATION_MATRIX.filter((row) => !ROUTE_IDS.has(row.route))).toEqual([]);
  });

  test('has rows for every route: each principal × own/other, or × none where no resource is touched', () => {
    for (const route of routes) {
      const rows = AUTHORIZATION_MATRIX.filter((row) => row.route === route.id);
      expect({ route: route.id, rows: rows.length }).not.toEqual({ route: route.id, rows: 0 });
      if (route.access === 'public') {
        expect(rows.map(({ principal, tenant }) => [principal, tenant])).toEqual([['anonymous', 'none']]);
        continue;
      }
      const scopes = [...new Set(rows.map((row) => row.tenant))].sort();
      expect({ route: route.id, scopes }).toEqual({ route: route.id, scopes: scopes.includes('none') ? ['none'] : ['other', 'own'] });
      const cells = rows.map((row) => `${row.principal}/${row.tenant}`).sort();
      const expected = PRINCIPALS.flatMap((principal) => (scopes.includes('none') ? [`${principal}/none`]
        : [`${principal}/own`, `${principal}/other`])).sort();
      expect({ route: route.id, cells }).toEqual({ route: route.id, cells: expected });
    }
  });

  test('anonymous is always 401 on authenticated routes, and every allowed cell answers the success status', () => {
    for (const row of AUTHORIZATION_MATRIX) {
      const route = routeById.get(row.route);
      if (!route || route.access === 'public') continue;
      if (row.principal === 'anonymous') expect(row).toEqual({ ...row, expect: 401 });
      else if (row.expect < 300) expect(row).toEqual({ ...row, expect: route.successStatus });
    }
  });
});

// ---- the two tenants and the staff ------------------------------------------------------------------

interface Tenant {
  name: 'A' | 'B';
  facility: FacilityRow;
  admin: UserRow;
  /** Has a contact of its own, as the facility users who follow trips do. */
  user: UserRow;
  rider: RiderRow;
}

let api: TestApi;
let intake: TestIntake;
let tenants: { A: Tenant; B: Tenant };
let staff: Record<StaffRole, UserRow>;
/** A second driver: the one "another driver's leg" is assigned to. */
let otherDriver: UserRow;
const tokens = new Map<string, string>();

async function createTenant(name: 'A' | 'B'): Promise<Tenant> {
  const owner = db().owner;
  const facility = await createFacility(owner, { name: `Tenant ${name} ${randomUUID().slice(0, 6)}` });
  const contact = await createContact(owner, { facilityId: facility.id });
  return {
    name,
    facility,
    admin: await createFacilityUser(owner, 'FacilityAdmin', facility.id),
    user: await createFacilityUser(owner, 'FacilityUser', facility.id, { contactId: contact.id }),
    rider: await createRider(owner, { facilityId: facility.id }),
  };
}

function tokenFor(user: UserRow): string {
  let token = tokens.get(user.id);
  if (!token) {
    token = api.issuer.mint(actorOf(user));
    tokens.set(user.id, token);
  }
  return token;
}

// ---- per-cell targets ---------------------------------------------------------------------------------

/** What one cell sends; method and path come from the route table. */
interface Prepared {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** The version of the target, sent as If-Match on conditional routes. */
  version?: number;
}

interface Cell {
  row: MatrixRow;
  home: Tenant;
  away: Tenant;
  /** Whose rows the request touches: home for own/none, away for other. */
  target: Tenant;
}

const owner = () => db().owner;

/** A trip of the target tenant, submitted by the target tenant's facility user (the caller, when it is home's). */
function tripOf(target: Tenant, status: 'requested' | 'scheduled' = 'requested'): Promise<TripRequestRow> {
  return createTripRequest(owner(), {
    facilityId: target.facility.id, riderId: target.rider.id, source: 'facility', submittedBy: target.user.id, status,
  });
}

async function legOf(target: Tenant): Promise<LegRow> {
  return createLeg(owner(), await tripOf(target, 'scheduled'));
}

/** A series of the target tenant, submitted by its facility user, starting in 2031 (no trips within any horizon yet). */
function seriesOf(target: Tenant, status: 'pending' | 'active' | 'paused') {
  return createStandingOrder(owner(), { facilityId: target.facility.id, riderId: target.rider.id, submittedBy: target.user.id,
    status, startDate: '2031-03-03' });
}

/** The driver whose leg a cell acts on: the caller for a Driver's own, another driver otherwise. */
function driverFor(cell: Cell): UserRow {
  return cell.row.principal === 'Driver' && cell.row.tenant === 'own' ? staff.Driver : otherDriver;
}

/** A Driver's legs are staff legs in any tenant; "other" for a Driver means another driver, not another tenant. */
function legTenant(cell: Cell): Tenant {
  return cell.row.principal === 'Driver' ? cell.home : cell.target;
}

async function billingRecordOf(target: Tenant): Promise<{ id: string; version: number }> {
  const leg = await completeLeg(owner(), (await legOf(target)).id, otherDriver.id);
  const { rows } = await owner().query<{ id: string; version: number }>(
    'SELECT id, version FROM billing_records WHERE trip_leg_id = $1', [leg.id]);
  const record = rows[0];
  if (!record) throw new Error('completing a leg made no billing record');
  return record;
}

async function versionOf(table: 'facilities' | 'riders' | 'cancellation_requests' | 'contacts', id: string): Promise<number> {
  const { rows } = await owner().query<{ version: number }>(`SELECT version FROM ${table} WHERE id = $1`, [id]);
  return rows[0]?.version ?? 1;
}

const unique = () => randomUUID().slice(0, 8);
const tripBody = (cell: Cell) => ({
  ...(cell.row.principal === 'FacilityAdmin' || cell.row.principal === 'FacilityUser' ? {} : { facilityId: cell.target.facility.id }),
  riderId: cell.target.rider.id,
  pickupAddress: '1 Main St',
  dropoffAddress: '2 Clinic Rd',
  appointmentAt: '2031-03-01T15:00:00Z',
});
const isFacilityPrincipal = (principal: Principal) => principal === 'FacilityAdmin' || principal === 'FacilityUser';
/** Staff name the tenant of what they create; facility roles may name only another one (the refusal under test). */
const namedTenant = (cell: Cell) =>
  isFacilityPrincipal(cell.row.principal) && cell.row.tenant !== 'other' ? {} : { facilityId: cell.target.facility.id };

const NO_TARGET = async (): Promise<Prepared> => ({});
const LIST = async (): Promise<Prepared> => ({ query: { limit: '100' } });

/** How to make each route's cell: its own target rows, and a request valid in every way but the caller. */
const PREPARE: Record<RouteId, (cell: Cell) => Promise<Prepared>> = {
  'me.get': NO_TARGET,
  'tripRequests.create': async (cell) => ({ body: tripBody(cell) }),
  'tripRequests.list': LIST,
  'tripRequests.get': async (cell) => ({ params: { tripRequestId: (await tripOf(cell.target)).id } }),
  'tripRequests.update': async (cell) => {
    const trip = await tripOf(cell.target);
    return { params: { tripRequestId: trip.id }, body: { pickupAddress: '3 Changed St' }, version: trip.version };
  },
  'tripRequests.schedule': async (cell) => {
    const trip = await tripOf(cell.target);
    return { params: { tripRequestId: trip.id }, version: trip.version,
      body: { outbound: { pickupAt: '2031-03-01T14:00:00Z', dropoffAt: '2031-03-01T14:40:00Z' } } };
  },
  'tripRequests.reject': async (cell) => {
    const trip = await tripOf(cell.target);
    return { params: { tripRequestId: trip.id }, body: { reason: 'Outside the service area' }, version: trip.version };
  },
  'tripRequests.cancel': async (cell) => {
    const trip = await tripOf(cell.target);
    return { params: { tripRequestId: trip.id }, body: { reasonCode: 'changed_plans' }, version: trip.version };
  },
  'tripRequests.history': async (cell) => {
    const trip = await tripOf(cell.target);
    await createAuditEvent(owner(), { facilityId: cell.target.facility.id, tripRequestId: trip.id, actorSub: cell.target.user.id,
      actorRole: 'FacilityUser', action: 'trip_request.created' });
    return { params: { tripRequestId: trip.id } };
  },
  'cancellations.create': async (cell) => ({
    params: { tripRequestId: (await tripOf(cell.target)).id }, body: { reasonCode: 'booked_by_mistake' },
  }),
  'cancellations.list': LIST,
  'cancellations.approve': async (cell) => {
    const request = await createCancellationRequest(owner(), { trip: await tripOf(cell.target), requestedBy: cell.target.user.id });
    return { params: { cancellationRequestId: request.id }, body: {}, version: await versionOf('cancellation_requests', request.id) };
  },
  'cancellations.deny': async (cell) => {
    const request = await createCancellationRequest(owner(), { trip: await tripOf(cell.target), requestedBy: cell.target.user.id });
    return { params: { cancellationRequestId: request.id }, body: { reason: 'Trip already under way' },
      version: await versionOf('cancellation_requests', request.id) };
  },
  'legs.list': LIST,
  'legs.get': async (cell) => {
    const tenant = legTenant(cell);
    const leg = cell.row.principal === 'Driver' ? await assignLeg(owner(), (await legOf(tenant)).id, driverFor(cell).id)
      : await legOf(tenant);
    return { params: { legId: leg.id } };
  },
  'legs.update': async (cell) => {
    const leg = await legOf(cell.target);
    return { params: { legId: leg.id }, body: { pickupAddress: '4 Side Entrance' }, version: leg.version };
  },
  'legs.assign': async (cell) => {
    const leg = await legOf(cell.target);
    return { params: { legId: leg.id }, body: { driverId: staff.Driver.id, vehicleId: (await createVehicle(owner())).id },
      version: leg.version };
  },
  'legs.unassign': async (cell) => {
    const leg = await assignLeg(owner(), (await legOf(cell.target)).id, otherDriver.id);
    return { params: { legId: leg.id }, version: leg.version };
  },
  'legs.recordStatus': async (cell) => {
    const leg = await assignLeg(owner(), (await legOf(legTenant(cell))).id, driverFor(cell).id);
    return { params: { legId: leg.id }, body: { status: 'en_route' }, version: leg.version };
  },
  'legs.complete': async (cell) => {
    const leg = await driveLeg(owner(), (await legOf(legTenant(cell))).id, 'picked_up', { driverId: driverFor(cell).id });
    return { params: { legId: leg.id }, version: leg.version, body: { actualPickupAt: '2031-06-01T09:05:00Z',
      actualDropoffAt: '2031-06-01T09:40:00Z', odometerStart: 1000, odometerEnd: 1012.5 } };
  },
  'vehicles.list': LIST,
  'vehicles.get': async () => ({ params: { vehicleId: (await createVehicle(owner())).id } }),
  'vehicles.create': async () => ({
    body: { name: `Van ${unique()}`, plate: vehiclePlate(), kind: 'wheelchair_van',
      capabilities: { ambulatorySeats: 2, wheelchairPositions: 2, bariatric: false, stretcher: false, oxygen: false } },
  }),
  'vehicles.update': async () => {
    const vehicle = await createVehicle(owner());
    return { params: { vehicleId: vehicle.id }, body: { name: `Renamed ${unique()}` }, version: vehicle.version };
  },
  'vehicles.transition': async () => {
    const vehicle = await createVehicle(owner());
    return { params: { vehicleId: vehicle.id }, body: { to: 'out_of_service', reason: 'Brakes' }, version: vehicle.version };
  },
  'vehicles.correctOdometer': async () => {
    const vehicle = await createVehicle(owner(), { odometer: 1200 });
    return { params: { vehicleId: vehicle.id }, body: { reading: 1180, reason: 'Typed 1200 for 1180' }, version: vehicle.version };
  },
  'billing.list': LIST,
  'billing.export': NO_TARGET,
  'billing.get': async (cell) => ({ params: { billingRecordId: (await billingRecordOf(cell.target)).id } }),
  'billing.transition': async (cell) => {
    const record = await billingRecordOf(cell.target);
    return { params: { billingRecordId: record.id }, body: { to: 'ready', amountCents: 4200 }, version: record.version };
  },
  'billingCodes.list': NO_TARGET,
  'billingCodes.update': async () => {
    const { rows } = await owner().query<{ version: number }>(`SELECT version FROM billing_codes WHERE level_of_service = 'stretcher'`);
    return { params: { levelOfService: 'stretcher' }, version: rows[0]?.version ?? 1,
      body: { baseCode: 'T2005', mileageCode: 'T2049', description: `Stretcher van ${unique()}` } };
  },
  'facilities.list': LIST,
  'facilities.create': async () => ({ body: { kind: 'facility', name: `New Clinic ${unique()}` } }),
  'facilities.get': async (cell) => ({ params: { facilityId: cell.target.facility.id } }),
  // Read at request time: the dispatcher's cells rename the same two tenants.
  'facilities.update': async (cell) => ({ params: { facilityId: cell.target.facility.id }, body: { name: `Renamed ${unique()}` } }),
  'riders.list': LIST,
  'contacts.list': LIST,
  'contacts.create': async (cell) => ({ body: { ...namedTenant(cell), fullName: `Contact ${unique()}`, phone: '+15550107777' } }),
  'contacts.get': async (cell) => ({ params: { contactId: (await createContact(owner(), { facilityId: cell.target.facility.id })).id } }),
  'contacts.update': async (cell) => {
    const contact = await createContact(owner(), { facilityId: cell.target.facility.id });
    return { params: { contactId: contact.id }, body: { email: `c-${unique()}@clinic.test` }, version: await versionOf('contacts', contact.id) };
  },
  'riders.create': async (cell) => ({ body: { ...namedTenant(cell), fullName: `Rider ${unique()}` } }),
  'riders.get': async (cell) => ({ params: { riderId: (await createRider(owner(), { facilityId: cell.target.facility.id })).id } }),
  'riders.update': async (cell) => {
    const rider = await createRider(owner(), { facilityId: cell.target.facility.id });
    return { params: { riderId: rider.id }, body: { homeAddress: '5 Elm St' }, version: await versionOf('riders', rider.id) };
  },
  'riders.erase': async (cell) => {
    const rider = await createRider(owner(), { facilityId: cell.target.facility.id });
    return { params: { riderId: rider.id }, version: await versionOf('riders', rider.id) };
  },
  'riders.export': async (cell) => ({ params: { riderId: (await createRider(owner(), { facilityId: cell.target.facility.id })).id } }),
  'users.list': LIST,
  'users.create': async (cell) => ({
    body: { ...namedTenant(cell), email: `invitee-${unique()}@example.test`, displayName: 'New Colleague', role: 'FacilityUser' },
  }),
  'users.disable': async (cell) => ({
    params: { userId: (await createFacilityUser(owner(), 'FacilityUser', cell.target.facility.id)).id }, body: {},
  }),
  'users.enable': async (cell) => ({
    params: {
      userId: (await createFacilityUser(owner(), 'FacilityUser', cell.target.facility.id, {
        active: false, disabledAt: new Date(Date.now() - 2 * 3600_000),
      })).id,
    },
    body: {},
  }),
  'users.changeRole': async (cell) => ({
    params: { userId: (await createFacilityUser(owner(), 'FacilityUser', cell.target.facility.id)).id },
    body: { role: 'FacilityAdmin', facilityId: cell.target.facility.id },
    version: 1,
  }),
  'riders.duplicates': async () => {
    const [, duplicate] = await intakeDuplicates(intake, owner(), phoneNumber());
    return { params: { riderId: (duplicate as IntakeRider).id } };
  },
  'riders.merge': async () => {
    const [original, duplicate] = (await intakeDuplicates(intake, owner(), phoneNumber())) as [IntakeRider, IntakeRider];
    return { params: { riderId: duplicate.id }, body: { intoRiderId: original.id }, version: duplicate.version };
  },
  'standingOrders.create': async (cell) => ({ body: { ...(isFacilityPrincipal(cell.row.principal) ? {} : { facilityId: cell.target.facility.id }),
    riderId: cell.target.rider.id, daysOfWeek: [1, 3, 5], pickupTime: '07:00', appointmentTime: '08:00', pickupAddress: '1 Main St',
    dropoffAddress: '2 Dialysis Centre', startDate: '2031-03-03' } }),
  'standingOrders.list': LIST,
  'standingOrders.get': async (cell) => ({ params: { standingOrderId: (await seriesOf(cell.target, 'active')).id } }),
  'standingOrders.preview': async (cell) => ({ params: { standingOrderId: (await seriesOf(cell.target, 'active')).id },
    query: { count: '5' } }),
  'standingOrders.update': async (cell) => {
    const series = await seriesOf(cell.target, 'active');
    return { params: { standingOrderId: series.id }, body: { pickupTime: '06:30' }, version: series.version };
  },
  'standingOrders.accept': async (cell) => {
    const series = await seriesOf(cell.target, 'pending');
    return { params: { standingOrderId: series.id }, body: {}, version: series.version };
  },
  'standingOrders.reject': async (cell) => {
    const series = await seriesOf(cell.target, 'pending');
    return { params: { standingOrderId: series.id }, body: { reason: 'Outside the service area' }, version: series.version };
  },
  'standingOrders.pause': async (cell) => {
    const series = await seriesOf(cell.target, 'active');
    return { params: { standingOrderId: series.id }, body: {}, version: series.version };
  },
  'standingOrders.resume': async (cell) => {
    const series = await seriesOf(cell.target, 'paused');
    return { params: { standingOrderId: series.id }, body: {}, version: series.version };
  },
  // 2031-03-04 is a Tuesday, one of the series' days.
  'standingOrders.skip': async (cell) => {
    const series = await seriesOf(cell.target, 'active');
    return { params: { standingOrderId: series.id }, body: { date: '2031-03-04' }, version: series.version };
  },
  'standingOrders.end': async (cell) => {
    const series = await seriesOf(cell.target, 'active');
    return { params: { standingOrderId: series.id }, body: {}, version: series.version };
  },
  'audit.verify': NO_TARGET,
  'intake.challenge': NO_TARGET,
  'intake.submit': async () => ({ body: intakeBody({ fullName: `Pat ${unique()}`, phone: `+1555${String(Date.now()).slice(-7)}` }) }),
};

function callerToken(cell: Cell): string | undefined {
  switch (cell.row.principal) {
    case 'anonymous':
      return undefined;
    case 'FacilityAdmin':
      return tokenFor(cell.home.admin);
    case 'FacilityUser':
      return tokenFor(cell.home.user);
    default:
      return tokenFor(staff[cell.row.principal]);
  }
}

function urlOf(route: Route, prepared: Prepared): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = prepared.params?.[name];
    if (!value) throw new Error(`no ${name} prepared for ${route.id}`);
    return encodeURIComponent(value);
  });
  return prepared.query ? `${path}?${new URLSearchParams(prepared.query)}` : path;
}

async function send(cell: Cell, prepared: Prepared): Promise<ApiAnswer> {
  const route = routeById.get(cell.row.route) as Route;
  if (route.access === 'public') return route.method === 'GET' ? intake.challenge() : intake.submit({ body: prepared.body });
  let version = prepared.version;
  if (route.id === 'facilities.update') version = await versionOf('facilities', cell.target.facility.id);
  const headers: Record<string, string> = {
    ...('conditional' in route && route.conditional && version !== undefined ? { 'If-Match': `"${version}"` } : {}),
    ...('idempotent' in route && route.idempotent ? { 'Idempotency-Key': `matrix-${randomUUID()}` } : {}),
  };
  return api.call(route.method, urlOf(route, prepared), { token: callerToken(cell), body: prepared.body, headers });
}

// ---- what a request could have changed -------------------------------------------------------------

/**
 * One function reading everything a request could write, built from the catalog so a new table
 * is covered too: per table its row count and, where rows carry a version (every UPDATE bumps it,
 * touch_row), the sum of versions; per audit chain its last sequence number and hash. A PL/pgSQL
 * function keeps its plan per connection, so reading the picture around every cell stays cheap.
 */
async function createStateFunction(): Promise<void> {
  const { rows } = await owner().query<{ table: string; versioned: boolean }>(
    `SELECT c.relname AS table, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'version'
                                          AND NOT a.attisdropped) AS versioned
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  // One object per table, concatenated: a function takes at most 100 arguments, the schema may outgrow that.
  const tables = rows.map(({ table, versioned }) =>
    `jsonb_build_object('${table}', (SELECT jsonb_build_array(count(*)${versioned ? ', sum(version)' : ''}) FROM ${table}))`);
  await owner().query(`CREATE FUNCTION test_world_state() RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
    BEGIN
      RETURN ${tables.join(' || ')}
        || jsonb_build_object('audit chains', (SELECT jsonb_object_agg(chain_key, last_seq || ' ' || last_hash) FROM audit_chain_heads));
    END $$`);
}

/** The database's picture, what the API published to the queue, and who the identity provider knows. */
async function worldState(): Promise<unknown> {
  const { rows } = await owner().query<{ state: unknown }>('SELECT test_world_state() AS state');
  return {
    database: rows[0]?.state,
    published: api.published.length,
    // Everything a refused call could have moved: enabled, signed out, role and tenant.
    identities: [...api.identity.directory.values()].map((user) => [user.sub, user.enabled, user.signedOutAt?.toISOString() ?? '',
      user.role, user.facilityId ?? '', user.contactId ?? ''].join(' ')).sort(),
  };
}

// ---- running it from each side ---------------------------------------------------------------------------

/** Runs `work` over `items` with at most `width` at a time. */
async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  }));
  return results;
}

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  intake = createTestIntake(db().as('intake'));
  tenants = { A: await createTenant('A'), B: await createTenant('B') };
  staff = {
    Dispatcher: await createStaffUser(owner(), 'Dispatcher'),
    Driver: await createStaffUser(owner(), 'Driver'),
    Billing: await createStaffUser(owner(), 'Billing'),
  };
  otherDriver = await createStaffUser(owner(), 'Driver');
  await createStateFunction();
});

interface Answered {
  cell: Cell;
  answer: ApiAnswer;
}

describe.each([['A', 'B'], ['B', 'A']] as const)('from tenant %s (the other tenant is %s)', (homeName, awayName) => {
  const prepared = new Map<MatrixRow, Prepared>();
  const cells = new Map<MatrixRow, Cell>();
  const answered: Answered[] = [];
  /** Cells run one at a time and nothing else writes meanwhile: the state after one cell is the state before the next. */
  let stateBefore: unknown;

  beforeAll(async () => {
    const home = tenants[homeName];
    const away = tenants[awayName];
    for (const row of AUTHORIZATION_MATRIX) cells.set(row, { row, home, away, target: row.tenant === 'other' ? away : home });
    // Every cell's target rows exist before the first request, so list cells see a full world.
    await inBatches(AUTHORIZATION_MATRIX, 8, async (row) => {
      prepared.set(row, await PREPARE[row.route](cells.get(row) as Cell));
    });
    stateBefore = await worldState();
  });

  test.each(AUTHORIZATION_MATRIX.map((row) => [`${row.route} as ${row.principal} (${row.tenant})`, row] as const))(
    '%s',
    async (_name, row) => {
      const cell = cells.get(row) as Cell;
      const answer = await send(cell, prepared.get(row) as Prepared);
      const before = stateBefore;
      const after = await worldState();
      stateBefore = after;
      answered.push({ cell, answer });
      expect({ status: answer.status, problem: answer.status >= 400 ? answer.body?.type : undefined })
        .toEqual({ status: row.expect, problem: row.expect >= 400 ? expect.any(String) : undefined });
      if (row.expect >= 400) expect(after).toEqual(before);
      else if (routeById.get(row.route)?.method !== 'GET') expect(after).not.toEqual(before);
    },
  );

  test(`no 2xx body a facility user of ${homeName} received names a row of ${awayName}`, async () => {
    const awayFacility = tenants[awayName].facility.id;
    const homeFacility = tenants[homeName].facility.id;
    const idsOf = async (facilityId: string) => {
      const { rows } = await owner().query<{ id: string }>(
        `SELECT id::text FROM facilities WHERE id = $1
         UNION ALL SELECT id::text FROM riders WHERE facility_id = $1
         UNION ALL SELECT id::text FROM contacts WHERE facility_id = $1
         UNION ALL SELECT id::text FROM users WHERE facility_id = $1
         UNION ALL SELECT id::text FROM trip_requests WHERE facility_id = $1
         UNION ALL SELECT reference_code FROM trip_requests WHERE facility_id = $1
         UNION ALL SELECT id::text FROM trip_legs WHERE facility_id = $1
         UNION ALL SELECT id::text FROM cancellation_requests WHERE facility_id = $1
         UNION ALL SELECT id::text FROM billing_records WHERE facility_id = $1`,
        [facilityId],
      );
      return rows.map((row) => row.id);
    };
    const awayIds = await idsOf(awayFacility);
    const homeIds = await idsOf(homeFacility);
    const seenByFacilityUsers = answered.filter(({ cell, answer }) =>
      isFacilityPrincipal(cell.row.principal) && answer.status < 300 && typeof answer.body === 'object');
    const leaks = seenByFacilityUsers.flatMap(({ cell, answer }) => {
      const text = JSON.stringify(answer.body);
      return awayIds.filter((id) => text.includes(id)).map((id) => `${cell.row.route} as ${cell.row.principal}: ${id}`);
    });
    expect(leaks).toEqual([]);
    // The search can fail: the same bodies do name plenty of the home tenant's rows, lists included.
    const allText = seenByFacilityUsers.map(({ answer }) => JSON.stringify(answer.body)).join('\n');
    expect(awayIds.length).toBeGreaterThan(50);
    expect(homeIds.filter((id) => allText.includes(id)).length).toBeGreaterThan(50);
    const listText = seenByFacilityUsers.filter(({ cell }) => cell.row.route.endsWith('.list'))
      .map(({ answer }) => JSON.stringify(answer.body)).join('\n');
    expect(homeIds.filter((id) => listText.includes(id)).length).toBeGreaterThan(20);
  });
});
