import { isFacilityActor } from '../../shared/tenancy/actor';
import { Problems } from '../../shared/http/problem';
import { CONTACT_FIELDS, type ContactField, type ContactRow, type ContactValues, findContact, insertContact, listContacts, toContact,
  updateContact } from '../data/contacts';
import { findFacility } from '../data/facilities';
import type { HandlerTable } from '../handler-types';
import { decodeCursor, pageOf } from './pagination';
import { assertVersion, found, tenantForCreate } from './support';

type ContactHandlers = Pick<HandlerTable, 'contacts.list' | 'contacts.create' | 'contacts.get' | 'contacts.update'>;

const FIELDS = Object.keys(CONTACT_FIELDS) as ContactField[];

/** The fields present in a body, by API name; null clears an optional one. */
function contactValues(body: Partial<Record<ContactField, string | null | undefined>>): ContactValues {
  const values: ContactValues = {};
  for (const field of FIELDS) {
    if (body[field] !== undefined) values[field] = body[field];
  }
  return values;
}

const current = (row: ContactRow, field: ContactField) => row[CONTACT_FIELDS[field]];

/**
 * Facility contacts: dispatchers for any tenant, a FacilityAdmin for its own; facility users and
 * billing read them. Audits name the changed fields, never their values (staff names and phones).
 */
export const contactHandlers: ContactHandlers = {
  'contacts.list': async ({ actor, query, tx }) => {
    if (isFacilityActor(actor) && query.facilityId) {
      throw Problems.invalidParameters([{ path: 'facilityId', message: 'Your facility comes from your account' }]);
    }
    const rows = await listContacts(tx, actor, query, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toContact, (row) => [row.cursor_at, row.id]) };
  },

  'contacts.create': async ({ actor, body, tx, audit }) => {
    const facilityId = tenantForCreate(actor, body.facilityId);
    found(await findFacility(tx, actor, facilityId), 'facility');
    const values = contactValues(body);
    const contact = await insertContact(tx, facilityId, values);
    await audit({ facilityId, entityType: 'contact', entityId: contact.id, action: 'contact.created',
      details: { fields: Object.keys(values).sort() } });
    return { body: toContact(contact), version: contact.version };
  },

  'contacts.get': async ({ actor, params, tx }) => {
    const contact = found(await findContact(tx, actor, params.contactId), 'contact');
    return { body: toContact(contact), version: contact.version };
  },

  'contacts.update': async ({ actor, params, body, ifMatch, tx, audit }) => {
    const contact = found(await findContact(tx, actor, params.contactId, { forUpdate: true }), 'contact');
    assertVersion(ifMatch, contact.version);
    const changes = Object.fromEntries(
      Object.entries(contactValues(body)).filter(([field, value]) => current(contact, field as ContactField) !== value),
    ) as ContactValues;
    if (Object.keys(changes).length === 0) return { body: toContact(contact), version: contact.version };
    const updated = found(await updateContact(tx, contact, changes), 'contact');
    await audit({ facilityId: contact.facility_id, entityType: 'contact', entityId: contact.id, action: 'contact.updated',
      details: { fields: Object.keys(changes).sort() } });
    return { body: toContact(updated), version: updated.version };
  },
};
