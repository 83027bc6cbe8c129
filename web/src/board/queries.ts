import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { allPages, data } from '../api/client';
import type { User } from '../api/contract';
import { useConsole } from '../context';

/** How often the board refreshes on its own (CONSOLE.md: statuses refresh without a reload). */
export const POLL_MS = 10_000;

export const keys = {
  requests: ['trip-requests', 'requested'] as const,
  legs: (date: string) => ['legs', date] as const,
  drivers: ['users', 'Driver'] as const,
  cancellations: ['cancellation-requests', 'pending'] as const,
};

/** Every driver (all pages), for the timeline's rows and the assign select. */
export function useDrivers() {
  const { api } = useConsole();
  return useQuery({
    queryKey: keys.drivers,
    staleTime: 60_000,
    queryFn: () =>
      allPages<User>((cursor) =>
        data(api.GET('/v1/users', { params: { query: { role: 'Driver', limit: 100, ...(cursor ? { cursor } : {}) } } })),
      ),
  });
}

/**
 * Ids that appeared since the previous refresh (not on the first load): the board highlights them
 * and announces the count, instead of shoving them in silently. A new `scope` (another day of the
 * legs) is a first load again: its ids are not "new", they were never shown.
 */
export function useNewIds(ids: readonly string[] | undefined, scope = ''): ReadonlySet<string> {
  const seen = useRef<{ scope: string; ids: Set<string> } | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(NONE);
  const signature = ids?.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the list's signature (and its scope) is the dependency, not the array's identity
  useEffect(() => {
    if (ids === undefined) return;
    if (seen.current === null || seen.current.scope !== scope) {
      seen.current = { scope, ids: new Set(ids) };
      setFresh(NONE);
      return;
    }
    const known = seen.current.ids;
    const added = ids.filter((id) => !known.has(id));
    for (const id of ids) known.add(id);
    if (added.length > 0) setFresh(new Set(added));
  }, [signature, scope]);
  return fresh;
}

const NONE: ReadonlySet<string> = new Set();
