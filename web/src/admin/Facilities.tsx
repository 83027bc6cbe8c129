import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { data } from '../api/client';
import type { Facility } from '../api/contract';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { CheckField, FormError, fieldMessage, TextField } from './fields';
import { adminKeys, useAllFacilities, useIdempotencyKey, useRefresh } from './queries';
import { FACILITY_KIND, notificationsText } from './words';

/** The tenants: facilities that book rides for their patients, and private-pay riders' own accounts. */
export default function Facilities() {
  const facilities = useAllFacilities();
  const { announce, region } = useAnnouncer();
  return (
    <section className="page admin" aria-labelledby="page-title">
      {region}
      <h1 id="page-title">Facilities</h1>
      <div className="admin-grid">
        <section className="pane" aria-labelledby="facility-list-title">
          <h2 id="facility-list-title">
            All facilities {facilities.data && <span className="count">{facilities.data.length}</span>}
          </h2>
          {facilities.isPending && <LoadingState label="Loading the facilities" />}
          {facilities.isError && <ErrorState error={facilities.error} onRetry={() => void facilities.refetch()} />}
          {facilities.data?.length === 0 && <EmptyState>No facilities yet. Add the first one.</EmptyState>}
          {facilities.data && facilities.data.length > 0 && <FacilityList facilities={facilities.data} />}
        </section>
        <NewFacility onCreated={(facility) => announce(`${facility.name} added.`)} />
      </div>
    </section>
  );
}

function FacilityList({ facilities }: { facilities: readonly Facility[] }) {
  return (
    <ul className="admin-list">
      {facilities.map((facility) => (
        <li key={facility.id} className="admin-row">
          <div>
            <p className="admin-row-title">
              <Link to={`/admin/facilities/${facility.id}`}>{facility.name}</Link>
              {!facility.active && <span className="status status-ended">inactive</span>}
            </p>
            <p className="meta">{FACILITY_KIND[facility.kind]} · {notificationsText(facility)}</p>
          </div>
        </li>
      ))}
    </ul>
  );
}

interface Draft {
  kind: Facility['kind'];
  name: string;
  notifyDriverEnRoute: boolean;
  notifyRideReminder: boolean;
}

const EMPTY: Draft = { kind: 'facility', name: '', notifyDriverEnRoute: false, notifyRideReminder: false };

function NewFacility({ onCreated }: { onCreated: (facility: Facility) => void }) {
  const { api } = useConsole();
  const refresh = useRefresh();
  const keyFor = useIdempotencyKey();
  const id = useId();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: Draft) =>
      data(api.POST('/v1/facilities', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body })),
    onSuccess: (facility) => {
      refresh(adminKeys.facilities);
      setDraft(EMPTY);
      onCreated(facility);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = draft.name.trim() ? {} : { name: 'Enter the facility’s name.' };
    setLocal(found);
    if (Object.keys(found).length > 0) {
      document.getElementById(`${id}-name`)?.focus();
      return;
    }
    create.mutate({ ...draft, name: draft.name.trim() });
  };
  return (
    <section className="pane" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add a facility</h2>
      <form className="admin-form" noValidate onSubmit={submit} aria-labelledby={`${id}-title`}>
        <TextField id={`${id}-name`} label="Name" value={draft.name} maxLength={200} autoComplete="off" className="grow"
          onChange={(e) => setDraft({ ...draft, name: e.target.value })} message={fieldMessage(local, create.error, 'name')} />
        <fieldset>
          <legend>Kind</legend>
          <div className="choices">
            {(Object.keys(FACILITY_KIND) as Facility['kind'][]).map((kind) => (
              <label key={kind} className="choice">
                <input type="radio" name={`${id}-kind`} value={kind} checked={draft.kind === kind}
                  onChange={() => setDraft({ ...draft, kind })} />
                {FACILITY_KIND[kind]}
              </label>
            ))}
          </div>
        </fieldset>
        <NotificationFields id={id} draft={draft} onChange={(changes) => setDraft({ ...draft, ...changes })} error={create.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? 'Adding…' : 'Add the facility'}</button>
        </div>
        <FormError local={local} error={create.error} />
      </form>
    </section>
  );
}

/** The messages the facility's riders get; shared by the create form and the facility page. */
export function NotificationFields({ id, draft, onChange, error }: {
  id: string;
  draft: Pick<Draft, 'notifyDriverEnRoute' | 'notifyRideReminder'>;
  onChange: (changes: Partial<Draft>) => void;
  error: unknown;
}) {
  return (
    <fieldset>
      <legend>Messages to its riders</legend>
      <p className="hint">Sent only to riders who agreed to messages, by text or email as their record says.</p>
      <CheckField id={`${id}-notifyDriverEnRoute`} label="When the driver is on the way" checked={draft.notifyDriverEnRoute}
        onChange={(checked) => onChange({ notifyDriverEnRoute: checked })} message={fieldMessage({}, error, 'notifyDriverEnRoute')} />
      <CheckField id={`${id}-notifyRideReminder`} label="A reminder the evening before the ride" checked={draft.notifyRideReminder}
        onChange={(checked) => onChange({ notifyRideReminder: checked })} message={fieldMessage({}, error, 'notifyRideReminder')} />
    </fieldset>
  );
}
