import type { Queryable } from '../../shared/db/port';
import { Problems } from '../../shared/http/problem';
import type { Assignment } from '../../shared/identity/port';
import { type Actor, isStaffRole } from '../../shared/tenancy/actor';
import { findFacility } from '../data/facilities';
import { driverHasOpenLegs, findUser, reassignUser, toUser, type UserAssignment, type UserRow } from '../data/users';
import type { HandlerTable, RouteContext } from '../handler-types';
import type { RouteById } from '../routes';
import { atIdentityProvider } from './directory';
import { assertVersion, found } from './support';
import { contactOf } from '../data/contacts';

type UserRoleHandlers = Pick<HandlerTable, 'users.changeRole'>;

/**
 * SECURITY S30: a Dispatcher moves a user to another role, facility or contact. The database row
 * changes first, in the request's transaction: every request checks its token's claims against
 * that row (app_assert_actor), so the user's older tokens are refused from the commit on. The
 * identity provider follows inside the same transaction (a refusal there rolls everything back),
 * so the user's next token carries the new assignment.
 */
export const userRoleHandlers: UserRoleHandlers = {
  'users.changeRole': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    const user = found(await findUser(tx, actor, params.userId, { forUpdate: true }), 'user');
    assertVersion(ifMatch, user.version);
    // The acting Dispatcher stays one, so this also keeps at least one active Dispatcher.
    if (user.id === actor.sub) {
      throw Problems.conflict('self-role-change', 'You cannot change your own role or facility; another Dispatcher must.');
    }
    const to = await requestedAssignment(tx, actor, body);
    const from: UserAssignment = { role: user.role, facilityId: user.facility_id, contactId: user.contact_id };
    if (from.role === to.role && from.facilityId === to.facilityId && from.contactId === to.contactId) {
      return { body: toUser(user), version: user.version };
    }
    if (from.role === 'Driver' && to.role !== 'Driver' && await driverHasOpenLegs(tx, user.id)) {
      throw Problems.conflict('driver-has-open-legs', "The driver still has legs to drive; assign them to another driver first.");
    }
    const moved = found(await reassignUser(tx, user, to), 'user');
    await auditChange(audit, user, from, to);
    await atIdentityProvider('change assignment', user.id,
      () => deps.identity.changeAssignment(user.id, { from: identityOf(from), to: identityOf(to) }));
    return { body: toUser(moved), version: moved.version };
  },
};

type RoleChange = RouteContext<RouteById<'users.changeRole'>>['body'];

/** The new assignment, checked as users.create checks one, plus: a contact only for a FacilityUser. */
async function requestedAssignment(tx: Queryable, actor: Actor, body: RoleChange): Promise<UserAssignment> {
  if (isStaffRole(body.role)) {
    const misplaced = (['facilityId', 'contactId'] as const).filter((field) => body[field] !== undefined);
    if (misplaced.length > 0) throw Problems.validation(misplaced.map((path) => ({ path, message: 'Staff users belong to no facility' })));
    return { role: body.role, facilityId: null, contactId: null };
  }
  if (!body.facilityId) throw Problems.validation([{ path: 'facilityId', message: 'Required for facility roles' }]);
  if (body.contactId !== undefined && body.role !== 'FacilityUser') {
    throw Problems.validation([{ path: 'contactId', message: 'Only FacilityUser accounts follow a contact' }]);
  }
  found(await findFacility(tx, actor, body.facilityId), 'facility');
  if (body.contactId !== undefined) {
    found(await contactOf(tx, body.facilityId, body.contactId), 'contact');
  }
  return { role: body.role, facilityId: body.facilityId, contactId: body.contactId ?? null };
}

/**
 * One event on the provider's chain, where every change of a user's access can be found, and one
 * on each tenant's chain the user leaves or joins, as that tenant's user events are recorded.
 */
async function auditChange(
  audit: RouteContext<RouteById<'users.changeRole'>>['audit'],
  user: UserRow,
  from: UserAssignment,
  to: UserAssignment,
): Promise<void> {
  const chains = [...new Set([null, from.facilityId, to.facilityId])];
  for (const facilityId of chains) {
    await audit({ facilityId, entityType: 'user', entityId: user.id, action: 'user.role_changed', fromState: from.role,
      toState: to.role, details: { fromFacilityId: from.facilityId, toFacilityId: to.facilityId, fromContactId: from.contactId,
        toContactId: to.contactId } });
  }
}

function identityOf(assignment: UserAssignment): Assignment {
  return {
    role: assignment.role,
    ...(assignment.facilityId ? { facilityId: assignment.facilityId } : {}),
    ...(assignment.contactId ? { contactId: assignment.contactId } : {}),
  };
}
