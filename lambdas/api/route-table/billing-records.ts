import { api } from './access';
import { BillingExportQuery, BillingListQuery, BillingParams, BillingRecord, BillingTransitionBody } from '../schemas/admin';
import { page } from '../schemas/common';
import { route } from '../route-types';

/** The routes under /v1/billing-records (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const billingRecordRoutes = [
  route({ ...api, id: 'billing.list', method: 'GET', path: '/v1/billing-records', summary: 'List billing records',
    roles: ['Billing'], query: BillingListQuery, response: page(BillingRecord), successStatus: 200 }),
  route({ ...api, id: 'billing.export', method: 'GET', path: '/v1/billing-records/export', summary: 'Export billing records as CSV',
    roles: ['Billing'], query: BillingExportQuery, successStatus: 200, produces: 'text/csv' }),
  route({ ...api, id: 'billing.get', method: 'GET', path: '/v1/billing-records/{billingRecordId}', summary: 'Read a billing record',
    roles: ['Billing'], params: BillingParams, response: BillingRecord, successStatus: 200 }),
  route({ ...api, id: 'billing.transition', method: 'POST', path: '/v1/billing-records/{billingRecordId}/transitions',
    summary: 'Move a billing record to its next state', roles: ['Billing'], params: BillingParams,
    body: BillingTransitionBody, response: BillingRecord, successStatus: 200, conditional: true }),
] as const;
