import { useQuery } from '@tanstack/react-query';
import { data } from '../api/client';
import { ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { formatDateTime } from '../lib/time';
import { useFacility } from '../api/records';
import { adminKeys, type AuditResult } from './queries';

/** The provider's own events (staff accounts, role changes) are chained under the nil UUID; each tenant's under its id. */
const PROVIDER_CHAIN = '00000000-0000-0000-0000-000000000000';

const BREAK_REASON: Record<string, string> = {
  hash_mismatch: 'the event’s content no longer matches its fingerprint (it was altered)',
  prev_hash_mismatch: 'the event does not follow the one before it (an event before it was altered or removed)',
  sequence_gap: 'an event is missing before it (it was removed)',
};

/**
 * Recomputes every audit hash chain (one per tenant, one for the provider) and says, in words,
 * whether the record is whole or where a chain breaks. Run on opening and on request, never cached.
 */
export default function AuditVerification() {
  const { api, timeZone } = useConsole();
  const verification = useQuery({
    queryKey: adminKeys.audit,
    staleTime: 0,
    refetchOnWindowFocus: false,
    queryFn: async () => ({
      result: await data(api.GET('/v1/audit/verification')),
      checkedAt: new Date().toISOString(),
    }),
  });
  return (
    <section className="page admin narrow" aria-labelledby="page-title">
      <h1 id="page-title">Audit</h1>
      <p className="hint">
        Every change to trips, riders, users and facilities is recorded in hash chains: each event carries the fingerprint
        of the one before, so an event altered or removed afterwards breaks its chain. This check recomputes them all.
      </p>
      <div aria-live="polite" aria-busy={verification.isFetching}>
        {verification.isFetching && <LoadingState label="Verifying the audit chains" />}
        {!verification.isFetching && verification.isError && <ErrorState error={verification.error} />}
        {!verification.isFetching && verification.data && (
          <Outcome result={verification.data.result} checkedAt={formatDateTime(verification.data.checkedAt, timeZone)} />
        )}
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={verification.isFetching} onClick={() => void verification.refetch()}>
          Verify again
        </button>
      </div>
    </section>
  );
}

function Outcome({ result, checkedAt }: { result: AuditResult; checkedAt: string }) {
  const broken = result.firstBreak;
  // The one tenant whose chain broke, by name (the provider's own chain has none).
  const tenant = useFacility(broken?.chainKey, { enabled: broken !== undefined && broken.chainKey !== PROVIDER_CHAIN });
  const events = `${result.events.toLocaleString('en-US')} ${result.events === 1 ? 'event' : 'events'}`;
  const chains = result.chains === undefined ? '' : ` in ${result.chains} ${result.chains === 1 ? 'chain' : 'chains'}`;
  if (result.ok) {
    return (
      <div className="audit-outcome verified">
        <h2>The audit trail is intact</h2>
        <p>Verified {events}{chains}, up to {checkedAt}. No event was changed or removed.</p>
      </div>
    );
  }
  const chainName = (chainKey: string) => chainKey === PROVIDER_CHAIN ? 'the provider’s own chain'
    : `the chain of ${tenant.data?.name ?? 'a facility'}`;
  return (
    <div className="audit-outcome broken" role="alert">
      <h2>The audit trail is broken</h2>
      <p>Checked {events}{chains} at {checkedAt}.</p>
      {broken ? (
        <p>
          The first break is in {chainName(broken.chainKey)} (<span className="ref">{broken.chainKey}</span>), at event
          number {broken.seq} (id <span className="ref">{broken.eventId}</span>): {BREAK_REASON[broken.reason] ?? broken.reason}. Events from there on cannot be trusted until an
          operator compares them with the anchored copies.
        </p>
      ) : (
        <p>The check did not say where. Ask an operator to compare the chains with their anchored copies.</p>
      )}
    </div>
  );
}
