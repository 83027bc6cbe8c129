import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../shared/audit/record';
import type { Queryable } from '../../shared/db/port';
import { Problems } from '../../shared/http/problem';
import type { IdentityAdmin, NewIdentity } from '../../shared/identity/port';
import { logger } from '../../shared/log';
import { type Actor, isFacilityActor, isStaffRole, type Role } from '../../shared/tenancy/actor';
import {
  type FacilityChanges, findFacility, insertFacility, listFacilities, toFacility, updateFacility,
} from '../data/facilities';
import {
  findRider, insertRider, listRiders, openRider, openRiderWith, prepareRiders, RIDER_PII_FIELDS, RIDER_PLAIN_COLUMNS, type RiderField,
  type RiderFilters, type RiderPiiField, type RiderPlainField, type RiderValues, toRider, updateRider,
} from '../data/riders';
import {
  activateUser, deactivateUser, disabledWithinTokenLifetime, emailInUse, emailRegistered, findUser, insertUser, listUsers, toUser,
  type UserRow,
} from '../data/users';
import { ACCESS_TOKEN_MAX_MINUTES } from '../../shared/auth/token-lifetime';
import type { HandlerTable } from '../handler-types';
import { ONLY_FACILITIES_HAVE_AN_ADDRESS } from '../schemas/admin';
import { decodeCursor, openedPageOf, pageOf } from './pagination';
import { assertVersion, found, tenantForCreate } from './support';
import { contactOf } from '../data/contacts';

type DirectoryHandlers = Pick<HandlerTable,
  'facilities.list' | 'facilities.create' | 'facilities.get' | 'facilities.update' | 'riders.list' | 'riders.create' |
  'riders.get' | 'riders.update' | 'users.list' | 'users.create' | 'users.disable' | 'users.enable'>;

export const directoryHandlers: DirectoryHandlers = {
  // ---- facilities (tenants): managed by dispatchers; facility roles may read their own ---------

  'facilities.list': async ({ actor, query, tx }) => {
    const rows = await listFacilities(tx, actor, query, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toFacility, (row) => [row.cursor_at, row.id]) };
  },

  'facilities.create': async ({ body, tx, audit }) => {
    const facility = await insertFacility(tx, { kind: body.kind, name: body.name, address: body.address,
      notifyDriverEnRoute: body.notifyDriverEnRoute, notifyRideReminder: body.notifyRideReminder });
    // The new tenant's chain starts with its own creation.
    await audit({ facilityId: facility.id, entityType: 'facility', entityId: facility.id, action: 'facility.created',
      details: { kind: facility.kind } });
    return { body: toFacility(facility), version: facility.version };
  },

  'facilities.get': async ({ actor, params, tx }) => {
    const facility = found(await findFacility(tx, actor, params.facilityId), 'facility');
    return { body: toFacility(facility), version: facility.version };
  },

  'facilities.update': async ({ actor, params, body, ifMatch, tx, audit }) => {
    const facility = found(await findFacility(tx, actor, params.facilityId, { forUpdate: true }), 'facility');
    assertVersion(ifMatch, facility.version);
    if (body.address && facility.kind !== 'facility') {
      throw Problems.validation([{ path: 'address', message: ONLY_FACILITIES_HAVE_AN_ADDRESS }]);
    }
    const requested: FacilityChanges = {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.address !== undefined ? { address: body.address } : {}),
      ...(body.notifyDriverEnRoute !== undefined ? { notify_driver_en_route: body.notifyDriverEnRoute } : {}),
      ...(body.notifyRideReminder !== undefined ? { notify_ride_reminder: body.notifyRideReminder } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    };
    const changes = Object.fromEntries(
      Object.entries(requested).filter(([column, value]) => facility[column as keyof FacilityChanges] !== value),
    ) as FacilityChanges;
    if (Object.keys(changes).length === 0) return { body: toFacility(facility), version: facility.version };
    const updated = found(await updateFacility(tx, facility, changes), 'facility');
    await audit({ facilityId: facility.id, entityType: 'facility', entityId: facility.id, action: 'facility.updated',
      ...(changes.active !== undefined ? { fromState: stateOf(facility.active), toState: stateOf(updated.active) } : {}),
      details: { fields: Object.keys(changes).sort() } });
    return { body: toFacility(updated), version: updated.version };
  },

  // ---- riders: dispatchers for any tenant, facility roles for their own ---------------------------

  'riders.list': async ({ actor, query, tx, deps }) => {
    if (isFacilityActor(actor) && query.facilityId) {
      throw Problems.invalidParameters([{ path: 'facilityId', message: 'Your facility comes from your account' }]);
    }
    const filters: RiderFilters = { facilityId: query.facilityId };
    if (query.phone !== undefined || query.email !== undefined) {
      // Blind indexes are keyed per tenant: an exact match exists only within one facility.
      const facilityId = isFacilityActor(actor) ? actor.facilityId : query.facilityId;
      if (!facilityId) {
        throw Problems.invalidParameters([{ path: query.phone !== undefined ? 'phone' : 'email',
          message: 'Name the facility: phone and email match within one tenant' }]);
      }
      // Under every live key version: during a rotation a rider is indexed under the old or the new one.
      const tenantKeys = await deps.pii.liveTenantKeys(tx, facilityId);
      if (tenantKeys.length === 0) return { body: { items: [], nextCursor: null } };
      const { phone, email } = query;
      if (phone !== undefined) filters.phoneIndexes = tenantKeys.map((key) => deps.pii.phoneIndex(key, phone));
      if (email !== undefined) filters.emailIndexes = tenantKeys.map((key) => deps.pii.emailIndex(key, email));
    }
    const rows = await listRiders(tx, actor, filters, { after: decodeCursor(query.cursor), limit: query.limit });
    return {
      body: await openedPageOf(rows, query.limit, (page) => prepareRiders(deps.pii, tx, page), toRider, (view) => [view.cursor_at, view.id]),
    };
  },

  'riders.create': async ({ actor, body, tx, audit, deps }) => {
    const facilityId = tenantForCreate(actor, body.facilityId);
    found(await findFacility(tx, actor, facilityId), 'facility');
    const values = riderValues(body);
    const { row, riderKey } = await insertRider(deps.pii, tx, facilityId, values);
    await audit({ facilityId, entityType: 'rider', entityId: row.id, action: 'rider.created',
      details: { fields: Object.keys(values).sort() } });
    // The stored idempotent answer holds the PII just written: sealed with the rider's key.
    return { body: toRider(openRiderWith(deps.pii, row, riderKey)), version: row.version, sealWith: riderKey };
  },

  'riders.get': async ({ actor, params, tx, deps }) => {
    const rider = found(await findRider(tx, actor, params.riderId), 'rider');
    return { body: toRider((await openRider(deps.pii, tx, rider)).view), version: rider.version };
  },

  'riders.update': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    const rider = found(await findRider(tx, actor, params.riderId, { forUpdate: true }), 'rider');
    assertVersion(ifMatch, rider.version);
    if (rider.erased_at !== null) throw Problems.conflict('rider-erased', 'An erased rider cannot be changed.');
    const { view, key } = await openRider(deps.pii, tx, rider);
    if (typeof key === 'string') {
      throw Problems.conflict('rider-unreadable', "The rider's stored key failed its integrity check; an operator must restore it first.");
    }
    const requested = riderValues(body);
    // Only what really changes is written and audited, by field name: the values are PHI.
    const current = (field: RiderField) =>
      (RIDER_PII_FIELDS as string[]).includes(field) ? view.pii[field as RiderPiiField] : view[RIDER_PLAIN_COLUMNS[field as RiderPlainField]];
    const changes: RiderValues = Object.fromEntries(
      Object.entries(requested).filter(([field, value]) => current(field as RiderField) !== value),
    );
    if (Object.keys(changes).length === 0) return { body: toRider(view), version: rider.version };
    const updated = found(await updateRider(deps.pii, tx, rider, key, changes), 'rider');
    await audit({ facilityId: rider.facility_id, entityType: 'rider', entityId: rider.id, action: 'rider.updated',
      details: { fields: Object.keys(changes).sort() } });
    return { body: toRider(openRiderWith(deps.pii, updated, key)), version: updated.version };
  },

  // ---- users: identity provider first (it issues the sub), then the database's copy --------------

  'users.list': async ({ actor, query, tx }) => {
    if (isFacilityActor(actor) && query.facilityId) {
      throw Problems.invalidParameters([{ path: 'facilityId', message: 'Your facility comes from your account' }]);
    }
    const rows = await listUsers(tx, actor, query, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toUser, (row) => [row.cursor_at, row.id]) };
  },

  'users.create': async ({ actor, body, tx, audit, deps }) => {
    const facilityId = await tenantForNewUser(actor, body.role, body.facilityId, (id) => findFacility(tx, actor, id));
    if (body.contactId !== undefined) {
      if (!facilityId) throw Problems.validation([{ path: 'contactId', message: 'Staff users have no contact' }]);
      found(await contactOf(tx, facilityId, body.contactId), 'contact');
    }
    // An address the caller can see taken (its own tenant's users; any user for a Dispatcher) is 409.
    if (await emailInUse(tx, body.email)) throw emailTaken();
    // Taken where the caller cannot see (another tenant, staff): answered as a creation would be,
    // so the answer tells nothing about other tenants' users (docs/security/threat-model.md).
    const unseen = () => answerAsCreated(tx, audit, { ...body, facilityId });
    if (!seesEveryUser(actor) && await emailRegistered(tx, body.email)) return unseen();
    const identity = await createIdentity(deps.identity, {
      email: body.email, role: body.role,
      ...(facilityId ? { facilityId } : {}), ...(body.contactId ? { contactId: body.contactId } : {}),
    });
    if (identity === 'address-taken') {
      if (seesEveryUser(actor)) throw emailTaken();
      return unseen();
    }
    const { sub } = identity;
    try {
      const user = await insertUser(tx, {
        id: sub, role: body.role, facilityId, contactId: body.contactId ?? null, email: body.email, displayName: body.displayName,
      });
      await audit({ facilityId, entityType: 'user', entityId: user.id, action: 'user.created', toState: 'active',
        details: { role: user.role, ...(user.contact_id ? { contactId: user.contact_id } : {}) } });
      return { body: toUser(user), version: user.version };
    } catch (error) {
      // The identity exists but its database row will not: remove it, or it could sign in with no record.
      await deps.identity.deleteUser(sub).catch((cleanupError: unknown) => {
        logger.error('compensating identity delete failed', { sub, errorName: (cleanupError as Error)?.name });
      });
      // Taken by a creation racing this one: the retry gets the answer above.
      if ((error as { code?: string }).code === '23505') throw seesEveryUser(actor) ? emailTaken() : Problems.unavailable();
      throw error;
    }
  },

  'users.disable': async ({ actor, params, tx, audit, deps }) => {
    const user = found(await findUser(tx, actor, params.userId, { forUpdate: true }), 'user');
    if (user.id === actor.sub) throw Problems.conflict('self-disable', 'You cannot disable your own account.');
    const disabled = user.active ? found(await deactivateUser(tx, user), 'user') : user;
    if (user.active) {
      await audit({ facilityId: user.facility_id, entityType: 'user', entityId: user.id, action: 'user.disabled',
        fromState: 'active', toState: 'disabled', details: { role: user.role } });
    }
    // Repeating it for an already disabled user repairs any drift.
    await atIdentityProvider('disable', user.id, () => deps.identity.disableUser(user.id));
    return { body: toUser(disabled), version: disabled.version };
  },

  'users.enable': async ({ actor, params, tx, audit, deps }) => {
    const user = found(await findUser(tx, actor, params.userId, { forUpdate: true }), 'user');
    if (!user.active && await disabledWithinTokenLifetime(tx, user)) {
      throw Problems.conflict('disabled-too-recently', `Access tokens issued before the disable stay valid for up to ${
        ACCESS_TOKEN_MAX_MINUTES} minutes; enable the user once that much time has passed since the disable.`);
    }
    const enabled = user.active ? user : found(await activateUser(tx, user), 'user');
    if (!user.active) {
      await audit({ facilityId: user.facility_id, entityType: 'user', entityId: user.id, action: 'user.enabled',
        fromState: 'disabled', toState: 'active', details: { role: user.role } });
    }
    await atIdentityProvider('enable', user.id, () => deps.identity.enableUser(user.id));
    return { body: toUser(enabled), version: enabled.version };
  },
};

/**
 * The identity provider's half of a user change, called inside the transaction: if the provider
 * refuses, the database change rolls back with it (503, the client may retry), so the two never
 * disagree about whether a user may sign in.
 */
export async function atIdentityProvider(what: 'disable' | 'enable' | 'change assignment', sub: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    logger.error(`identity ${what} failed`, { sub, errorName: (error as Error)?.name });
    throw Problems.unavailable();
  }
}

function stateOf(active: boolean): string {
  return active ? 'active' : 'inactive';
}

const RIDER_WRITABLE: readonly RiderField[] = [...RIDER_PII_FIELDS, ...(Object.keys(RIDER_PLAIN_COLUMNS) as RiderPlainField[])];

/** API field names to values, only for the fields present; the names double as the audit's list. */
function riderValues(body: Partial<Record<RiderField, unknown>>): RiderValues {
  const values: Record<string, unknown> = {};
  for (const field of RIDER_WRITABLE) {
    if (body[field] !== undefined) values[field] = body[field];
  }
  return values as RiderValues;
}

/**
 * The tenant of a user being created. Staff roles have none. A FacilityAdmin creates only
 * FacilityAdmin/FacilityUser accounts of its own facility: any other role, or naming any other
 * facility (existing or not, so the answer discloses nothing), is 403; it may omit facilityId.
 * A dispatcher must name an existing facility for facility roles.
 */
async function tenantForNewUser(
  actor: Actor,
  role: Role,
  requested: string | undefined,
  lookup: (facilityId: string) => Promise<unknown>,
): Promise<string | null> {
  if (isStaffRole(role)) {
    if (isFacilityActor(actor)) throw Problems.forbidden('You may create FacilityAdmin and FacilityUser accounts only.');
    if (requested !== undefined) throw Problems.validation([{ path: 'facilityId', message: 'Staff users belong to no facility' }]);
    return null;
  }
  if (isFacilityActor(actor)) {
    if (requested !== undefined && requested !== actor.facilityId) {
      throw Problems.forbidden('You may create users for your own facility only.');
    }
    return actor.facilityId;
  }
  if (!requested) throw Problems.validation([{ path: 'facilityId', message: 'Required for facility roles' }]);
  found(await lookup(requested), 'facility');
  return requested;
}

async function createIdentity(identity: IdentityAdmin, input: NewIdentity): Promise<{ sub: string } | 'address-taken'> {
  try {
    return await identity.createUser(input);
  } catch (error) {
    if ((error as Error)?.name === 'UsernameExistsException') return 'address-taken';
    logger.error('identity create failed', { errorName: (error as Error)?.name });
    throw Problems.unavailable();
  }
}

/** Dispatchers administer every account, so an address taken anywhere is theirs to know. */
const seesEveryUser = (actor: Actor) => actor.role === 'Dispatcher';

/**
 * The answer a creation gives, for an address taken by a user the caller may not see: the same
 * status, headers and shape, an id that names nothing (as an id of another tenant's user would
 * name nothing to this caller). Nothing is created and no invitation is sent; the attempt is
 * audited in the caller's tenant, for the provider to see.
 */
async function answerAsCreated(
  tx: Queryable,
  audit: (event: Omit<AuditEvent, 'actor'>) => Promise<void>,
  user: { email: string; displayName: string; role: Role; contactId?: string; facilityId: string | null },
) {
  const id = randomUUID();
  const { rows } = await tx.query<{ created_at: string }>('SELECT now() AS created_at');
  await audit({ facilityId: user.facilityId, entityType: 'user', entityId: id, action: 'user.create_withheld',
    details: { role: user.role, reason: 'address-registered' } });
  const row: UserRow = { id, role: user.role, facility_id: user.facilityId, contact_id: user.contactId ?? null, email: user.email,
    display_name: user.displayName, active: true, created_at: (rows[0] as { created_at: string }).created_at, version: 1, cursor_at: '' };
  return { body: toUser(row), version: row.version };
}

function emailTaken() {
  return Problems.conflict('email-taken', 'A user with this email address already exists.');
}
