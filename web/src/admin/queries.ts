import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
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

