import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { data, ifMatch } from '../api/client';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, FormError, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { formatPhone } from '../lib/words';
import { fieldMessage, nullable, optional, TextField } from './fields';
import { adminKeys, type Contact, useContacts, usePinnedEdit, useRefresh } from './queries';
import { useIdempotencyKey } from '../api/idempotency';

/**
 * A facility's contacts (case managers, nurses: the people trips are booked for and schedulers
 * follow), listed, added and changed. One component for the Dispatcher's facility page (which
 * names the facility) and the FacilityAdmin's own screen (the API scopes it to their facility).
 */
export function ContactsPanel({ facilityId, facilityName }: { facilityId?: string; facilityName: string }) {
  const contacts = useContacts(facilityId);
  const [editing, setEditing] = useState<string | null>(null);
  const { announce, region } = useAnnouncer();
  const headingId = useId();

  return (
    <section className="pane" aria-labelledby={headingId}>
      {region}
      <h2 id={headingId}>Contacts {contacts.data && <span className="count">{contacts.data.length}</span>}</h2>
      {contacts.isPending && <LoadingState label="Loading the contacts" />}
      {contacts.isError && <ErrorState error={contacts.error} onRetry={() => void contacts.refetch()} />}
      {contacts.data?.length === 0 && <EmptyState>{facilityName} has no contacts yet. Add the first one below.</EmptyState>}
      {contacts.data && contacts.data.length > 0 && (
        <ul className="admin-list">
          {contacts.data.map((contact) => (
            <li key={contact.id}>
              {editing === contact.id ? (
                <ContactForm facilityId={facilityId} contact={contact} onDone={(message) => {
                  setEditing(null);
                  if (message) announce(message);
                }} />
              ) : (
                <div className="admin-row">
                  <div>
                    <p className="admin-row-title">{contact.fullName}</p>
                    <p className="meta">
                      {[contact.phone ? formatPhone(contact.phone) : 'No phone', contact.email ?? 'No email'].join(' · ')}
                    </p>
                  </div>
                  <button type="button" onClick={() => setEditing(contact.id)} aria-label={`Edit ${contact.fullName}`}>Edit</button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3>Add a contact</h3>
      <ContactForm facilityId={facilityId} onDone={(message) => message && announce(message)} />
    </section>
  );
}

interface Draft {
  fullName: string;
  phone: string;
  email: string;
}

const EMPTY: Draft = { fullName: '', phone: '', email: '' };

const draftOf = (contact: Contact): Draft => ({ fullName: contact.fullName, phone: contact.phone ?? '', email: contact.email ?? '' });

/** What differs from the contact as the form started from it (an emptied field is cleared: null). */
function changesOf(values: Draft, contact: Contact) {
  return {
    ...(values.fullName.trim() !== contact.fullName ? { fullName: values.fullName.trim() } : {}),
    ...(nullable(values.phone) !== contact.phone ? { phone: nullable(values.phone) } : {}),
    ...(nullable(values.email) !== contact.email ? { email: nullable(values.email) } : {}),
  };
}

/**
 * Creates a contact (no `contact`) or changes one (only the fields that differ; an emptied field is
 * cleared), with If-Match from the contact as the form started from it (usePinnedEdit).
 */
function ContactForm({ facilityId, contact, onDone }: { facilityId?: string; contact?: Contact; onDone: (message?: string) => void }) {
  const { api } = useConsole();
  const refresh = useRefresh();
  const keyFor = useIdempotencyKey();
  const id = useId();
  const { base, draft, setDraft, restartIfStale } = usePinnedEdit(contact, adminKeys.contacts(facilityId), draftOf, EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});

  const save = useMutation({
    mutationFn: (values: Draft) => {
      if (base) {
        return data(api.PATCH('/v1/contacts/{contactId}', {
          params: { path: { contactId: base.id }, header: ifMatch(base.version) }, body: changesOf(values, base),
        }));
      }
      const phone = optional(values.phone);
      const email = optional(values.email);
      const body = { ...(facilityId ? { facilityId } : {}), fullName: values.fullName.trim(), ...(phone ? { phone } : {}),
        ...(email ? { email } : {}) };
      return data(api.POST('/v1/contacts', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: (saved) => {
      refresh(adminKeys.contacts(facilityId));
      if (!base) setDraft(EMPTY);
      onDone(base ? `${saved.fullName} saved.` : `${saved.fullName} added.`);
    },
    onError: restartIfStale,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!draft.fullName.trim()) found.fullName = 'Enter the contact’s name.';
    setLocal(found);
    if (Object.keys(found).length > 0) {
      document.getElementById(`${id}-fullName`)?.focus();
      return;
    }
    // Nothing changed: nothing to send, nothing to read again.
    if (base && Object.keys(changesOf(draft, base)).length === 0) {
      onDone(`${base.fullName} saved.`);
      return;
    }
    save.mutate(draft);
  };
  const message = (path: keyof Draft) => fieldMessage(local, save.error, path);
  const set = (key: keyof Draft) => (e: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [key]: e.target.value });

  return (
    <form className="admin-form" noValidate onSubmit={submit} aria-label={base ? `Edit ${base.fullName}` : 'Add a contact'}>
      <div className="field-row">
        <TextField id={`${id}-fullName`} label="Name" value={draft.fullName} onChange={set('fullName')} maxLength={200}
          autoComplete="off" message={message('fullName')} className="grow" />
        <TextField id={`${id}-phone`} label="Phone (optional)" type="tel" value={draft.phone} onChange={set('phone')}
          autoComplete="off" placeholder="+15551234567" message={message('phone')} hint="With the country code, e.g. +15551234567" />
        <TextField id={`${id}-email`} label="Email (optional)" type="email" value={draft.email} onChange={set('email')}
          autoComplete="off" message={message('email')} className="grow" />
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : base ? 'Save the contact' : 'Add the contact'}
        </button>
        {base && <button type="button" onClick={() => onDone()}>Cancel</button>}
      </div>
      <FormError local={local} error={save.error} />
    </form>
  );
}
