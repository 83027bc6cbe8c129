import { randomUUID } from 'node:crypto';
import type { Database } from '../lambdas/shared/db/port';
import type { Actor, FacilityActor, Role, StaffActor } from '../lambdas/shared/tenancy/actor';
import type { LocalIssuer } from './issuer';
import type { LocalGateway } from './server';

/**
 * Demo data for the local stack, created the way real data is: through the API handlers in
 * process, with tokens from the local issuer, so every row carries its audit chain and outbox
 * rows exactly as in production. Two things have no API and are written as the owner: the first
 * Dispatcher (someone must exist to call the API; in AWS an operator creates that account) and
 * the facility contact.
 */
export const DEMO_USERS = {
  dispatcher: { role: 'Dispatcher', email: 'dispatcher@nemt.example', displayName: 'Dana Dispatcher' },
  driver: { role: 'Driver', email: 'driver@nemt.example', displayName: 'Devon Driver' },
  billing: { role: 'Billing', email: 'billing@nemt.example', displayName: 'Bailey Billing' },
  riversideAdmin: { role: 'FacilityAdmin', email: 'admin@riverside.example', displayName: 'Riley Admin' },
  riversideScheduler: { role: 'FacilityUser', email: 'scheduler@riverside.example', displayName: 'Morgan Reyes' },
  oakGroveAdmin: { role: 'FacilityAdmin', email: 'admin@oakgrove.example', displayName: 'Olivia Admin' },
} as const satisfies Record<string, { role: Role; email: string; displayName: string }>;

export const DEMO_EMAILS: readonly string[] = Object.values(DEMO_USERS).map((user) => user.email);

export interface SeedSummary {
  tenants: number;
  users: number;
  riders: number;
  trips: number;
}

/** True when the database holds no tenant and no user: the only state the seed writes into. */
export async function isEmpty(owner: Database): Promise<boolean> {
  const { rows } = await owner.query<{ empty: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM facilities) AS empty',
  );
  return rows[0]?.empty === true;
}

interface Versioned {
  id: string;
  version: number;
}

class SeedStepFailed extends Error {}

/** Calls the gateway as an actor; any answer but 2xx stops the seed with what the API said. */
function apiAs(gateway: LocalGateway, issuer: LocalIssuer) {
  return async <T = Versioned>(actor: Actor, method: string, url: string, body?: unknown): Promise<T> => {
    const answer = await gateway.dispatch({
      method,
      url,
      headers: {
        authorization: `Bearer ${issuer.mint(actor)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.status >= 300) {
      throw new SeedStepFailed(`seed: ${method} ${url.split('?')[0]} as ${actor.role} answered ${answer.status}: ${answer.body}`);
    }
    return JSON.parse(answer.body.toString()) as T;
  };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

export async function seedDemoData(options: { owner: Database; gateway: LocalGateway; issuer: LocalIssuer }): Promise<SeedSummary> {
  const { owner } = options;
  const api = apiAs(options.gateway, options.issuer);

  const dispatcher: StaffActor = { role: 'Dispatcher', sub: randomUUID() };
  await owner.query(
    `INSERT INTO users (id, role, facility_id, contact_id, email, display_name) VALUES ($1, 'Dispatcher', NULL, NULL, $2, $3)`,
    [dispatcher.sub, DEMO_USERS.dispatcher.email, DEMO_USERS.dispatcher.displayName],
  );

  // Tenants: two facilities and one private-pay rider's own tenant.
  const riverside = await api(dispatcher, 'POST', '/v1/facilities',
    { kind: 'facility', name: 'Riverside Dialysis Center', address: '400 Riverside Drive, Springfield', notifyDriverEnRoute: true });
  const oakGrove = await api(dispatcher, 'POST', '/v1/facilities',
    { kind: 'facility', name: 'Oak Grove Senior Living', address: '77 Oak Grove Lane, Springfield' });
  const individual = await api(dispatcher, 'POST', '/v1/facilities', { kind: 'individual', name: 'Private-pay rider' });

  const { rows } = await owner.query<{ id: string }>(
    'INSERT INTO contacts (facility_id, full_name, phone, email) VALUES ($1, $2, $3, $4) RETURNING id',
    [riverside.id, DEMO_USERS.riversideScheduler.displayName, '+15550100001', DEMO_USERS.riversideScheduler.email],
  );
  const contactId = (rows[0] as { id: string }).id;

  // Users: every role, each created through the API by whoever may create it.
  const createUser = async (creator: Actor, user: { role: Role; email: string; displayName: string }, extra = {}) =>
    (await api<{ id: string }>(creator, 'POST', '/v1/users', { ...user, ...extra })).id;
  const driver: StaffActor = { role: 'Driver', sub: await createUser(dispatcher, DEMO_USERS.driver) };
  const billing: StaffActor = { role: 'Billing', sub: await createUser(dispatcher, DEMO_USERS.billing) };
  const riversideAdmin: FacilityActor = {
    role: 'FacilityAdmin', facilityId: riverside.id,
    sub: await createUser(dispatcher, DEMO_USERS.riversideAdmin, { facilityId: riverside.id }),
  };
  const scheduler: FacilityActor = {
    role: 'FacilityUser', facilityId: riverside.id, contactId,
    sub: await createUser(riversideAdmin, DEMO_USERS.riversideScheduler, { contactId }),
  };
  const oakGroveAdmin: FacilityActor = {
    role: 'FacilityAdmin', facilityId: oakGrove.id,
    sub: await createUser(dispatcher, DEMO_USERS.oakGroveAdmin, { facilityId: oakGrove.id }),
  };

  // Riders (fictional people; 555-01xx numbers are reserved for fiction).
  const alex = await api(scheduler, 'POST', '/v1/riders',
    { fullName: 'Alex Johnson', phone: '+15550100101', mobility: 'ambulatory', notifyChannel: 'sms', notifyConsent: true });
  const maria = await api(riversideAdmin, 'POST', '/v1/riders',
    { fullName: 'Maria Garcia', email: 'maria.garcia@mail.example', mobility: 'wheelchair', notifyChannel: 'email', notifyConsent: true });
  const walter = await api(oakGroveAdmin, 'POST', '/v1/riders',
    { fullName: 'Walter Brooks', phone: '+15550100201', mobility: 'wheelchair', notifyChannel: 'sms', notifyConsent: true });
  const sam = await api(dispatcher, 'POST', '/v1/riders',
    { facilityId: individual.id, fullName: 'Sam Lee', phone: '+15550100301', notifyChannel: 'sms', notifyConsent: true });

  const nextHour = Math.ceil(Date.now() / HOUR) * HOUR;
  const trip = (actor: Actor, rider: Versioned, appointmentMs: number, extra: Record<string, unknown> = {}) =>
    api(actor, 'POST', '/v1/trip-requests', {
      riderId: rider.id, pickupAddress: '12 Elm Street, Springfield', dropoffAddress: '400 Riverside Drive, Springfield',
      appointmentAt: iso(appointmentMs), ...extra,
    });
  const schedule = (tripId: string, outboundPickupMs: number, extra: Record<string, unknown> = {}) =>
    api(dispatcher, 'POST', `/v1/trip-requests/${tripId}/schedule`, {
      outbound: { pickupAt: iso(outboundPickupMs), dropoffAt: iso(outboundPickupMs + 45 * MINUTE) }, ...extra,
    });
  const outboundLeg = async (tripId: string) =>
    (await api<{ items: Versioned[] }>(dispatcher, 'GET', `/v1/legs?tripRequestId=${tripId}&limit=1`)).items[0] as Versioned;

  // The fleet: two sedans, two wheelchair vans (one with a bariatric lift and oxygen), a stretcher
  // van; each with the reading its odometer showed when it joined the fleet.
  const vehicle = async (name: string, plate: string, kind: string, capabilities: Record<string, number | boolean>, reading: number) => {
    const created = await api(dispatcher, 'POST', '/v1/vehicles', { name, plate, kind, capabilities });
    await api(dispatcher, 'POST', `/v1/vehicles/${created.id}/odometer-corrections`, { reading, reason: 'Reading when it joined the fleet' });
    return created;
  };
  const noLift = { wheelchairPositions: 0, bariatric: false, stretcher: false };
  const sedan = await vehicle('Sedan 1', 'NEMT-101', 'sedan', { ambulatorySeats: 3, ...noLift, oxygen: false }, 15230);
  await vehicle('Sedan 2', 'NEMT-102', 'sedan', { ambulatorySeats: 3, ...noLift, oxygen: false }, 48210.3);
  const van = await vehicle('Van 3', 'NEMT-203', 'wheelchair_van',
    { ambulatorySeats: 2, wheelchairPositions: 2, bariatric: false, stretcher: false, oxygen: false }, 30112);
  await vehicle('Van 4', 'NEMT-204', 'wheelchair_van',
    { ambulatorySeats: 2, wheelchairPositions: 1, bariatric: true, stretcher: false, oxygen: true }, 8740.6);
  await vehicle('Stretcher 5', 'NEMT-305', 'stretcher_van',
    { ambulatorySeats: 1, wheelchairPositions: 0, bariatric: false, stretcher: true, oxygen: true }, 61500);

  // 1. Requested: waiting for a dispatcher.
  await trip(scheduler, alex, nextHour + 3 * DAY);

  // 2. Scheduled with both legs, not yet assigned.
  const mariaAppointment = nextHour + 2 * DAY;
  const scheduled = await trip(scheduler, maria, mariaAppointment, { returnTrip: 'scheduled' });
  await schedule(scheduled.id, mariaAppointment - HOUR, {
    return: { pickupAt: iso(mariaAppointment + 3 * HOUR), dropoffAt: iso(mariaAppointment + 3 * HOUR + 45 * MINUTE) },
  });

  // 3. Scheduled and assigned to the driver.
  const walterAppointment = nextHour + DAY;
  const assigned = await trip(oakGroveAdmin, walter, walterAppointment);
  await schedule(assigned.id, walterAppointment - HOUR);
  await api(dispatcher, 'PUT', `/v1/legs/${(await outboundLeg(assigned.id)).id}/assignment`, { driverId: driver.sub, vehicleId: van.id });

  // 4. Completed, its billing record priced and ready to invoice. The API takes no pickup in the
  // past, so its slot is the current minute and the driver took it early (the actual times).
  const samPickup = Math.floor(Date.now() / MINUTE) * MINUTE;
  const completed = await trip(dispatcher, sam, samPickup + HOUR, { facilityId: individual.id });
  await schedule(completed.id, samPickup);
  const samLeg = await outboundLeg(completed.id);
  await api(dispatcher, 'PUT', `/v1/legs/${samLeg.id}/assignment`, { driverId: driver.sub, vehicleId: sedan.id });
  for (const status of ['en_route', 'arrived', 'picked_up']) {
    await api(driver, 'POST', `/v1/legs/${samLeg.id}/status-events`, { status });
  }
  await api(driver, 'POST', `/v1/legs/${samLeg.id}/completion`, {
    actualPickupAt: iso(samPickup - 45 * MINUTE), actualDropoffAt: iso(samPickup - 10 * MINUTE),
    odometerStart: 15230, odometerEnd: 15242.4, notes: 'Rider assisted to the door.',
  });
  const records = await api<{ items: (Versioned & { tripRequestId: string })[] }>(billing, 'GET', '/v1/billing-records?status=pending');
  const record = records.items.find((item) => item.tripRequestId === completed.id);
  if (!record) throw new SeedStepFailed('seed: completing the leg created no billing record');
  await api(billing, 'POST', `/v1/billing-records/${record.id}/transitions`, { to: 'ready', amountCents: 4850 });

  return { tenants: 3, users: Object.keys(DEMO_USERS).length, riders: 4, trips: 4 };
}
