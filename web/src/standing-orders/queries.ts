import { useQuery } from '@tanstack/react-query';
import { data } from '../api/client';
import type { StandingOrder, StandingOrderStatus } from '../api/contract';
import { useFacilities, useFacility } from '../api/records';
import { useConsole } from '../context';

/** Query keys: every series query starts with 'standing-orders', so one invalidation refreshes them all. */
export const seriesKeys = {
  all: ['standing-orders'] as const,
  list: (status: StandingOrderStatus) => ['standing-orders', 'list', status] as const,
  one: (standingOrderId: string) => ['standing-orders', 'one', standingOrderId] as const,
  preview: (standingOrderId: string) => ['standing-orders', 'preview', standingOrderId] as const,
};

/** How many occurrences the detail lists (the preview route allows 1–60). */
const PREVIEW_COUNT = 10;

/**
 * A series' facility by name: a Dispatcher finds it in the list of facilities; a facility's own
 * people may read only their own facility (the list is not theirs).
 */
export function useFacilityName(facilityId: string | undefined): string | undefined {
  const { me } = useConsole();
  const dispatcher = me.role === 'Dispatcher';
  const all = useFacilities({ kind: 'facility', enabled: dispatcher });
  const own = useFacility(facilityId, { enabled: !dispatcher });
  return dispatcher ? all.data?.find((facility) => facility.id === facilityId)?.name : own.data?.name;
}

/** The trips a series has made (its first 100, newest first), for its rides and the facility's links to them. */
export function useSeriesTrips(series: Pick<StandingOrder, 'id' | 'version' | 'status'> | undefined) {
  const { api } = useConsole();
  return useQuery({
    queryKey: [...seriesKeys.one(series?.id ?? ''), 'trips', series?.version],
    enabled: series !== undefined && series.status !== 'pending' && series.status !== 'rejected',
    queryFn: () =>
      data(api.GET('/v1/trip-requests', { params: { query: { standingOrderId: series?.id ?? '', limit: 100 } } })),
  });
}

/** A series' next occurrences, worked out by the API (nothing written): its list row's next ride, its page's rides. */
export function useSeriesPreview(standingOrderId: string, enabled: boolean) {
  const { api } = useConsole();
  return useQuery({
    queryKey: seriesKeys.preview(standingOrderId),
    enabled,
    queryFn: () =>
      data(api.GET('/v1/standing-orders/{standingOrderId}/preview', {
        params: { path: { standingOrderId }, query: { count: PREVIEW_COUNT } },
      })),
  });
}
