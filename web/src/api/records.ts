import { useQuery } from '@tanstack/react-query';
import { useConsole } from '../context';
import { allPages, data } from './client';
import type { Facility, Rider, User, Vehicle } from './contract';

/**
 * Records more than one area of the console reads (the portal, standing orders, administration):
 * one hook and one query key each, so a change refreshes every screen that shows them.
 */
export const recordKeys = {
  facility: (facilityId: string) => ['facility-record', facilityId] as const,
  rider: (riderId: string) => ['rider', riderId] as const,
  allRiders: ['riders'] as const,
  riders: (scope: string) => ['riders', scope] as const,
  users: ['users'] as const,
  /** Every list of tenants starts with this: a change to one facility refreshes them all. */
  facilities: ['facilities'] as const,
  facilityList: (kind: Facility['kind'] | 'all') => ['facilities', kind] as const,
  vehicles: ['vehicles'] as const,
};

/** Dispatchers' lists of tenants, by name: `kind` 'facility' for the forms' choices, none for every tenant. */
export function useFacilities({ kind, enabled = true }: { kind?: Facility['kind']; enabled?: boolean } = {}) {
  const { api } = useConsole();
  return useQuery({
    queryKey: recordKeys.facilityList(kind ?? 'all'),
    enabled,
    staleTime: 60_000,
    queryFn: async () => {
      const items = await allPages<Facility>((cursor) =>
        data(api.GET('/v1/facilities', { params: { query: { limit: 100, ...(kind ? { kind } : {}), ...(cursor ? { cursor } : {}) } } })));
      return items.sort((a, b) => a.name.localeCompare(b.name));
    },
  });
}

/** The fleet (a provider has tens of vehicles): the board's names and assign choice, and administration. */
export function useVehicles() {
  const { api } = useConsole();
  return useQuery({
    queryKey: recordKeys.vehicles,
    staleTime: 60_000,
    queryFn: () =>
      allPages<Vehicle>((cursor) => data(api.GET('/v1/vehicles', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }))),
  });
}

/**
 * The users the caller may list, by name: every user for a Dispatcher (the board's and a trip's
 * history names, administration), their own facility's for a FacilityAdmin.
 */
export function useUsers({ enabled = true } = {}) {
  const { api } = useConsole();
  return useQuery({
    queryKey: recordKeys.users,
    enabled,
    staleTime: 60_000,
    queryFn: async () => {
      const items = await allPages<User>((cursor) =>
        data(api.GET('/v1/users', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } })));
      return items.sort((a, b) => a.displayName.localeCompare(b.displayName));
    },
  });
}

/**
 * One facility (its name for headings, its settings for administration). Facility roles may read
 * only their own. `fresh` reads it again on every visit (the screen that edits it).
 */
export function useFacility(facilityId: string | null | undefined, { enabled = true, fresh = false } = {}) {
  const { api } = useConsole();
  const id = facilityId ?? '';
  return useQuery({
    queryKey: recordKeys.facility(id),
    enabled: enabled && id !== '',
    staleTime: 5 * 60_000,
    ...(fresh ? { refetchOnMount: 'always' as const } : {}),
    queryFn: () => data(api.GET('/v1/facilities/{facilityId}', { params: { path: { facilityId: id } } })),
  });
}

/**
 * Riders the signed-in user may book for: a facility's own (the API scopes them by the token), or,
 * for a Dispatcher, those of the facility named (every facility's when none is). The API has no
 * name search (names are encrypted), so the list is read whole, by name, and searched on the device.
 */
export function useRiders(facilityId = '', enabled = true) {
  const { api, me } = useConsole();
  const named = me.role === 'Dispatcher' && facilityId !== '';
  return useQuery({
    queryKey: recordKeys.riders(named ? facilityId : 'any'),
    enabled,
    staleTime: 60_000,
    queryFn: async () => {
      const items = await allPages<Rider>((cursor) =>
        data(api.GET('/v1/riders', {
          params: { query: { limit: 100, ...(named ? { facilityId } : {}), ...(cursor ? { cursor } : {}) } },
        })));
      return items.sort((a, b) => (a.fullName ?? '').localeCompare(b.fullName ?? ''));
    },
  });
}

/** Riders one may book for: not merged away, not erased. */
export function bookable(rider: Rider): boolean {
  return !rider.erased && !rider.mergedIntoRiderId;
}

/** One rider. `fresh` reads them again on every visit (the rider's own page, where they are changed). */
export function useRider(riderId: string | undefined, { fresh = false } = {}) {
  const { api } = useConsole();
  const id = riderId ?? '';
  return useQuery({
    queryKey: recordKeys.rider(id),
    enabled: id !== '',
    staleTime: 60_000,
    ...(fresh ? { refetchOnMount: 'always' as const } : {}),
    queryFn: () => data(api.GET('/v1/riders/{riderId}', { params: { path: { riderId: id } } })),
  });
}

/** "Alex Johnson", or why there is no name to show. */
export function riderName(rider: Rider | undefined): string {
  if (!rider) return 'Rider';
  return rider.fullName ?? (rider.erased ? 'Rider (erased)' : 'Rider');
}
