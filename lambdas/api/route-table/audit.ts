import { api } from './access';
import { AuditVerification } from '../schemas/admin';
import { route } from '../route-types';

/** The routes under /v1/audit (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const auditRoutes = [
  route({ ...api, id: 'audit.verify', method: 'GET', path: '/v1/audit/verification',
    summary: 'Verify every audit hash chain', roles: ['Dispatcher'], response: AuditVerification, successStatus: 200 }),
] as const;
