import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { data } from '../api/client';
import type { Rider, Schemas, TripRequest, TripStatus } from '../api/contract';
import { useConsole } from '../context';

/** A leg as facility roles read it: its kind, status and times, nothing about driver or vehicle. */
export type FacilityLeg = Extract<Schemas['Leg'], { tripRequestId: string; kind: string }>;

/** Query keys: every facility query starts with 'facility', so one invalidation refreshes the portal. */
export const facilityKeys = {
  all: ['facility'] as const,
  trips: (status: TripStatus | 'all', day: string) => ['facility', 'trips', status, day] as const,
  trip: (tripRequestId: string) => ['facility', 'trip', tripRequestId] as const,
  legs: (tripRequestId: string) => ['facility', 'legs', tripRequestId] as const,
  history: (tripRequestId: string) => ['facility', 'history', tripRequestId] as const,
  cancellations: (tripRequestId: string) => ['facility', 'cancellations', tripRequestId] as const,
  recentTrips: ['facility', 'recent-trips'] as const,
};

/** How many trips one page of "Our trips" holds. */
const TRIPS_PAGE = 25;

/** Trips whose legs exist and are worth a look: requested and rejected ones have none. */
const WITH_LEGS = new Set<TripStatus>(['scheduled', 'in_progress', 'completed']);
export const hasLegs = (trip: Pick<TripRequest, 'status'>) => WITH_LEGS.has(trip.status);
/** Trips that change no more: nothing about them is polled. */
const FINAL = new Set<TripStatus>(['completed', 'cancelled', 'rejected']);
export const isFinal = (trip: Pick<TripRequest, 'status'>) => FINAL.has(trip.status);
/** How often a live trip's screens read it again. */
const LIVE_POLL_MS = 30_000;

/**
 * The facility's trips, newest request first, page by page (keyset cursor), with each rider's name;
 * `day` ('' for any) keeps those whose appointment falls on that day in the provider's zone.
 */
export function useTripPages(status: TripStatus | 'all', day = '') {
  const { api } = useConsole();
  return useInfiniteQuery({
    queryKey: facilityKeys.trips(status, day),
    initialPageParam: undefined as string | undefined,
    refetchInterval: 30_000,
    queryFn: ({ pageParam }) =>
      data(api.GET('/v1/trip-requests', {
        params: {
          query: {
            include: 'rider', limit: TRIPS_PAGE,
            ...(status === 'all' ? {} : { status }),
            ...(day ? { appointmentDate: day } : {}),
            ...(pageParam ? { cursor: pageParam } : {}),
          },
        },
      })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** One trip's legs (status only, as the API shows them to a facility), outbound first; polled while the trip is live. */
export function useTripLegs(trip: Pick<TripRequest, 'id' | 'status'> | undefined) {
  const { api } = useConsole();
  const tripRequestId = trip?.id ?? '';
  return useQuery({
    queryKey: facilityKeys.legs(tripRequestId),
    enabled: trip !== undefined && hasLegs(trip),
    refetchInterval: trip && !isFinal(trip) ? LIVE_POLL_MS : false,
    queryFn: async () => {
      const page = await data(api.GET('/v1/legs', { params: { query: { tripRequestId, limit: 10 } } }));
      return facilityLegs(page.items);
    },
  });
}

function facilityLegs(items: readonly Schemas['Leg'][]): FacilityLeg[] {
  return items
    .filter((leg): leg is FacilityLeg => 'tripRequestId' in leg)
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'outbound' ? -1 : 1));
}

/** This trip's cancellation requests, newest first. */
export function useTripCancellations(tripRequestId: string, enabled: boolean) {
  const { api } = useConsole();
  return useQuery({
    queryKey: facilityKeys.cancellations(tripRequestId),
    enabled,
    queryFn: async () =>
      (await data(api.GET('/v1/cancellation-requests', { params: { query: { tripRequestId, limit: 20 } } }))).items,
  });
}

/** The drop-off addresses of the facility's recent trips, most used first: the request form's suggestions. */
export function useRecentDropoffs() {
  const { api } = useConsole();
  return useQuery({
    queryKey: facilityKeys.recentTrips,
    staleTime: 5 * 60_000,
    queryFn: async () => {
      const page = await data(api.GET('/v1/trip-requests', { params: { query: { limit: 50 } } }));
      const counts = new Map<string, number>();
      for (const trip of page.items) counts.set(trip.dropoffAddress, (counts.get(trip.dropoffAddress) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([address, uses]) => ({ address, uses }));
    },
  });
}

/** The riders matching what was typed (in the list's order, by name): any word of the name, or the phone's digits, or the email. */
export function searchRiders(riders: readonly Rider[], text: string): readonly Rider[] {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return riders;
  return riders.filter((rider) => {
    const name = (rider.fullName ?? '').toLowerCase();
    const phone = (rider.phone ?? '').replace(/\D/g, '');
    const email = (rider.email ?? '').toLowerCase();
    return words.every((word) => {
      const digits = word.replace(/\D/g, '');
      return name.includes(word) || email.includes(word) || (digits.length >= 3 && phone.includes(digits));
    });
  });
}
