import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { data, ifMatch } from '../api/client';
import type { Vehicle } from '../api/contract';
import { FieldError, FormError } from '../components/States';
import { useConsole } from '../context';
import { capitalise, VEHICLE_KIND } from '../lib/words';
import { CheckField, fieldMessage, TextField } from './fields';
import { recordKeys } from '../api/records';
import { usePinnedEdit, useRefresh } from './queries';
import { useIdempotencyKey } from '../api/idempotency';

type Capabilities = Vehicle['capabilities'];
interface Draft {
  name: string;
  plate: string;
  kind: Vehicle['kind'];
  capabilities: Capabilities;
}

const NEW_VEHICLE: Draft = {
  name: '', plate: '', kind: 'wheelchair_van',
  capabilities: { ambulatorySeats: 4, wheelchairPositions: 1, bariatric: false, stretcher: false, oxygen: false },
};

const draftOf = (vehicle: Vehicle): Draft =>
  ({ name: vehicle.name, plate: vehicle.plate, kind: vehicle.kind, capabilities: { ...vehicle.capabilities } });

/** What differs from the vehicle as the form started from it. */
function changesOf(values: Draft, vehicle: Vehicle): Partial<Draft> {
  return {
    ...(values.name !== vehicle.name ? { name: values.name } : {}),
    ...(values.plate !== vehicle.plate ? { plate: values.plate } : {}),
    ...(values.kind !== vehicle.kind ? { kind: values.kind } : {}),
    ...(JSON.stringify(values.capabilities) !== JSON.stringify(vehicle.capabilities) ? { capabilities: values.capabilities } : {}),
  };
}

/** The form's own checks (the API checks them all again and answers per field). */
function localErrors(draft: Draft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!draft.name.trim()) errors.name = 'Enter the name drivers and dispatchers use, e.g. Van 7.';
  if (!/^[A-Z0-9 -]{1,12}$/.test(draft.plate)) errors.plate = 'Capital letters, digits, spaces and hyphens, up to 12, e.g. NEMT-07.';
  if (draft.capabilities.bariatric && draft.capabilities.wheelchairPositions < 1) {
    errors['capabilities.bariatric'] = 'A bariatric lift needs at least one wheelchair position.';
  }
  return errors;
}

/** Adds a vehicle (no `vehicle`) or changes one: only what differs is sent, with If-Match (usePinnedEdit). */
export function VehicleForm({ vehicle, onDone }: { vehicle?: Vehicle; onDone: (message?: string) => void }) {
  const { api } = useConsole();
  const refresh = useRefresh();
  const keyFor = useIdempotencyKey();
  const id = useId();
  const { base, draft, setDraft, restartIfStale } = usePinnedEdit(vehicle, recordKeys.vehicles, draftOf, NEW_VEHICLE);
  const [local, setLocal] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (values: Draft) => {
      if (!base) {
        return data(api.POST('/v1/vehicles', { params: { header: { 'Idempotency-Key': keyFor(values) } }, body: values }));
      }
      return data(api.PATCH('/v1/vehicles/{vehicleId}', {
        params: { path: { vehicleId: base.id }, header: ifMatch(base.version) }, body: changesOf(values, base),
      }));
    },
    onSuccess: (saved) => {
      refresh(recordKeys.vehicles);
      if (!base) setDraft(NEW_VEHICLE);
      onDone(base ? `${saved.name} saved.` : `${saved.name} added to the fleet, in service.`);
    },
    onError: restartIfStale,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const values = { ...draft, name: draft.name.trim(), plate: draft.plate.trim() };
    const found = localErrors(values);
    setLocal(found);
    const first = Object.keys(found)[0];
    if (first) {
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    // Nothing changed: nothing to send, nothing to read again.
    if (base && Object.keys(changesOf(values, base)).length === 0) {
      onDone(`${base.name} saved.`);
      return;
    }
    save.mutate(values);
  };
  const message = (path: string) => fieldMessage(local, save.error, path);
  const setCapability = <K extends keyof Capabilities>(key: K, value: Capabilities[K]) =>
    setDraft({ ...draft, capabilities: { ...draft.capabilities, [key]: value } });
  const count = (key: 'ambulatorySeats' | 'wheelchairPositions', label: string, max: number) => (
    <TextField id={`${id}-capabilities.${key}`} label={label} type="number" min={0} max={max} step={1} inputMode="numeric"
      value={draft.capabilities[key]} message={message(`capabilities.${key}`)} className="narrow-field"
      onChange={(e) => setCapability(key, Math.max(0, Math.min(max, Math.trunc(Number(e.target.value)) || 0)))} />
  );

  return (
    <form className="admin-form" noValidate onSubmit={submit} aria-label={base ? `Edit ${base.name}` : 'Add a vehicle'}>
      <div className="field-row">
        <TextField id={`${id}-name`} label="Name" value={draft.name} maxLength={60} autoComplete="off"
          onChange={(e) => setDraft({ ...draft, name: e.target.value })} message={message('name')} hint="As drivers call it, e.g. Van 7" />
        <TextField id={`${id}-plate`} label="Plate" value={draft.plate} maxLength={12} autoComplete="off"
          onChange={(e) => setDraft({ ...draft, plate: e.target.value.toUpperCase() })} message={message('plate')} />
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as Vehicle['kind'] })}
            aria-describedby={message('kind') ? `${id}-kind-error` : undefined}>
            {(Object.keys(VEHICLE_KIND) as Vehicle['kind'][]).map((kind) => (
              <option key={kind} value={kind}>{capitalise(VEHICLE_KIND[kind])}</option>
            ))}
          </select>
          <FieldError id={`${id}-kind-error`} message={message('kind')} />
        </div>
      </div>
      <fieldset>
        <legend>What it can carry</legend>
        <div className="field-row">
          {count('ambulatorySeats', 'Seats', 20)}
          {count('wheelchairPositions', 'Wheelchair positions', 6)}
        </div>
        <div className="choices">
          <CheckField id={`${id}-capabilities.bariatric`} label="Bariatric (XL) wheelchair lift" checked={draft.capabilities.bariatric}
            onChange={(checked) => setCapability('bariatric', checked)} message={message('capabilities.bariatric')} />
          <CheckField id={`${id}-capabilities.stretcher`} label="Stretcher" checked={draft.capabilities.stretcher}
            onChange={(checked) => setCapability('stretcher', checked)} message={message('capabilities.stretcher')} />
          <CheckField id={`${id}-capabilities.oxygen`} label="Carries oxygen" checked={draft.capabilities.oxygen}
            onChange={(checked) => setCapability('oxygen', checked)} message={message('capabilities.oxygen')} />
        </div>
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : base ? 'Save the vehicle' : 'Add the vehicle'}
        </button>
        {base && <button type="button" onClick={() => onDone()}>Cancel</button>}
      </div>
      <FormError local={local} error={save.error} />
    </form>
  );
}
