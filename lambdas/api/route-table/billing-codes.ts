import { api } from './access';
import { BillingCode, BillingCodeList, BillingCodeParams, BillingCodeUpdate } from '../schemas/admin';
import { route } from '../route-types';

/** The routes under /v1/billing-codes (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const billingCodeRoutes = [
  route({ ...api, id: 'billingCodes.list', method: 'GET', path: '/v1/billing-codes',
    summary: 'HCPCS base and mileage codes by level of service', roles: ['Billing', 'Dispatcher'], response: BillingCodeList,
    successStatus: 200 }),
  route({ ...api, id: 'billingCodes.update', method: 'PUT', path: '/v1/billing-codes/{levelOfService}',
    summary: "Set a level of service's codes (every later CSV export uses them)", roles: ['Billing'], params: BillingCodeParams,
    body: BillingCodeUpdate, response: BillingCode, successStatus: 200, conditional: true, ifMatchRequired: true }),
] as const;
