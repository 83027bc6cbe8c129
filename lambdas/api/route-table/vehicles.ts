import { api, STAFF } from './access';
import { page } from '../schemas/common';
import { OdometerCorrectionBody, Vehicle, VehicleCreate, VehicleListQuery, VehicleParams, VehicleTransitionBody, VehicleUpdate } from '../schemas/vehicles';
import { route } from '../route-types';

/** The routes under /v1/vehicles (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const vehicleRoutes = [
  route({ ...api, id: 'vehicles.list', method: 'GET', path: '/v1/vehicles', summary: 'List vehicles by name',
    roles: STAFF, query: VehicleListQuery, response: page(Vehicle), successStatus: 200 }),
  route({ ...api, id: 'vehicles.get', method: 'GET', path: '/v1/vehicles/{vehicleId}', summary: 'Read a vehicle',
    roles: STAFF, params: VehicleParams, response: Vehicle, successStatus: 200 }),
  route({ ...api, id: 'vehicles.create', method: 'POST', path: '/v1/vehicles', summary: 'Add a vehicle to the fleet',
    roles: ['Dispatcher'], body: VehicleCreate, response: Vehicle, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'vehicles.update', method: 'PATCH', path: '/v1/vehicles/{vehicleId}',
    summary: "Change a vehicle's name, plate, kind or capabilities", roles: ['Dispatcher'], params: VehicleParams,
    body: VehicleUpdate, response: Vehicle, successStatus: 200, conditional: true }),
  route({ ...api, id: 'vehicles.transition', method: 'POST', path: '/v1/vehicles/{vehicleId}/status',
    summary: 'Take a vehicle out of service (with a reason), back into service, or retire it', roles: ['Dispatcher'],
    params: VehicleParams, body: VehicleTransitionBody, response: Vehicle, successStatus: 200, conditional: true }),
  route({ ...api, id: 'vehicles.correctOdometer', method: 'POST', path: '/v1/vehicles/{vehicleId}/odometer-corrections',
    summary: "Correct a vehicle's last odometer reading, with a reason (audited with old and new)", roles: ['Dispatcher'],
    params: VehicleParams, body: OdometerCorrectionBody, response: Vehicle, successStatus: 200, conditional: true }),
] as const;
