import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api } from '../api/client';
import { data } from '../api/client';
import type { CompletionBody, LegStatusEventBody, Schemas } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { describeError } from '../components/States';
import { forgetTap, newTap, readTaps, saveTap, sentTap, type Tap, type TapAction, tapsKeptOnThisPageOnly } from './taps';

const RETRY_MS = 15_000;
const PAGE_ONLY = 'This phone does not let the console keep taps on it: they are sent as soon as there is signal, '
  + 'but only while this page stays open. Keep it open until every tap says sent.';
const STORAGE_FAILED = 'This phone would not let the console save that tap: tap again when you have signal.';

/** Answers worth another try later: no signal, the server or the session briefly unavailable. */
function worthRetrying(error: unknown): boolean {
  if (!(error instanceof ApiProblem)) return true;
  return error.status === 0 || error.status === 401 || error.status === 408 || error.status === 429 || error.status >= 500;
}

export function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  return online;
}

/** Sends one tap with the Idempotency-Key it was made with: a status event, or a completion. */
function send(api: Api, tap: Tap): Promise<Schemas['Leg']> {
  const params = { path: { legId: tap.legId }, header: { 'Idempotency-Key': tap.key } };
  return tap.completion
    ? data(api.POST('/v1/legs/{legId}/completion', { params, body: tap.completion }))
    : data(api.POST('/v1/legs/{legId}/status-events', { params, body: tap.event }));
}

/** A refusal's field messages, kept with a completion so the form can show them at its fields. */
function fieldErrorsOf(error: unknown): Record<string, string> | undefined {
  if (!(error instanceof ApiProblem) || error.fieldErrors.size === 0) return undefined;
  return Object.fromEntries(error.fieldErrors);
}

/**
 * The driver's taps as a queue on the phone: a tap (a status, or a leg's completion) is saved
 * first, then sent; taps go out one at a time in the order they were made, each with the
 * Idempotency-Key it got when it was made, so a resend after lost signal replays instead of
 * recording twice. Without signal they wait and go when the browser says it is online again (and
 * every 15 s while any wait). A tap the server refuses stays on screen, with the server's reason,
 * until the driver dismisses it (or, for a completion, sends a corrected one).
 */
export function useTaps(api: Api, driver: string, onRecorded: (leg: Schemas['Leg']) => void, onRefused: () => void) {
  const [taps, setTaps] = useState<Tap[]>([]);
  const [sending, setSending] = useState(false);
  const [storageProblem, setStorageProblem] = useState<string | null>(null);
  const flushing = useRef(false);
  const again = useRef(false);
  const recorded = useRef(onRecorded);
  recorded.current = onRecorded;
  const refused = useRef(onRefused);
  refused.current = onRefused;

  const reload = useCallback(async () => {
    try {
      setTaps(await readTaps(driver));
      if (await tapsKeptOnThisPageOnly()) setStorageProblem(PAGE_ONLY);
    } catch {
      setStorageProblem(STORAGE_FAILED);
    }
  }, [driver]);

  const flush = useCallback(async () => {
    if (flushing.current) {
      again.current = true;
      return;
    }
    if (!navigator.onLine) return;
    flushing.current = true;
    setSending(true);
    try {
      do {
        again.current = false;
        for (const tap of (await readTaps(driver)).filter((candidate) => candidate.state === 'pending')) {
          try {
            const leg = await send(api, tap);
            await saveTap(sentTap(tap));
            recorded.current(leg);
          } catch (error) {
            if (worthRetrying(error)) return;
            const fieldErrors = fieldErrorsOf(error);
            await saveTap({ ...tap, state: 'refused', refusal: describeError(error), ...(fieldErrors ? { fieldErrors } : {}) });
            refused.current();
          }
          await reload();
        }
      } while (again.current);
    } catch {
      // Storage failed mid-way: what was saved is still there; the next flush resumes from it.
    } finally {
      flushing.current = false;
      setSending(false);
      await reload();
    }
  }, [api, driver, reload]);

  useEffect(() => {
    void reload().then(flush);
    const online = () => void flush();
    window.addEventListener('online', online);
    return () => window.removeEventListener('online', online);
  }, [reload, flush]);

  const waiting = taps.some((tap) => tap.state === 'pending');
  useEffect(() => {
    if (!waiting) return;
    const timer = window.setInterval(() => void flush(), RETRY_MS);
    return () => window.clearInterval(timer);
  }, [waiting, flush]);

  const enqueue = useCallback(async (legId: string, action: TapAction) => {
    const made = newTap(driver, legId, action, taps);
    // A corrected completion replaces the refused one it corrects: the driver has seen that refusal.
    const corrected = action.completion
      ? taps.filter((old) => old.legId === legId && old.completion && old.state === 'refused').map((old) => old.key)
      : [];
    setTaps((current) => [...current.filter((old) => !corrected.includes(old.key)), made]);
    try {
      await saveTap(made);
      for (const key of corrected) await forgetTap(key);
    } catch {
      setStorageProblem(STORAGE_FAILED);
    }
    await flush();
  }, [driver, taps, flush]);

  const tap = useCallback((legId: string, event: LegStatusEventBody) => enqueue(legId, { event }), [enqueue]);
  const complete = useCallback((legId: string, completion: CompletionBody) => enqueue(legId, { completion }), [enqueue]);

  const dismiss = useCallback(async (key: string) => {
    await forgetTap(key);
    await reload();
  }, [reload]);

  return { taps, sending, storageProblem, tap, complete, dismiss };
}
