import { api } from './access';
import { Facility, FacilityCreate, FacilityListQuery, FacilityParams, FacilityUpdate } from '../schemas/admin';
import { page } from '../schemas/common';
import { route } from '../route-types';

/** The routes under /v1/facilities (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const facilityRoutes = [
  route({ ...api, id: 'facilities.list', method: 'GET', path: '/v1/facilities', summary: 'List tenants',
    roles: ['Dispatcher'], query: FacilityListQuery, response: page(Facility), successStatus: 200 }),
  route({ ...api, id: 'facilities.create', method: 'POST', path: '/v1/facilities', summary: 'Create a tenant',
    roles: ['Dispatcher'], body: FacilityCreate, response: Facility, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'facilities.get', method: 'GET', path: '/v1/facilities/{facilityId}', summary: 'Read a tenant',
    roles: ['Dispatcher', 'FacilityAdmin', 'FacilityUser'], params: FacilityParams, response: Facility, successStatus: 200 }),
  route({ ...api, id: 'facilities.update', method: 'PATCH', path: '/v1/facilities/{facilityId}', summary: 'Change a tenant',
    roles: ['Dispatcher'], params: FacilityParams, body: FacilityUpdate, response: Facility, successStatus: 200,
    conditional: true }),
] as const;
