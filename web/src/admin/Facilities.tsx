import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { data } from '../api/client';
import type { Facility } from '../api/contract';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { type FacilityDraft, FacilityForm } from './FacilityForm';
import { recordKeys, useFacilities } from '../api/records';
import { useRefresh } from './queries';
import { useIdempotencyKey } from '../api/idempotency';
import { FACILITY_KIND, notificationsText } from './words';

/** The tenants: facilities that book rides for their patients, and private-pay riders' own accounts. */
export default function Facilities() {
  const facilities = useFacilities();
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

type Draft = Required<Pick<FacilityDraft, 'kind' | 'name' | 'address' | 'notifyDriverEnRoute' | 'notifyRideReminder'>>;

const EMPTY: Draft = { kind: 'facility', name: '', address: '', notifyDriverEnRoute: false, notifyRideReminder: false };

function NewFacility({ onCreated }: { onCreated: (facility: Facility) => void }) {
  const { api } = useConsole();
  const refresh = useRefresh();
  const keyFor = useIdempotencyKey();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const create = useMutation({
    mutationFn: ({ address, ...rest }: Draft) => {
      const body = { ...rest, ...(rest.kind === 'facility' && address ? { address } : {}) };
      return data(api.POST('/v1/facilities', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: (facility) => {
      refresh(recordKeys.facilities);
      setDraft(EMPTY);
      onCreated(facility);
    },
  });
  return (
    <FacilityForm title="Add a facility" draft={draft} onChange={setDraft} onSubmit={(body) => create.mutate(body)}
      pending={create.isPending} error={create.error} submitLabel="Add the facility" pendingLabel="Adding…" />
  );
}
