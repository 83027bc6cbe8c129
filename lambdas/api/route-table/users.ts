import { api, users } from './access';
import { User, UserCreate, UserListQuery, UserParams, UserRoleChange } from '../schemas/admin';
import { NoBody, page } from '../schemas/common';
import { route } from '../route-types';

/** The routes under /v1/users (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const userRoutes = [
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
] as const;
