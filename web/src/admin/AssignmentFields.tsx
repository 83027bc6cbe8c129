import type { Role } from '../api/contract';
import { FieldError } from '../components/States';
import { useConsole } from '../context';
import { isFacilityRole, ROLE_NAMES } from '../lib/words';
import { useFacilities } from '../api/records';
import { useContacts } from './queries';
import { GRANTABLE_ROLES } from './words';

/** A user's role, facility and contact as the forms hold them ('' = none). */
export interface Assignment {
  role: Role;
  facilityId: string;
  contactId: string;
}

/** The API's body fields for an assignment: staff name no facility, only a FacilityUser a contact. */
export function assignmentBody(assignment: Assignment, ownFacility: boolean) {
  if (!isFacilityRole(assignment.role)) return { role: assignment.role };
  return {
    role: assignment.role,
    ...(assignment.facilityId && !ownFacility ? { facilityId: assignment.facilityId } : {}),
    ...(assignment.role === 'FacilityUser' && assignment.contactId ? { contactId: assignment.contactId } : {}),
  };
}

/**
 * Role, then facility and contact when the role has them. Only what the signed-in role may give is
 * offered: a FacilityAdmin gives its own facility's two roles and chooses no facility.
 */
export function AssignmentFields({ id, value, onChange, message }: {
  id: string;
  value: Assignment;
  onChange: (value: Assignment) => void;
  message: (path: string) => string | undefined;
}) {
  const { me } = useConsole();
  const dispatcher = me.role === 'Dispatcher';
  const facilityRole = isFacilityRole(value.role);
  const facilities = useFacilities({ enabled: dispatcher });
  const contacts = useContacts(dispatcher ? value.facilityId : undefined,
    value.role === 'FacilityUser' && (!dispatcher || value.facilityId !== ''));
  const roles = GRANTABLE_ROLES[dispatcher ? 'Dispatcher' : 'FacilityAdmin'];
  const described = (path: string) => (message(path) ? { 'aria-describedby': `${id}-${path}-error`, 'aria-invalid': true } : {});

  return (
    <div className="field-row">
      <div className="field">
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={value.role} {...described('role')}
          onChange={(e) => onChange({ ...value, role: e.target.value as Role, contactId: '' })}>
          {roles.map((role) => <option key={role} value={role}>{ROLE_NAMES[role]}</option>)}
        </select>
        <FieldError id={`${id}-role-error`} message={message('role')} />
      </div>
      {dispatcher && facilityRole && (
        <div className="field grow">
          <label htmlFor={`${id}-facilityId`}>Facility</label>
          <select id={`${id}-facilityId`} value={value.facilityId} disabled={facilities.isPending} {...described('facilityId')}
            onChange={(e) => onChange({ ...value, facilityId: e.target.value, contactId: '' })}>
            <option value="">{facilities.isPending ? 'Loading facilities…' : 'Choose a facility'}</option>
            {facilities.data?.filter((facility) => facility.active || facility.id === value.facilityId).map((facility) => (
              <option key={facility.id} value={facility.id}>{facility.name}</option>
            ))}
          </select>
          <FieldError id={`${id}-facilityId-error`} message={message('facilityId') ?? (facilities.isError ? 'The facilities could not be loaded.' : undefined)} />
        </div>
      )}
      {value.role === 'FacilityUser' && (
        <div className="field grow">
          <label htmlFor={`${id}-contactId`}>Follows the trips of (optional)</label>
          <select id={`${id}-contactId`} value={value.contactId} disabled={dispatcher && !value.facilityId}
            aria-describedby={[`${id}-contactId-hint`, message('contactId') ? `${id}-contactId-error` : ''].filter(Boolean).join(' ')}
            onChange={(e) => onChange({ ...value, contactId: e.target.value })}>
            <option value="">{dispatcher && !value.facilityId ? 'Choose the facility first' : 'Only their own requests'}</option>
            {contacts.data?.map((contact) => <option key={contact.id} value={contact.id}>{contact.fullName}</option>)}
          </select>
          <p className="hint" id={`${id}-contactId-hint`}>A scheduler sees the trips they request, and their contact’s.</p>
          <FieldError id={`${id}-contactId-error`} message={message('contactId')} />
        </div>
      )}
    </div>
  );
}
