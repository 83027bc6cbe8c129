import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { data, ifMatch } from '../api/client';
import type { Rider } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { bookable, recordKeys, riderName, useRider } from '../api/records';
import { useAnnouncer } from '../components/Announcer';
import { ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { formatCalendarDate } from '../lib/time';
import { formatPhone, MOBILITY, messagesText } from '../lib/words';
import { facilityKeys } from './queries';
import { type RiderDraft, RiderForm, riderChanges, riderCreateBody, riderDraftOf } from './RiderForm';
import './facility.css';
import { useIdempotencyKey } from '../api/idempotency';

/** `/riders/new` registers a rider; `/riders/:riderId` shows and changes one. */
export default function RiderPage() {
  const { riderId } = useParams();
  return riderId ? <EditRider riderId={riderId} /> : <NewRider />;
}

function NewRider() {
  const { api, me } = useConsole();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const thenRequest = params.get('then') === 'request';
  const isDispatcher = me.role === 'Dispatcher';
  const keyFor = useIdempotencyKey();
  const create = useMutation({
    mutationFn: (draft: RiderDraft) => {
      const body = riderCreateBody(draft, isDispatcher);
      return data(api.POST('/v1/riders', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: (rider) => {
      void queryClient.invalidateQueries({ queryKey: facilityKeys.all });
      void queryClient.invalidateQueries({ queryKey: recordKeys.allRiders });
      if (thenRequest) navigate(`/trips/new?riderId=${rider.id}`);
      else navigate(`/riders/${rider.id}`, { state: { created: true } });
    },
  });
  return (
    <section className="page facility" aria-labelledby="rider-title">
      <p><Link to={thenRequest ? '/trips/new' : '/riders'}>{thenRequest ? '← Back to the request' : '← Riders'}</Link></p>
      <h1 id="rider-title">New rider</h1>
      {thenRequest && <p className="hint">Once saved, you go back to the trip request with this rider chosen.</p>}
      <RiderForm initial={riderDraftOf(undefined)} choosesFacility={isDispatcher} title="New rider"
        submitLabel={thenRequest ? 'Save and continue the request' : 'Save the rider'}
        pending={create.isPending} error={create.error} onSubmit={(draft) => create.mutate(draft)} />
    </section>
  );
}

function EditRider({ riderId }: { riderId: string }) {
  const { api, me } = useConsole();
  const location = useLocation();
  const queryClient = useQueryClient();
  const { announce, region } = useAnnouncer();
  const justCreated = (location.state as { created?: boolean } | null)?.created === true;
  const [editing, setEditing] = useState(false);
  const rider = useRider(riderId, { fresh: true });
  const save = useMutation({
    mutationFn: ({ draft, before }: { draft: RiderDraft; before: Rider }) =>
      data(api.PATCH('/v1/riders/{riderId}', {
        params: { path: { riderId }, header: ifMatch(before.version) },
        body: riderChanges(draft, before),
      })),
    onSuccess: (saved) => {
      queryClient.setQueryData(recordKeys.rider(riderId), saved);
      void queryClient.invalidateQueries({ queryKey: facilityKeys.all });
      void queryClient.invalidateQueries({ queryKey: recordKeys.allRiders });
      setEditing(false);
      announce(`${saved.fullName ?? 'The rider'} saved.`);
    },
    onError: (error) => {
      if (error instanceof ApiProblem && error.status === 412) void rider.refetch();
    },
  });

  useEffect(() => {
    if (justCreated) announce('Rider saved.');
  }, [justCreated, announce]);

  if (rider.isPending) return <div className="page facility">{region}<LoadingState label="Loading the rider" /></div>;
  if (rider.isError) {
    const missing = rider.error instanceof ApiProblem && (rider.error.status === 404 || rider.error.status === 400);
    return (
      <section className="page narrow" aria-labelledby="rider-title">
        <h1 id="rider-title">{missing ? 'Rider not found' : 'The rider could not be loaded'}</h1>
        {missing ? <p>There is no rider you may see at this address.</p>
          : <ErrorState error={rider.error} onRetry={() => void rider.refetch()} />}
        <p><Link to="/riders">Go to the riders</Link></p>
      </section>
    );
  }
  const r = rider.data;
  const name = riderName(r);
  const canBook = bookable(r);
  return (
    <section className="page facility" aria-labelledby="rider-title">
      {region}
      <p><Link to="/riders">← Riders</Link></p>
      <div className="page-title">
        <h1 id="rider-title">{name}</h1>
        {canBook && me.role !== 'Dispatcher' && (
          <Link className="button-link primary-link" to={`/trips/new?riderId=${r.id}`}>Request a trip for {name}</Link>
        )}
      </div>
      {justCreated && <p className="notice">Rider saved.</p>}
      {r.erased && <p className="notice">This rider’s personal data was erased; nothing can be changed.</p>}
      {r.mergedIntoRiderId && (
        <p className="notice">This record was merged into <Link to={`/riders/${r.mergedIntoRiderId}`}>another rider</Link>.</p>
      )}
      {!editing && (
        <>
          <dl className="facts">
            <div><dt>Phone</dt><dd>{r.phone ? formatPhone(r.phone) : '—'}</dd></div>
            <div><dt>Email</dt><dd>{r.email ?? '—'}</dd></div>
            <div><dt>Date of birth</dt><dd>{r.dateOfBirth ? formatCalendarDate(r.dateOfBirth) : '—'}</dd></div>
            <div><dt>Home</dt><dd>{r.homeAddress ?? '—'}</dd></div>
            <div><dt>Gets around</dt><dd>{MOBILITY[r.mobility]}</dd></div>
            <div><dt>Care notes</dt><dd>{r.careNotes ?? '—'}</dd></div>
            <div><dt>Messages</dt><dd>{messagesText(r)}</dd></div>
          </dl>
          {canBook && <div className="actions"><button type="button" onClick={() => setEditing(true)}>Change details</button></div>}
        </>
      )}
      {editing && (
        <RiderForm initial={riderDraftOf(r)} choosesFacility={false} title={`Change ${name}`} submitLabel="Save the changes"
          pending={save.isPending} error={save.error} onSubmit={(draft) => save.mutate({ draft, before: r })}
          extraActions={<button type="button" onClick={() => { save.reset(); setEditing(false); }}>Keep as it was</button>} />
      )}
    </section>
  );
}
