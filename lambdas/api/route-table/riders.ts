import { api, TRIP_WRITERS } from './access';
import { Rider, RiderCreate, RiderDuplicates, RiderExport, RiderListQuery, RiderMergeBody, RiderParams, RiderUpdate } from '../schemas/admin';
import { page } from '../schemas/common';
import { route } from '../route-types';

/** The routes under /v1/riders (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const riderRoutes = [
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
] as const;
