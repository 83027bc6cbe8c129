import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { data, ifMatch } from '../api/client';
import type { User } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { FormError } from '../components/States';
import { useConsole } from '../context';
import { isFacilityRole, ROLE_NAMES } from '../lib/words';
import { type Assignment, AssignmentFields, assignmentBody } from './AssignmentFields';
import { fieldMessage } from './fields';
import { recordKeys } from '../api/records';
import { useRefresh } from './queries';

/**
 * SECURITY S30, for Dispatchers: a user's new role, facility or contact, in a modal dialog that
 * says what happens: the change is audited, and every session the user has open ends (their
 * older tokens are refused on the next request), so they sign in again with the new role.
 */
export function RoleChange({ user, facilityName, onClose }: {
  user: User;
  facilityName: (facilityId: string | null) => string;
  onClose: (message?: string) => void;
}) {
  const { api } = useConsole();
  const refresh = useRefresh();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [assignment, setAssignment] = useState<Assignment>({
    role: user.role, facilityId: user.facilityId ?? '', contactId: user.contactId ?? '',
  });
  const [local, setLocal] = useState<Record<string, string>>({});
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  const change = useMutation({
    mutationFn: () =>
      data(api.POST('/v1/users/{userId}/role', {
        params: { path: { userId: user.id }, header: ifMatch(user.version) }, body: assignmentBody(assignment, false),
      })),
    onSuccess: (saved) => {
      refresh(recordKeys.users);
      const where = saved.facilityId ? ` at ${facilityName(saved.facilityId)}` : '';
      onClose(`${saved.displayName} is now ${ROLE_NAMES[saved.role]}${where}. Their open sessions have ended.`);
    },
    onError: (error) => {
      // 412: someone changed the user meanwhile; the list shows them as they are now.
      if (error instanceof ApiProblem && error.status === 412) refresh(recordKeys.users);
    },
  });
  const unchanged = assignment.role === user.role && (assignment.facilityId || null) === user.facilityId
    && (assignment.role === 'FacilityUser' ? assignment.contactId || null : null) === user.contactId;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (isFacilityRole(assignment.role) && !assignment.facilityId) found.facilityId = 'Choose their facility.';
    setLocal(found);
    if (found.facilityId) {
      document.getElementById(`${id}-facilityId`)?.focus();
      return;
    }
    if (unchanged) {
      onClose(`Nothing changed for ${user.displayName}.`);
      return;
    }
    change.mutate();
  };
  const now = `${ROLE_NAMES[user.role]}${user.facilityId ? ` at ${facilityName(user.facilityId)}` : ''}`;
  return (
    <dialog ref={dialog} className="admin-dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-consequence`}
      onCancel={(event) => { event.preventDefault(); onClose(); }}>
      <form noValidate onSubmit={submit}>
        <h2 id={`${id}-title`}>Change {user.displayName}’s role or facility</h2>
        <p>Now: <strong>{now}</strong> ({user.email})</p>
        <AssignmentFields id={id} value={assignment} onChange={setAssignment} message={(path) => fieldMessage(local, change.error, path)} />
        <div className="notice" id={`${id}-consequence`}>
          <p><strong>Their current sessions end.</strong></p>
          <p>
            Every page {user.displayName} has open is refused from its next request, and they must sign in again; they then
            work as the new role. The change is recorded in the audit trail.
          </p>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change the role and end their sessions'}
          </button>
          <button type="button" onClick={() => onClose()}>Cancel</button>
        </div>
        <FormError local={local} error={change.error} />
      </form>
    </dialog>
  );
}
