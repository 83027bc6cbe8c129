import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { data, ifMatch } from '../api/client';
import type { Facility } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { recordKeys, useFacility } from '../api/records';
import { useAnnouncer } from '../components/Announcer';
import { ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { ContactsPanel } from './ContactsPanel';
import { FacilityForm } from './FacilityForm';
import { useRefresh } from './queries';
import { FACILITY_KIND } from './words';

/** One facility: its name, its riders' messages, whether it may still book, and its contacts. */
export default function FacilityPage() {
  const { facilityId = '' } = useParams();
  const facility = useFacility(facilityId, { fresh: true });
  // Here, not in the settings form: the form starts afresh after each save, its announcement must not.
  const { announce, region } = useAnnouncer();
  const back = <p><Link to="/admin/facilities">← All facilities</Link></p>;
  if (facility.isPending) return <section className="page admin">{back}<LoadingState label="Loading the facility" /></section>;
  if (facility.isError) {
    const missing = facility.error instanceof ApiProblem && (facility.error.status === 404 || facility.error.status === 400);
    return (
      <section className="page admin" aria-labelledby="page-title">
        {back}
        <h1 id="page-title">{missing ? 'Facility not found' : 'Facility'}</h1>
        {missing ? <p>There is no facility at this address.</p>
          : <ErrorState error={facility.error} onRetry={() => void facility.refetch()} />}
      </section>
    );
  }
  return (
    <section className="page admin" aria-labelledby="page-title">
      {region}
      {back}
      <h1 id="page-title">{facility.data.name}</h1>
      <p className="meta">{FACILITY_KIND[facility.data.kind]}</p>
      <div className="admin-grid">
        {/* Keyed by version: a saved or refreshed facility starts the form from what the server holds. */}
        <FacilitySettings key={facility.data.version} facility={facility.data} onSaved={announce} />
        <ContactsPanel facilityId={facility.data.id} facilityName={facility.data.name} />
      </div>
    </section>
  );
}

type Draft = Pick<Facility, 'name' | 'notifyDriverEnRoute' | 'notifyRideReminder' | 'active'> & { address: string };

function FacilitySettings({ facility, onSaved }: { facility: Facility; onSaved: (message: string) => void }) {
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const refresh = useRefresh();
  const saved: Draft = { name: facility.name, address: facility.address ?? '', notifyDriverEnRoute: facility.notifyDriverEnRoute,
    notifyRideReminder: facility.notifyRideReminder, active: facility.active };
  const [draft, setDraft] = useState<Draft>(saved);
  const save = useMutation({
    mutationFn: (changes: Record<string, string | boolean | null>) =>
      data(api.PATCH('/v1/facilities/{facilityId}', {
        params: { path: { facilityId: facility.id }, header: ifMatch(facility.version) }, body: changes,
      })),
    onSuccess: (answer) => {
      onSaved(`${answer.name} saved.`);
      // The answer is the facility as now held: no need to read it again; the lists show its name and state.
      queryClient.setQueryData(recordKeys.facility(facility.id), answer);
      refresh(recordKeys.facilities);
    },
    onError: (error) => {
      // 412: someone changed it meanwhile; the refreshed facility replaces the form (see the key above).
      if (error instanceof ApiProblem && error.status === 412) refresh(recordKeys.facility(facility.id));
    },
  });
  const submit = (values: Draft) => {
    const changed = (Object.keys(values) as (keyof Draft)[]).filter((key) => values[key] !== saved[key]);
    // An emptied address is removed (null), not saved as ''.
    const changes = Object.fromEntries(changed.map((key) => [key, key === 'address' ? values.address || null : values[key]]));
    // Nothing changed: nothing to send, nothing to read again.
    if (changed.length === 0) onSaved(`${facility.name} saved.`);
    else save.mutate(changes);
  };
  return (
    <FacilityForm title="Settings" draft={draft} savedKind={facility.kind} onChange={setDraft} onSubmit={submit}
      pending={save.isPending} error={save.error} submitLabel="Save the settings" pendingLabel="Saving…" />
  );
}
