import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { Link, useNavigate } from 'react-router';
import { data } from '../api/client';
import { useConsole } from '../context';
import { seriesKeys } from './queries';
import { createBodyOf, draftOf, type SeriesDraft, SeriesForm } from './SeriesForm';

/**
 * A Dispatcher books a series for a rider (a dialysis centre phoning in Mon/Wed/Fri). It starts
 * pending like a facility's; the next screen is its detail, where it is previewed and accepted.
 */
export default function NewSeries() {
  const { api, timeZone } = useConsole();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  // One Idempotency-Key per body: a retry of the same answers replays the first creation; a
  // corrected form after a refusal is a new request.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: (draft: SeriesDraft) => {
      const body = createBodyOf(draft);
      const signature = JSON.stringify(body);
      if (attempt.current?.body !== signature) attempt.current = { body: signature, key: crypto.randomUUID() };
      return data(api.POST('/v1/standing-orders', { params: { header: { 'Idempotency-Key': attempt.current.key } }, body }));
    },
    onSuccess: (series) => {
      void queryClient.invalidateQueries({ queryKey: seriesKeys.all });
      navigate(`/standing-orders/${series.id}`, { state: { created: true } });
    },
  });
  return (
    <section className="page form-page" aria-labelledby="new-series-title">
      <p><Link to="/board">← Back to the board</Link></p>
      <h1 id="new-series-title">New standing order</h1>
      <p className="hint">
        Rides that repeat every week for one rider, such as dialysis on Monday, Wednesday and Friday. It waits for
        acceptance; once accepted, its rides for the coming days appear on the board, and more are added every night.
      </p>
      <SeriesForm
        initial={draftOf(undefined, timeZone)}
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
