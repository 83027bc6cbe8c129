import { useState } from 'react';
import type { Vehicle } from '../api/contract';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { VEHICLE_KIND } from '../lib/words';
import { useVehicles } from '../api/records';
import { VehicleActions } from './VehicleActions';
import { VehicleForm } from './VehicleForm';
import { capabilitiesText, VEHICLE_STATUS } from './words';

/** The fleet: what each vehicle can carry, whether it is in service, and its odometer. */
export default function Vehicles() {
  const vehicles = useVehicles();
  const { announce, region } = useAnnouncer();
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <section className="page admin" aria-labelledby="page-title">
      {region}
      <h1 id="page-title">Vehicles</h1>
      <div className="admin-grid">
        <section className="pane" aria-labelledby="vehicle-list-title">
          <h2 id="vehicle-list-title">Fleet {vehicles.data && <span className="count">{vehicles.data.length}</span>}</h2>
          {vehicles.isPending && <LoadingState label="Loading the vehicles" />}
          {vehicles.isError && <ErrorState error={vehicles.error} onRetry={() => void vehicles.refetch()} />}
          {vehicles.data?.length === 0 && <EmptyState>No vehicles yet. Add the first one.</EmptyState>}
          <ul className="admin-list">
            {vehicles.data?.map((vehicle) => (
              <li key={vehicle.id}>
                {editing === vehicle.id ? (
                  <VehicleForm vehicle={vehicle} onDone={(message) => { setEditing(null); if (message) announce(message); }} />
                ) : (
                  <VehicleRow vehicle={vehicle} onEdit={() => setEditing(vehicle.id)} onReport={announce} />
                )}
              </li>
            ))}
          </ul>
        </section>
        <section className="pane" aria-labelledby="new-vehicle-title">
          <h2 id="new-vehicle-title">Add a vehicle</h2>
          <VehicleForm onDone={(message) => message && announce(message)} />
        </section>
      </div>
    </section>
  );
}

function VehicleRow({ vehicle, onEdit, onReport }: { vehicle: Vehicle; onEdit: () => void; onReport: (message: string) => void }) {
  return (
    <article className="vehicle" aria-label={vehicle.name}>
      <div className="admin-row">
        <div>
          <h3 className="admin-row-title">
            {vehicle.name} <span className="ref">{vehicle.plate}</span>
            <span className={`status status-${vehicle.status.replaceAll('_', '-')}`}>{VEHICLE_STATUS[vehicle.status]}</span>
          </h3>
          <p className="meta">
            {VEHICLE_KIND[vehicle.kind]} · {capabilitiesText(vehicle.capabilities)} · odometer{' '}
            {vehicle.odometer === null ? 'not recorded yet' : `${vehicle.odometer.toLocaleString('en-US')} mi`}
          </p>
          {vehicle.status === 'out_of_service' && vehicle.outOfServiceReason && (
            <p className="meta">Out of service: {vehicle.outOfServiceReason}</p>
          )}
        </div>
      </div>
      <VehicleActions vehicle={vehicle} onEdit={onEdit} onReport={onReport} />
    </article>
  );
}
