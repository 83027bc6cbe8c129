import { api, CONTACT_READERS } from './access';
import { Contact, ContactCreate, ContactListQuery, ContactParams, ContactUpdate } from '../schemas/admin';
import { page } from '../schemas/common';
import { route } from '../route-types';

/** The routes under /v1/contacts (routes.ts gathers every group; lazy-routing.ts loads one group at a time). */
export const contactRoutes = [
  route({ ...api, id: 'contacts.list', method: 'GET', path: '/v1/contacts', summary: "List facility contacts (case managers, nurses)",
    roles: CONTACT_READERS, query: ContactListQuery, response: page(Contact), successStatus: 200 }),
  route({ ...api, id: 'contacts.create', method: 'POST', path: '/v1/contacts', summary: 'Add a facility contact',
    roles: ['Dispatcher', 'FacilityAdmin'], body: ContactCreate, response: Contact, successStatus: 201, idempotent: true }),
  route({ ...api, id: 'contacts.get', method: 'GET', path: '/v1/contacts/{contactId}', summary: 'Read a facility contact',
    roles: CONTACT_READERS, params: ContactParams, response: Contact, successStatus: 200 }),
  route({ ...api, id: 'contacts.update', method: 'PATCH', path: '/v1/contacts/{contactId}', summary: 'Change a facility contact',
    roles: ['Dispatcher', 'FacilityAdmin'], params: ContactParams, body: ContactUpdate, response: Contact, successStatus: 200,
    conditional: true }),
] as const;
