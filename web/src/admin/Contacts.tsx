import { useFacility } from '../api/records';
import { ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { ContactsPanel } from './ContactsPanel';

/** A FacilityAdmin's own facility's contacts (the API scopes the list and the changes to it). */
export default function Contacts() {
  const { me } = useConsole();
  const facility = useFacility(me.facilityId);
  return (
    <section className="page admin narrow" aria-labelledby="page-title">
      <h1 id="page-title">Contacts</h1>
      <p className="hint">
        The people at {facility.data?.name ?? 'your facility'} who arrange rides, such as case managers and nurses. A
        scheduler account can follow one contact’s trips.
      </p>
      {facility.isPending && <LoadingState label="Loading your facility" />}
      {facility.isError && <ErrorState error={facility.error} onRetry={() => void facility.refetch()} />}
      <ContactsPanel facilityName={facility.data?.name ?? 'Your facility'} />
    </section>
  );
}
