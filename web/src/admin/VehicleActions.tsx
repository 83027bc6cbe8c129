import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { data, ifMatch } from '../api/client';
import type { Vehicle } from '../api/contract';
import { ActionError, FormError } from '../components/States';
import { useConsole } from '../context';
import { fieldMessage, TextField } from './fields';
import { recordKeys } from '../api/records';
import { useRefresh } from './queries';

type Report = (message: string) => void;

function useVehicleChange(vehicle: Vehicle) {
  const { api } = useConsole();
  const refresh = useRefresh();
  const transition = useMutation({
    mutationFn: (body: { to: Vehicle['status']; reason?: string }) =>
      data(api.POST('/v1/vehicles/{vehicleId}/status', {
        params: { path: { vehicleId: vehicle.id }, header: ifMatch(vehicle.version) }, body,
      })),
    onSettled: () => refresh(recordKeys.vehicles),
  });
  const odometer = useMutation({
    mutationFn: (body: { reading: number; reason: string }) =>
      data(api.POST('/v1/vehicles/{vehicleId}/odometer-corrections', {
        params: { path: { vehicleId: vehicle.id }, header: ifMatch(vehicle.version) }, body,
      })),
    onSettled: () => refresh(recordKeys.vehicles),
  });
  return { transition, odometer };
}

/**
 * Edit, out of service (with a reason), back into service, a corrected odometer, retirement. Only
 * retirement is confirmed: it is the one that cannot be undone.
 */
export function VehicleActions({ vehicle, onEdit, onReport }: { vehicle: Vehicle; onEdit: () => void; onReport: Report }) {
  const { transition } = useVehicleChange(vehicle);
  const [open, setOpen] = useState<'out' | 'odometer' | 'retire' | null>(null);
  if (vehicle.status === 'retired') return null;
  const toggle = (which: 'out' | 'odometer' | 'retire') => setOpen(open === which ? null : which);
  return (
    <div className="vehicle-actions">
      <div className="actions">
        <button type="button" onClick={onEdit} aria-label={`Edit ${vehicle.name}`}>Edit</button>
        {vehicle.status === 'in_service' ? (
          <button type="button" aria-expanded={open === 'out'} onClick={() => toggle('out')}>Take out of service</button>
        ) : (
          <button type="button" disabled={transition.isPending} onClick={() => transition.mutate({ to: 'in_service' }, {
            onSuccess: (saved) => onReport(`${saved.name} is back in service.`),
          })}>Return to service</button>
        )}
        <button type="button" aria-expanded={open === 'odometer'} onClick={() => toggle('odometer')}>Correct the odometer</button>
        <button type="button" aria-expanded={open === 'retire'} onClick={() => toggle('retire')}>Retire…</button>
      </div>
      {open === null && <ActionError error={transition.error} />}
      {open === 'out' && <OutOfService vehicle={vehicle} onDone={(message) => { setOpen(null); onReport(message); }} />}
      {open === 'odometer' && <OdometerCorrection vehicle={vehicle} onDone={(message) => { setOpen(null); onReport(message); }} />}
      {open === 'retire' && (
        <div className="confirm">
          <p>Retire {vehicle.name}? It leaves the fleet for good and can no longer be assigned or changed.</p>
          <button type="button" className="danger" disabled={transition.isPending} onClick={() => transition.mutate({ to: 'retired' }, {
            onSuccess: (saved) => { setOpen(null); onReport(`${saved.name} is retired.`); },
          })}>Yes, retire it</button>
          <button type="button" onClick={() => setOpen(null)}>Keep it</button>
          <ActionError error={transition.error} />
        </div>
      )}
    </div>
  );
}

function OutOfService({ vehicle, onDone }: { vehicle: Vehicle; onDone: Report }) {
  const { transition } = useVehicleChange(vehicle);
  const id = useId();
  const [reason, setReason] = useState('');
  const [local, setLocal] = useState<Record<string, string>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = reason.trim() ? {} : { reason: 'Say why, e.g. brakes, so dispatchers know when to expect it back.' };
    setLocal(found);
    if (found.reason) {
      document.getElementById(`${id}-reason`)?.focus();
      return;
    }
    transition.mutate({ to: 'out_of_service', reason: reason.trim() }, {
      onSuccess: (saved) => onDone(`${saved.name} is out of service.`),
    });
  };
  return (
    <form className="admin-form inline-form" noValidate onSubmit={submit} aria-label={`Take ${vehicle.name} out of service`}>
      <TextField id={`${id}-reason`} label="Reason" value={reason} maxLength={500} autoComplete="off" className="grow"
        onChange={(e) => setReason(e.target.value)} message={fieldMessage(local, transition.error, 'reason')} />
      <div className="actions">
        <button type="submit" className="primary" disabled={transition.isPending}>Take it out of service</button>
      </div>
      <FormError local={local} error={transition.error} />
    </form>
  );
}

function OdometerCorrection({ vehicle, onDone }: { vehicle: Vehicle; onDone: Report }) {
  const { odometer } = useVehicleChange(vehicle);
  const id = useId();
  const [reading, setReading] = useState(vehicle.odometer === null ? '' : String(vehicle.odometer));
  const [reason, setReason] = useState('');
  const [local, setLocal] = useState<Record<string, string>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const miles = Number(reading);
    const found: Record<string, string> = {};
    if (reading.trim() === '' || !Number.isFinite(miles) || miles < 0) found.reading = 'Enter the miles the odometer shows.';
    if (!reason.trim()) found.reason = 'Say why the recorded reading was wrong.';
    setLocal(found);
    const first = Object.keys(found)[0];
    if (first) {
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    odometer.mutate({ reading: miles, reason: reason.trim() }, {
      onSuccess: (saved) => onDone(`${saved.name}'s odometer now reads ${saved.odometer ?? miles} miles.`),
    });
  };
  return (
    <form className="admin-form inline-form" noValidate onSubmit={submit} aria-label={`Correct ${vehicle.name}'s odometer`}>
      <div className="field-row">
        <TextField id={`${id}-reading`} label="Reading (miles)" type="number" min={0} step={0.1} inputMode="decimal" value={reading}
          onChange={(e) => setReading(e.target.value)} message={fieldMessage(local, odometer.error, 'reading')} />
        <TextField id={`${id}-reason`} label="Reason" value={reason} maxLength={500} autoComplete="off" className="grow"
          onChange={(e) => setReason(e.target.value)} message={fieldMessage(local, odometer.error, 'reason')} />
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={odometer.isPending}>Save the reading</button>
      </div>
      <FormError local={local} error={odometer.error} />
    </form>
  );
}
