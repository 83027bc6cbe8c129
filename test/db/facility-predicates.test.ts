import { randomUUID } from 'node:crypto';
import { exportBillingRecords, listBillingRecords, updateBillingRecord } from '../../lambdas/api/data/billing-records';
import {
  cancellationScope, decideCancellationRequest, findCancellationRequest, findPendingCancellation, listCancellationRequests,
} from '../../lambdas/api/data/cancellation-requests';
import { findContact, listContacts, updateContact } from '../../lambdas/api/data/contacts';
import { findFacility, listFacilities, updateFacility } from '../../lambdas/api/data/facilities';
import { findLeg, legScope, listLegs, updateLeg } from '../../lambdas/api/data/legs';
import { eraseRider, findRider, listRiders, updateRider } from '../../lambdas/api/data/riders';
import {
  assertRiderBookable, findTripRequest, listTripRequests, riderKeyForSealing, tripScope, updateTripRequest,
} from '../../lambdas/api/data/trip-requests';
import {
  activateUser, deactivateUser, disabledWithinTokenLifetime, findUser, listUsers, userScope,
} from '../../lambdas/api/data/users';
import { type Route, type RouteId, routes } from '../../lambdas/api/routes';
import type { RiderKey } from '../../lambdas/shared/crypto/pii';
import type { Database, Queryable } from '../../lambdas/shared/db/port';
import { HttpProblem } from '../../lambdas/shared/http/problem';
import type { Actor, FacilityActor } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, countRows, createStaffUser, expectSqlError, privilegeRefusal, seedTenant, type TenantWorld, type UserRow,
  withActorRolledBack,
} from '../support/fixtures';
import { testPii } from '../support/keys';

/**
 * SECURITY S3, the first lock alone: tenant isolation is an explicit facility predicate in every
 * data-layer query AND forced row-level security. With RLS in place a missing predicate changes
 * no answer, so here the same data-layer functions (and the API handlers above them) run through
 * a role with the API's grants that bypasses RLS. A caller of tenant A must still get nothing of
 * tenant B's and change nothing of it; the same call for A's own rows works, so an empty answer
 * means the predicate, not a malformed call. tenant-isolation.test.ts proves the other lock alone.
 */
const db = useTestDatabase();
const pii = testPii();
const PAGE = { after: undefined, limit: 100 } as const;

let bypass: Database;
let a: TenantWorld;
let b: TenantWorld;
let billing: UserRow;
let dispatcher: UserRow;
/** Every id tenant B holds: no answer to a caller of A may contain one. */
let idsOfB: Set<string>;

beforeAll(async () => {
  const owner = db().owner;
  const driver = await createStaffUser(owner, 'Driver');
  billing = await createStaffUser(owner, 'Billing');
  dispatcher = await createStaffUser(owner, 'Dispatcher');
  a = await seedTenant(owner, { driver, name: 'Tenant A' });
  b = await seedTenant(owner, { driver, name: 'Tenant B' });
  bypass = await db().bypassingRls('api');
  const { rows } = await owner.query<{ id: string }>(
    `SELECT id::text FROM facilities WHERE id = $1
     UNION ALL SELECT id::text FROM riders WHERE facility_id = $1
     UNION ALL SELECT id::text FROM contacts WHERE facility_id = $1
     UNION ALL SELECT id::text FROM users WHERE facility_id = $1
     UNION ALL SELECT id::text FROM trip_requests WHERE facility_id = $1
     UNION ALL SELECT id::text FROM trip_legs WHERE facility_id = $1
     UNION ALL SELECT id::text FROM cancellation_requests WHERE facility_id = $1
     UNION ALL SELECT id::text FROM billing_records WHERE facility_id = $1`,
    [b.facility.id],
  );
  idsOfB = new Set(rows.map((row) => row.id));
});

const ROLES = ['FacilityAdmin', 'FacilityUser'] as const;
type FacilityRoleName = (typeof ROLES)[number];

function actorIn(world: TenantWorld, role: FacilityRoleName): FacilityActor {
  return actorOf(role === 'FacilityAdmin' ? world.admin : world.user) as FacilityActor;
}

describe('the connection has row-level security out of the way, and nothing else', () => {
  test('as tenant A, a query without a facility predicate sees tenant B\'s rows', async () => {
    const seen = await withActor(bypass, actorIn(a, 'FacilityAdmin'),
      (tx) => countRows(tx, 'SELECT 1 FROM riders WHERE facility_id = $1', [b.facility.id]));
    expect(seen).toBe(1);
  });

  test('the API login with the same context sees none of them (the other lock)', async () => {
    const seen = await withActor(db().as('api'), actorIn(a, 'FacilityAdmin'),
      (tx) => countRows(tx, 'SELECT 1 FROM riders WHERE facility_id = $1', [b.facility.id]));
    expect(seen).toBe(0);
  });

  test('its privileges are the API\'s: what nemt_api may not do is still refused', async () => {
    await expectSqlError(withActor(bypass, actorIn(a, 'FacilityAdmin'), (tx) => tx.query('DELETE FROM riders')),
      privilegeRefusal('riders'));
    await expectSqlError(withActor(bypass, actorIn(a, 'FacilityAdmin'), (tx) => tx.query('SELECT 1 FROM provider_keys')),
      privilegeRefusal('provider_keys'));
  });
});

// ---- reads: each scoped data-layer function, asked for B's rows ------------------------------------

interface ScopedRead {
  /** Asks, as `actor`, for `world`'s row (or lists, naming `world`'s facility where the function filters by one). */
  read: (tx: Queryable, actor: FacilityActor, world: TenantWorld) => Promise<{ id: string }[]>;
  /** The row of `world` the same call returns when `world` is the actor's own. */
  own: (world: TenantWorld) => string;
}

const one = async (row: Promise<{ id: string } | undefined>) => {
  const found = await row;
  return found ? [found] : [];
};
const forUpdate = { forUpdate: true } as const;

const READS: Record<string, ScopedRead> = {
  'findTripRequest': { read: (tx, actor, w) => one(findTripRequest(tx, actor, w.trip.id)), own: (w) => w.trip.id },
  'findTripRequest FOR UPDATE': { read: (tx, actor, w) => one(findTripRequest(tx, actor, w.trip.id, forUpdate)), own: (w) => w.trip.id },
  'listTripRequests': { read: (tx, actor) => listTripRequests(tx, actor, {}, PAGE), own: (w) => w.trip.id },
  'listTripRequests naming the facility': {
    read: (tx, actor, w) => listTripRequests(tx, actor, { facilityId: w.facility.id }, PAGE), own: (w) => w.trip.id,
  },
  'listTripRequests with riders, oldest first': {
    read: (tx, actor) => listTripRequests(tx, actor, { includeRider: true }, { ...PAGE, order: 'oldest' }), own: (w) => w.trip.id,
  },
  'findLeg': { read: (tx, actor, w) => one(findLeg(tx, actor, w.returnLeg.id)), own: (w) => w.returnLeg.id },
  'findLeg FOR UPDATE': { read: (tx, actor, w) => one(findLeg(tx, actor, w.returnLeg.id, forUpdate)), own: (w) => w.returnLeg.id },
  'listLegs': { read: (tx, actor) => listLegs(tx, actor, {}, PAGE), own: (w) => w.returnLeg.id },
  'listLegs of the trip': {
    read: (tx, actor, w) => listLegs(tx, actor, { tripRequestId: w.trip.id }, PAGE), own: (w) => w.returnLeg.id,
  },
  'findRider': { read: (tx, actor, w) => one(findRider(tx, actor, w.rider.id)), own: (w) => w.rider.id },
  'findRider FOR UPDATE': { read: (tx, actor, w) => one(findRider(tx, actor, w.rider.id, forUpdate)), own: (w) => w.rider.id },
  'listRiders': { read: (tx, actor) => listRiders(tx, actor, {}, PAGE), own: (w) => w.rider.id },
  'listRiders naming the facility': {
    read: (tx, actor, w) => listRiders(tx, actor, { facilityId: w.facility.id }, PAGE), own: (w) => w.rider.id,
  },
  'findContact': { read: (tx, actor, w) => one(findContact(tx, actor, w.contact.id)), own: (w) => w.contact.id },
  'findContact FOR UPDATE': { read: (tx, actor, w) => one(findContact(tx, actor, w.contact.id, forUpdate)), own: (w) => w.contact.id },
  'listContacts': { read: (tx, actor) => listContacts(tx, actor, {}, PAGE), own: (w) => w.contact.id },
  'listContacts naming the facility': {
    read: (tx, actor, w) => listContacts(tx, actor, { facilityId: w.facility.id }, PAGE), own: (w) => w.contact.id,
  },
  'findFacility': { read: (tx, actor, w) => one(findFacility(tx, actor, w.facility.id)), own: (w) => w.facility.id },
  'findFacility FOR UPDATE': { read: (tx, actor, w) => one(findFacility(tx, actor, w.facility.id, forUpdate)), own: (w) => w.facility.id },
  'listFacilities': { read: (tx, actor) => listFacilities(tx, actor, {}, PAGE), own: (w) => w.facility.id },
  'findUser': { read: (tx, actor, w) => one(findUser(tx, actor, w.admin.id)), own: (w) => w.admin.id },
  'findUser FOR UPDATE': { read: (tx, actor, w) => one(findUser(tx, actor, w.admin.id, forUpdate)), own: (w) => w.admin.id },
  'listUsers': { read: (tx, actor) => listUsers(tx, actor, {}, PAGE), own: (w) => w.admin.id },
  'listUsers naming the facility': {
    read: (tx, actor, w) => listUsers(tx, actor, { facilityId: w.facility.id }, PAGE), own: (w) => w.admin.id,
  },
  'findCancellationRequest': {
    read: (tx, actor, w) => one(findCancellationRequest(tx, actor, w.cancellation.id)), own: (w) => w.cancellation.id,
  },
  'findCancellationRequest FOR UPDATE': {
    read: (tx, actor, w) => one(findCancellationRequest(tx, actor, w.cancellation.id, forUpdate)), own: (w) => w.cancellation.id,
  },
  'listCancellationRequests': { read: (tx, actor) => listCancellationRequests(tx, actor, {}, PAGE), own: (w) => w.cancellation.id },
  'listCancellationRequests of the trip': {
    read: (tx, actor, w) => listCancellationRequests(tx, actor, { tripRequestId: w.pendingTrip.id }, PAGE),
    own: (w) => w.cancellation.id,
  },
  'findPendingCancellation (the facility from the caller, the trip from the request)': {
    read: async (tx, actor, w) => {
      const id = await findPendingCancellation(tx, actor.facilityId, w.pendingTrip.id);
      return id ? [{ id }] : [];
    },
    own: (w) => w.cancellation.id,
  },
  'the scope builders, on their own tables (tripScope, legScope, cancellationScope, userScope)': {
    read: async (tx, actor) => {
      const scoped = async (where: ReturnType<typeof tripScope>, from: string) =>
        (await tx.query<{ id: string }>(`SELECT id FROM ${from} ${where.sql()}`, where.values as never)).rows;
      return [
        ...await scoped(tripScope(actor), 'trip_requests'),
        ...await scoped(legScope(actor), 'trip_legs l'),
        ...await scoped(cancellationScope(actor), 'cancellation_requests'),
        ...await scoped(userScope(actor), 'users'),
      ];
    },
    own: (w) => w.cancellation.id,
  },
};

describe.each(ROLES)('reads as tenant A\'s %s, row-level security bypassed', (role) => {
  test.each(Object.keys(READS))('%s: nothing of tenant B\'s', async (name) => {
    const { read } = READS[name] as ScopedRead;
    const rows = await withActor(bypass, actorIn(a, role), (tx) => read(tx, actorIn(a, role), b));
    expect(rows.map((row) => row.id).filter((id) => idsOfB.has(id))).toEqual([]);
  });

  test.each(Object.keys(READS))('%s: the same call finds tenant A\'s own row', async (name) => {
    const { read, own } = READS[name] as ScopedRead;
    const rows = await withActor(bypass, actorIn(a, role), (tx) => read(tx, actorIn(a, role), a));
    expect(rows.map((row) => row.id)).toContain(own(a));
  });
});

describe('checks that take the facility from the caller and an id from the request', () => {
  const admin = () => actorIn(a, 'FacilityAdmin');

  test('assertRiderBookable: tenant B\'s rider is not found for tenant A (404), A\'s own is', async () => {
    const refusal = await withActor(bypass, admin(), (tx) => assertRiderBookable(tx, admin().facilityId, b.rider.id))
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(HttpProblem);
    expect({ status: (refusal as HttpProblem).status, slug: (refusal as HttpProblem).slug }).toEqual({ status: 404, slug: 'not-found' });
    await expect(withActor(bypass, admin(), (tx) => assertRiderBookable(tx, admin().facilityId, a.rider.id))).resolves.toBeUndefined();
  });

  test('disabledWithinTokenLifetime: tenant B\'s user, named with A\'s facility, is not read (counts as recent); A\'s own is', async () => {
    const disabledLongAgo = async (tx: Queryable, userId: string) => {
      await tx.query(`UPDATE users SET active = false, disabled_at = now() - interval '1 day' WHERE id = $1`, [userId]);
    };
    const answers = await withActorRolledBack(bypass, admin(), async (tx) => {
      await disabledLongAgo(tx, b.user.id);
      await disabledLongAgo(tx, a.user.id);
      return {
        ofB: await disabledWithinTokenLifetime(tx, { id: b.user.id, facility_id: admin().facilityId }),
        ofA: await disabledWithinTokenLifetime(tx, { id: a.user.id, facility_id: admin().facilityId }),
      };
    });
    // B's own answer would be false (long ago): true means B's row was never read.
    expect(answers).toEqual({ ofB: true, ofA: false });
  });

  test('riderKeyForSealing: tenant B\'s wrapped key is never read for tenant A; A\'s own rider\'s key is', async () => {
    const opened = jest.spyOn(pii, 'openRiderKey');
    try {
      await withActor(bypass, admin(), (tx) => riderKeyForSealing(pii, tx, admin().facilityId, b.rider.id)).catch(() => undefined);
      await withActor(bypass, admin(), (tx) => riderKeyForSealing(pii, tx, admin().facilityId, a.rider.id));
      expect(opened.mock.calls.map(([, facilityId, riderId, wrapped]) => ({ facilityId, riderId, read: wrapped !== null })))
        .toEqual([
          { facilityId: a.facility.id, riderId: b.rider.id, read: false },
          { facilityId: a.facility.id, riderId: a.rider.id, read: true },
        ]);
    } finally {
      opened.mockRestore();
    }
  });
});

// ---- writes that name the row's tenant: B's row with A's facility changes nothing ----------------------

interface ScopedWrite {
  table: 'trip_legs' | 'riders' | 'cancellation_requests' | 'trip_requests' | 'contacts' | 'users' | 'billing_records';
  /** Who writes: the role that makes this change through the API (RLS is out of the way, so it cannot be what refuses). */
  as: () => Actor;
  /** The row of `world` the write targets. */
  target: (world: TenantWorld) => string;
  /** Puts the target in the state the write changes (in the same rolled-back transaction), when the seed is not in it. */
  prepare?: (tx: Queryable, world: TenantWorld) => Promise<void>;
  /** Writes `world`'s row naming `facilityId` (tenant A's) as the row's tenant; returns the row written, if any. */
  write: (tx: Queryable, facilityId: string, world: TenantWorld) => Promise<{ id: string } | undefined>;
}

const riderKeyOfA = (tx: Queryable, facilityId: string): Promise<RiderKey> => riderKeyForSealing(pii, tx, facilityId, a.rider.id);
const adminOfA = () => actorOf(a.admin);

const WRITES: Record<string, ScopedWrite> = {
  // Leg changes are a Dispatcher's (schema/0024 lets facility roles only withdraw their own series'
  // legs): the predicate is the facility id the write names, whoever writes.
  updateLeg: {
    table: 'trip_legs', as: () => actorOf(dispatcher), target: (w) => w.returnLeg.id,
    write: (tx, facilityId, w) => updateLeg(tx, { id: w.returnLeg.id, facility_id: facilityId }, { pickup_address: '9 Taken Over Rd' }),
  },
  updateRider: {
    table: 'riders', as: adminOfA, target: (w) => w.rider.id,
    write: async (tx, facilityId, w) =>
      updateRider(pii, tx, { id: w.rider.id, facility_id: facilityId }, await riderKeyOfA(tx, facilityId), { mobility: 'stretcher' }),
  },
  eraseRider: {
    table: 'riders', as: adminOfA, target: (w) => w.rider.id,
    write: (tx, facilityId, w) => eraseRider(tx, { id: w.rider.id, facility_id: facilityId }),
  },
  decideCancellationRequest: {
    table: 'cancellation_requests', as: adminOfA, target: (w) => w.cancellation.id,
    write: (tx, facilityId, w) => decideCancellationRequest(tx, { id: w.cancellation.id, facility_id: facilityId },
      { status: 'denied', decidedBy: a.admin.id, reason: 'Taken over' }),
  },
  updateTripRequest: {
    table: 'trip_requests', as: adminOfA, target: (w) => w.pendingTrip.id,
    write: (tx, facilityId, w) => updateTripRequest(tx, { id: w.pendingTrip.id, facility_id: facilityId }, { pickup_address: '9 Taken Over Rd' }),
  },
  updateContact: {
    table: 'contacts', as: adminOfA, target: (w) => w.contact.id,
    write: (tx, facilityId, w) => updateContact(tx, { id: w.contact.id, facility_id: facilityId }, { fullName: 'Taken Over' }),
  },
  deactivateUser: {
    table: 'users', as: adminOfA, target: (w) => w.user.id,
    write: (tx, facilityId, w) => deactivateUser(tx, { id: w.user.id, facility_id: facilityId }),
  },
  activateUser: {
    table: 'users', as: adminOfA, target: (w) => w.user.id,
    prepare: async (tx, w) => {
      await tx.query(`UPDATE users SET active = false, disabled_at = now() - interval '1 day' WHERE id = $1`, [w.user.id]);
    },
    write: (tx, facilityId, w) => activateUser(tx, { id: w.user.id, facility_id: facilityId }),
  },
  'updateBillingRecord (Billing staff)': {
    table: 'billing_records', as: () => actorOf(billing), target: (w) => w.billingRecord.id,
    write: (tx, facilityId, w) => updateBillingRecord(tx, { id: w.billingRecord.id, facility_id: facilityId }, { note: 'Taken over' }),
  },
};

const rowOf = async (tx: Queryable, table: string, id: string) =>
  (await tx.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE id = $1`, [id])).rows[0]?.row;

describe('writes naming tenant A\'s facility, row-level security bypassed (each rolled back)', () => {
  test.each(Object.keys(WRITES))('%s: tenant B\'s row, named with A\'s facility, is left as it was', async (name) => {
    const { table, as, target, prepare, write } = WRITES[name] as ScopedWrite;
    const { before, written, after } = await withActorRolledBack(bypass, as(), async (tx) => {
      await prepare?.(tx, b);
      const seen = await rowOf(tx, table, target(b));
      return { before: seen, written: await write(tx, a.facility.id, b), after: await rowOf(tx, table, target(b)) };
    });
    expect(before).toEqual(expect.objectContaining({ id: target(b) }));
    expect({ written, after }).toEqual({ written: undefined, after: before });
  });

  test.each(Object.keys(WRITES))('%s: the same write of tenant A\'s own row goes through', async (name) => {
    const { table, as, target, prepare, write } = WRITES[name] as ScopedWrite;
    const { before, written, after } = await withActorRolledBack(bypass, as(), async (tx) => {
      await prepare?.(tx, a);
      const seen = await rowOf(tx, table, target(a));
      return { before: seen, written: await write(tx, a.facility.id, a), after: await rowOf(tx, table, target(a)) };
    });
    expect(written?.id).toBe(target(a));
    expect(after).not.toEqual(before);
  });
});

describe('user writes of staff (no facility): the tenant named must be none', () => {
  const asDispatcher = (): Actor => actorOf(dispatcher);

  test('deactivateUser of a staff user named with tenant A\'s facility changes nothing; named as staff it works', async () => {
    const { wrongTenant, asStaff } = await withActorRolledBack(bypass, asDispatcher(), async (tx) => ({
      wrongTenant: await deactivateUser(tx, { id: billing.id, facility_id: a.facility.id }),
      asStaff: await deactivateUser(tx, { id: billing.id, facility_id: null }),
    }));
    expect({ wrongTenant, asStaff: asStaff && { id: asStaff.id, active: asStaff.active } })
      .toEqual({ wrongTenant: undefined, asStaff: { id: billing.id, active: false } });
  });

  test('deactivateUser of tenant B\'s user named as staff changes nothing', async () => {
    const { written, after } = await withActorRolledBack(bypass, asDispatcher(), async (tx) => ({
      written: await deactivateUser(tx, { id: b.user.id, facility_id: null }),
      after: await rowOf(tx, 'users', b.user.id),
    }));
    expect({ written, after }).toEqual({ written: undefined, after: expect.objectContaining({ id: b.user.id, active: true }) });
  });
});

describe('updateFacility (Dispatcher only): a facility\'s own id is its tenant', () => {
  test('changing tenant A changes A and leaves every other facility as it was', async () => {
    const others = (tx: Queryable) => tx.query<{ rows: unknown }>(
      'SELECT jsonb_agg(to_jsonb(f) ORDER BY id) AS rows FROM facilities f WHERE id <> $1', [a.facility.id]);
    const { before, written, after } = await withActorRolledBack(bypass, actorOf(dispatcher), async (tx) => ({
      before: (await others(tx)).rows[0]?.rows,
      written: await updateFacility(tx, { id: a.facility.id }, { name: 'Renamed A' }),
      after: (await others(tx)).rows[0]?.rows,
    }));
    expect(before).toEqual(expect.arrayContaining([expect.objectContaining({ id: b.facility.id })]));
    expect({ written: written && { id: written.id, name: written.name }, after })
      .toEqual({ written: { id: a.facility.id, name: 'Renamed A' }, after: before });
  });
});

// ---- staff lists filtered by facility: the filter alone keeps the other tenant out ---------------------

describe('billing records (staff only, no tenant scope): the facility filter holds on its own', () => {
  const asBilling = (): Actor => actorOf(billing);

  test('listBillingRecords for tenant A returns A\'s record and nothing of B\'s', async () => {
    const rows = await withActor(bypass, asBilling(), (tx) => listBillingRecords(tx, { facilityId: a.facility.id }, PAGE));
    expect(rows.map((row) => row.id)).toEqual([a.billingRecord.id]);
  });

  test('exportBillingRecords for tenant A returns A\'s record and nothing of B\'s', async () => {
    const rows = await withActor(bypass, asBilling(), (tx) => exportBillingRecords(tx, { facilityId: a.facility.id }, 100));
    expect(rows.map((row) => row.id)).toEqual([a.billingRecord.id]);
  });
});

// ---- the handlers' own predicates: the API itself over the bypassing connection --------------------------

const routeById = new Map<string, Route>(routes.map((route) => [route.id, route]));

interface Attempt {
  route: RouteId;
  params?: Record<string, string>;
  body?: unknown;
  /** The row whose version goes into If-Match (read when sent). */
  versionOf?: { table: 'trip_requests' | 'riders' | 'contacts'; id: string };
}

/**
 * Tenant A's FacilityAdmin reaching for tenant B: B's rows by id, and A's own requests naming B's
 * rider or contact (the handlers check those with the caller's facility). Each is valid but for
 * the tenant, and each must answer 404 as if B's row did not exist.
 */
const ATTEMPTS: Record<string, (world: TenantWorld) => Attempt> = {
  'a trip for B\'s rider': (w) => ({ route: 'tripRequests.create', body: tripBody(w.rider.id) }),
  'a trip naming B\'s contact': (w) => ({ route: 'tripRequests.create', body: { ...tripBody(a.rider.id), contactId: w.contact.id } }),
  'A\'s trip changed to name B\'s contact': (w) => ({
    route: 'tripRequests.update', params: { tripRequestId: a.pendingTrip.id }, body: { contactId: w.contact.id },
    versionOf: { table: 'trip_requests', id: a.pendingTrip.id },
  }),
  'a user of A tied to B\'s contact': (w) => ({
    route: 'users.create', body: { email: `intruder-${randomUUID()}@example.test`, displayName: 'Intruder', role: 'FacilityUser',
      contactId: w.contact.id },
  }),
  'B\'s trip': (w) => ({ route: 'tripRequests.get', params: { tripRequestId: w.trip.id } }),
  'B\'s trip changed': (w) => ({
    route: 'tripRequests.update', params: { tripRequestId: w.pendingTrip.id }, body: { pickupAddress: '9 Taken Over Rd' },
    versionOf: { table: 'trip_requests', id: w.pendingTrip.id },
  }),
  'B\'s trip history': (w) => ({ route: 'tripRequests.history', params: { tripRequestId: w.trip.id } }),
  'a cancellation of B\'s trip': (w) => ({
    route: 'cancellations.create', params: { tripRequestId: w.trip.id }, body: { reasonCode: 'booked_by_mistake' },
  }),
  'B\'s leg': (w) => ({ route: 'legs.get', params: { legId: w.returnLeg.id } }),
  'B\'s rider': (w) => ({ route: 'riders.get', params: { riderId: w.rider.id } }),
  'B\'s rider changed': (w) => ({ route: 'riders.update', params: { riderId: w.rider.id }, body: { mobility: 'stretcher' },
    versionOf: { table: 'riders', id: w.rider.id } }),
  'B\'s rider erased': (w) => ({ route: 'riders.erase', params: { riderId: w.rider.id },
    versionOf: { table: 'riders', id: w.rider.id } }),
  'B\'s rider exported': (w) => ({ route: 'riders.export', params: { riderId: w.rider.id } }),
  'B\'s contact': (w) => ({ route: 'contacts.get', params: { contactId: w.contact.id } }),
  'B\'s contact changed': (w) => ({ route: 'contacts.update', params: { contactId: w.contact.id }, body: { fullName: 'Taken Over' },
    versionOf: { table: 'contacts', id: w.contact.id } }),
  'B\'s facility': (w) => ({ route: 'facilities.get', params: { facilityId: w.facility.id } }),
  'B\'s user disabled': (w) => ({ route: 'users.disable', params: { userId: w.user.id }, body: {} }),
  'B\'s user enabled': (w) => ({ route: 'users.enable', params: { userId: w.user.id }, body: {} }),
};

function tripBody(riderId: string) {
  return { riderId, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd', appointmentAt: '2031-03-01T15:00:00Z' };
}

describe('the API as tenant A\'s FacilityAdmin, row-level security bypassed', () => {
  let api: TestApi;
  let bBefore: unknown;

  const versionOf = async ({ table, id }: NonNullable<Attempt['versionOf']>) =>
    (await db().owner.query<{ version: number }>(`SELECT version FROM ${table} WHERE id = $1`, [id])).rows[0]?.version;

  const send = async (attempt: Attempt) => {
    const route = routeById.get(attempt.route) as Route;
    const path = route.path.replace(/\{(\w+)\}/g, (_whole, name: string) => attempt.params?.[name] ?? '');
    const headers: Record<string, string> = {
      ...(attempt.versionOf ? { 'If-Match': `"${await versionOf(attempt.versionOf)}"` } : {}),
      ...('idempotent' in route && route.idempotent ? { 'Idempotency-Key': `predicates-${randomUUID()}` } : {}),
    };
    return api.call(route.method, path, { as: actorIn(a, 'FacilityAdmin'), body: attempt.body, headers });
  };

  const snapshotOfB = async () => (await db().owner.query<{ rows: unknown }>(
    `SELECT jsonb_build_object(
       'trips', (SELECT jsonb_agg(to_jsonb(t) ORDER BY id) FROM trip_requests t WHERE facility_id = $1),
       'legs', (SELECT jsonb_agg(to_jsonb(l) ORDER BY id) FROM trip_legs l WHERE facility_id = $1),
       'riders', (SELECT jsonb_agg(to_jsonb(r) ORDER BY id) FROM riders r WHERE facility_id = $1),
       'contacts', (SELECT jsonb_agg(to_jsonb(c) ORDER BY id) FROM contacts c WHERE facility_id = $1),
       'users', (SELECT jsonb_agg(to_jsonb(u) ORDER BY id) FROM users u WHERE facility_id = $1),
       'cancellations', (SELECT jsonb_agg(to_jsonb(c) ORDER BY id) FROM cancellation_requests c WHERE facility_id = $1),
       'audit', (SELECT count(*) FROM audit_events WHERE facility_id = $1)) AS rows`, [b.facility.id])).rows[0]?.rows;

  beforeAll(async () => {
    api = createTestApi(bypass);
    bBefore = await snapshotOfB();
  });

  test.each(Object.keys(ATTEMPTS))('%s: 404, as if it did not exist', async (name) => {
    const answer = await send((ATTEMPTS[name] as (world: TenantWorld) => Attempt)(b));
    expect({ status: answer.status, type: answer.body?.type }).toEqual({ status: 404, type: 'urn:nemt:problem:not-found' });
  });

  test.each(['tripRequests.get', 'legs.get', 'riders.get', 'contacts.get', 'facilities.get', 'tripRequests.history', 'riders.export'])(
    'the same %s of tenant A\'s own row answers 200 (the requests are well formed)', async (routeId) => {
      const attempt = Object.values(ATTEMPTS).map((make) => make(a)).find((candidate) => candidate.route === routeId) as Attempt;
      expect((await send(attempt)).status).toBe(200);
    });

  test.each(['tripRequests.list', 'legs.list', 'riders.list', 'contacts.list', 'users.list', 'cancellations.list'] as const)(
    '%s names nothing of tenant B\'s and some of A\'s', async (routeId) => {
      const answer = await send({ route: routeId });
      expect(answer.status).toBe(200);
      const ids = (answer.body.items as { id: string }[]).map((item) => item.id);
      expect({ ofB: ids.filter((id) => idsOfB.has(id)), any: ids.length > 0 }).toEqual({ ofB: [], any: true });
    });

  test('tenant B\'s rows are as they were after every attempt', async () => {
    expect(await snapshotOfB()).toEqual(bBefore);
  });
});
