import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { data } from '../api/client';
import { FormError } from '../components/States';
import { useConsole } from '../context';
import { isFacilityRole, ROLE_NAMES } from '../lib/words';
import { type Assignment, AssignmentFields, assignmentBody } from './AssignmentFields';
import { fieldMessage, TextField } from './fields';
import { recordKeys } from '../api/records';
import { useRefresh } from './queries';
import { useIdempotencyKey } from '../api/idempotency';

/** Invites a user with one role: the identity provider emails them; they set their password at first sign-in. */
export function NewUser({ facilityName, onCreated }: { facilityName: string; onCreated: (message: string) => void }) {
  const { api, me } = useConsole();
  const dispatcher = me.role === 'Dispatcher';
  const refresh = useRefresh();
  const keyFor = useIdempotencyKey();
  const id = useId();
  const blank = { email: '', displayName: '' };
  const [person, setPerson] = useState(blank);
  const [assignment, setAssignment] = useState<Assignment>({ role: 'FacilityUser', facilityId: '', contactId: '' });
  const [local, setLocal] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: { email: string; displayName: string } & ReturnType<typeof assignmentBody>) =>
      data(api.POST('/v1/users', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body })),
    onSuccess: (user) => {
      refresh(recordKeys.users);
      setPerson(blank);
      onCreated(`${user.displayName} invited as ${ROLE_NAMES[user.role]}.`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!person.displayName.trim()) found.displayName = 'Enter their name.';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(person.email.trim())) found.email = 'Enter their email address, e.g. sam@example.org.';
    if (dispatcher && isFacilityRole(assignment.role) && !assignment.facilityId) found.facilityId = 'Choose their facility.';
    setLocal(found);
    const first = Object.keys(found)[0];
    if (first) {
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    create.mutate({ email: person.email.trim(), displayName: person.displayName.trim(), ...assignmentBody(assignment, !dispatcher) });
  };
  const message = (path: string) => fieldMessage(local, create.error, path);
  return (
    <form className="admin-form" noValidate onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invite a user</h2>
      {!dispatcher && <p className="hint">They join {facilityName}.</p>}
      <div className="field-row">
        <TextField id={`${id}-displayName`} label="Name" value={person.displayName} maxLength={200} autoComplete="off"
          className="grow" onChange={(e) => setPerson({ ...person, displayName: e.target.value })} message={message('displayName')} />
        <TextField id={`${id}-email`} label="Email" type="email" value={person.email} autoComplete="off" className="grow"
          onChange={(e) => setPerson({ ...person, email: e.target.value })} message={message('email')}
          hint="The invitation goes here; it is also how they sign in." />
      </div>
      <AssignmentFields id={id} value={assignment} onChange={setAssignment} message={message} />
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? 'Inviting…' : 'Invite the user'}</button>
      </div>
      <FormError local={local} error={create.error} />
    </form>
  );
}
