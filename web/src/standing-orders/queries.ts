import { useQuery } from '@tanstack/react-query';
import { allPages, data } from '../api/client';
import type { Facility, Rider, StandingOrderStatus } from '../api/contract';
import { useConsole } from '../context';

/** Query keys: every series query starts with 'standing-orders', so one invalidation refreshes them all. */
export const seriesKeys = {
  all: ['standing-orders'] as const,
  list: (status: StandingOrderStatus) => ['standing-orders', 'list', status] as const,
  one: (standingOrderId: string) => ['standing-orders', 'one', standingOrderId] as const,
  preview: (standingOrderId: string) => ['standing-orders', 'preview', standingOrderId] as const,
};

/** How many occurrences the detail lists (the preview route allows 1–60). */
export const PREVIEW_COUNT = 10;

/** One rider (the series carries only its id); shared with the trip page's key. */
export function useRider(riderId: string | undefined) {
  const { api } = useConsole();
  return useQuery({
    queryKey: ['rider', riderId],
    enabled: Boolean(riderId),
    staleTime: 60_000,
    queryFn: () => data(api.GET('/v1/riders/{riderId}', { params: { path: { riderId: riderId ?? '' } } })),
  });
}

/** The facilities (tenants of kind facility), for names and the create form's choice. */
export function useFacilities() {
  const { api } = useConsole();
  return useQuery({
    queryKey: ['facilities', 'facility'],
    staleTime: 5 * 60_000,
    queryFn: () =>
      allPages<Facility>((cursor) =>
        data(api.GET('/v1/facilities', { params: { query: { kind: 'facility', limit: 100, ...(cursor ? { cursor } : {}) } } })),
      ),
  });
}

/** A facility's riders (all pages), for the create form. */
export function useRiders(facilityId: string) {
  const { api } = useConsole();
  return useQuery({
    queryKey: ['riders', facilityId],
    enabled: facilityId !== '',
    staleTime: 60_000,
    queryFn: () =>
      allPages<Rider>((cursor) =>
        data(api.GET('/v1/riders', { params: { query: { facilityId, limit: 100, ...(cursor ? { cursor } : {}) } } })),
      ),
  });
}

/** "Alex Johnson", or why there is no name to show. */
export function riderName(rider: Rider | undefined): string {
  if (!rider) return 'Rider';
  return rider.fullName ?? (rider.erased ? 'Rider (erased)' : 'Rider');
}
