import { type FormEvent, useId, useState } from 'react';
import type { Facility } from '../api/contract';
import { FormError } from '../components/States';
import { CheckField, fieldMessage, TextField } from './fields';
import { FACILITY_KIND } from './words';

/** A facility's answers; `kind` is asked only when adding one, `active` only when changing one. */
export interface FacilityDraft {
  name: string;
  /** The street address, '' for none; asked of facilities only (an individual's is on their rider record). */
  address: string;
  notifyDriverEnRoute: boolean;
  notifyRideReminder: boolean;
  kind?: Facility['kind'];
  active?: boolean;
}

/** The one form for a facility: adding it (Facilities) and changing its settings (FacilityPage). */
export function FacilityForm<Draft extends FacilityDraft>({
  title, draft, savedKind, onChange, onSubmit, pending, error, submitLabel, pendingLabel,
}: {
  title: string;
  /** The kind of the facility being changed (a draft carries `kind` only while adding one). */
  savedKind?: Facility['kind'];
  draft: Draft;
  onChange: (draft: Draft) => void;
  /** Called with the name trimmed, once the form's own checks pass. */
  onSubmit: (draft: Draft) => void;
  pending: boolean;
  error: unknown;
  submitLabel: string;
  pendingLabel: string;
}) {
  const id = useId();
  const [local, setLocal] = useState<Record<string, string>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = draft.name.trim() ? {} : { name: 'Enter the facility’s name.' };
    setLocal(found);
    if (Object.keys(found).length > 0) {
      document.getElementById(`${id}-name`)?.focus();
      return;
    }
    onSubmit({ ...draft, name: draft.name.trim(), address: draft.address.trim() });
  };
  const { kind, active } = draft;
  const hasAddress = (kind ?? savedKind) === 'facility';
  return (
    <section className="pane" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <form className="admin-form" noValidate onSubmit={submit} aria-labelledby={`${id}-title`}>
        <TextField id={`${id}-name`} label="Name" value={draft.name} maxLength={200} autoComplete="off" className="grow"
          onChange={(e) => onChange({ ...draft, name: e.target.value })} message={fieldMessage(local, error, 'name')} />
        {hasAddress && (
          <TextField id={`${id}-address`} label="Street address" value={draft.address} maxLength={500} autoComplete="street-address"
            className="grow" onChange={(e) => onChange({ ...draft, address: e.target.value })}
            message={fieldMessage(local, error, 'address')}
            hint="Where its riders usually go: the drop-off its schedulers' requests start with." />
        )}
        {kind !== undefined && (
          <fieldset>
            <legend>Kind</legend>
            <div className="choices">
              {(Object.keys(FACILITY_KIND) as Facility['kind'][]).map((choice) => (
                <label key={choice} className="choice">
                  <input type="radio" name={`${id}-kind`} value={choice} checked={kind === choice}
                    onChange={() => onChange({ ...draft, kind: choice })} />
                  {FACILITY_KIND[choice]}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <fieldset>
          <legend>Messages to its riders</legend>
          <p className="hint">Sent only to riders who agreed to messages, by text or email as their record says.</p>
          <CheckField id={`${id}-notifyDriverEnRoute`} label="When the driver is on the way" checked={draft.notifyDriverEnRoute}
            onChange={(checked) => onChange({ ...draft, notifyDriverEnRoute: checked })} message={fieldMessage({}, error, 'notifyDriverEnRoute')} />
          <CheckField id={`${id}-notifyRideReminder`} label="A reminder the evening before the ride" checked={draft.notifyRideReminder}
            onChange={(checked) => onChange({ ...draft, notifyRideReminder: checked })} message={fieldMessage({}, error, 'notifyRideReminder')} />
        </fieldset>
        {active !== undefined && (
          <CheckField id={`${id}-active`} label="Active: may book rides" checked={active}
            onChange={(checked) => onChange({ ...draft, active: checked })} message={fieldMessage({}, error, 'active')}
            hint="An inactive facility keeps its riders and history but cannot request new rides." />
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>{pending ? pendingLabel : submitLabel}</button>
        </div>
        <FormError local={local} error={error} />
      </form>
    </section>
  );
}
