import { ALL, api } from './access';
import { Me } from '../schemas/admin';
import { route } from '../route-types';

/** The routes under /v1/me (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const meRoutes = [
  route({ ...api, id: 'me.get', method: 'GET', path: '/v1/me', summary: 'Who am I', roles: ALL, response: Me, successStatus: 200 }),
] as const;
