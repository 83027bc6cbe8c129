import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { allPages, data } from '../api/client';
import type { Schemas } from '../api/contract';
import { ApiProblem } from '../api/problem';
import { useConsole } from '../context';

export type Contact = Schemas['Contact'];
export type AuditResult = Schemas['AuditVerification'];

/** Query keys: one prefix per list, so a change invalidates exactly the lists it touches. */
export const adminKeys = {
  contacts: (facilityId: string | undefined) => ['admin', 'contacts', facilityId ?? 'own'] as const,
  audit: ['admin', 'audit'] as const,
};

const page = (cursor: string | undefined) => ({ limit: 100, ...(cursor ? { cursor } : {}) });

/** A facility's contacts; a FacilityAdmin passes no facility (the API scopes the list to theirs). */
export function useContacts(facilityId: string | undefined, enabled = true) {
  const { api } = useConsole();
  return useQuery({
    queryKey: adminKeys.contacts(facilityId),
    enabled,
    queryFn: async () => {
      const items = await allPages<Contact>((cursor) =>
        data(api.GET('/v1/contacts', { params: { query: { ...page(cursor), ...(facilityId ? { facilityId } : {}) } } })));
      return items.sort((a, b) => a.fullName.localeCompare(b.fullName));
    },
  });
}

/** Refreshes the lists under a key prefix after a change. */
export function useRefresh() {
  const queryClient = useQueryClient();
  return useCallback((key: readonly string[]) => void queryClient.invalidateQueries({ queryKey: key }), [queryClient]);
}


/**
 * An edit form's record and draft, pinned to the record as the form opened it: its changes are
 * worked out, and sent with If-Match, against that version, never the list refreshed underneath
 * (a change made meanwhile is refused, not overwritten). After a 412 the form starts again from the
 * record as the list now has it; the refusal stays on screen. No record: a creating form.
 */
export function usePinnedEdit<R extends { id: string }, D>(record: R | undefined, listKey: readonly unknown[], draftOf: (record: R) => D,
  empty: D) {
  const queryClient = useQueryClient();
  const [base, setBase] = useState(record);
  const [draft, setDraft] = useState<D>(base ? draftOf(base) : empty);
  const restartIfStale = async (error: unknown) => {
    if (!base || !(error instanceof ApiProblem && error.status === 412)) return;
    await queryClient.invalidateQueries({ queryKey: listKey });
    const now = queryClient.getQueryData<R[]>(listKey)?.find((candidate) => candidate.id === base.id);
    if (now) {
      setBase(now);
      setDraft(draftOf(now));
    }
  };
  return { base, draft, setDraft, restartIfStale };
}
