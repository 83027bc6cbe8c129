import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { data } from '../api/client';
import { useConsole } from '../context';
import { useSeriesAudience } from './audience';
import { seriesKeys } from './queries';
import { createBodyOf, draftOf, type SeriesDraft, SeriesForm } from './SeriesForm';
import { useIdempotencyKey } from '../api/idempotency';

/**
 * A series for a rider (dialysis on Mon/Wed/Fri): booked by a Dispatcher for any facility (the next
 * screen is its detail, where it is previewed and accepted), or asked for by a facility's own people
 * for their facility (it waits for the Dispatcher; the detail shows what it would make).
 */
export default function NewSeries() {
  const { api, me, timeZone } = useConsole();
  const audience = useSeriesAudience();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  // One Idempotency-Key per body: a retry of the same answers replays the first creation; a
  // corrected form after a refusal is a new request.
  const keyFor = useIdempotencyKey();
  const create = useMutation({
    mutationFn: (draft: SeriesDraft) => {
      const body = createBodyOf(draft, { namingFacility: !audience.facility });
      return data(api.POST('/v1/standing-orders', { params: { header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: (series) => {
      void queryClient.invalidateQueries({ queryKey: seriesKeys.all });
      navigate(`/standing-orders/${series.id}`, { state: { created: true } });
    },
  });
  return (
    <section className="page form-page" aria-labelledby="new-series-title">
      <p><Link to={audience.back.to}>← {audience.back.label}</Link></p>
      <h1 id="new-series-title">New standing order</h1>
      <p className="hint">
        {audience.facility
          ? `Rides that repeat every week for one of your riders, such as dialysis on Monday, Wednesday and Friday. It
            waits for the transport provider's dispatcher to accept it; once accepted, its rides for the coming days are
            booked, and more are added every night.`
          : `Rides that repeat every week for one rider, such as dialysis on Monday, Wednesday and Friday. It waits for
            acceptance; once accepted, its rides for the coming days appear on the board, and more are added every night.`}
      </p>
      <SeriesForm
        initial={draftOf(undefined, timeZone, audience.facility ? (me.facilityId ?? '') : '')}
        creating
        title="New standing order"
        submitLabel="Create the standing order"
        pending={create.isPending}
        error={create.error}
        onSubmit={(draft) => create.mutate(draft)}
      />
    </section>
  );
}
