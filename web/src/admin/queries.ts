import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef } from 'react';
import { allPages, data } from '../api/client';
import type { Schemas } from '../api/contract';
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
 * One Idempotency-Key per body: sending the same answers again (a retry after a lost answer)
 * replays the first creation; a corrected form after a refusal is a new request.
 */
export function useIdempotencyKey(): (body: unknown) => string {
  const attempt = useRef<{ body: string; key: string } | null>(null);
  return useCallback((body: unknown) => {
    const signature = JSON.stringify(body);
    if (attempt.current?.body !== signature) attempt.current = { body: signature, key: crypto.randomUUID() };
    return attempt.current.key;
  }, []);
}
