import type { Queryable } from '../db/port';
import type { OutboxMessage } from '../outbox/write';
import { type SeriesRow, seriesPattern } from './materialise';
import { nextOccurrences } from './occurrences';

/**
 * The rider's one message when their series is paused, resumed or ended (PRODUCT.md §6, §10): never
 * one per ride. Receipt-level: the series by its days and local pickup time (it has no code of its
 * own, as in series_confirmed) and one local date saying from when the change holds.
 */
export type SeriesChange = 'series_paused' | 'series_resumed' | 'series_ended';

/**
 * Builds the notice from the series' trips as the change left them, so it must run in the change's
 * transaction, after it. Trips a change left alone (dispatch already planned them) still run, so:
 * paused: the first day of the series that no longer has a ride; resumed: the first day that has
 * one again (beyond the horizon every day of the series will); ended: the last ride still to come,
 * or none.
 */
export async function seriesChangeNotice(tx: Queryable, series: SeriesRow, event: SeriesChange,
  at: { timeZone: string; today: string; now?: Date }): Promise<OutboxMessage> {
  const { rows } = await tx.query<{ occurrence_date: string; riding: boolean }>(
    // A trip in one of these states still takes the rider somewhere.
    `SELECT occurrence_date::text AS occurrence_date, status IN ('requested', 'scheduled', 'in_progress') AS riding FROM trip_requests
      WHERE facility_id = $1 AND standing_order_id = $2 AND NOT occurrence_withdrawn AND occurrence_date >= $3::date
      ORDER BY occurrence_date`,
    [series.facility_id, series.id, at.today],
  );
  const date = event === 'series_ended'
    ? { lastRideDate: rows.filter((row) => row.riding).at(-1)?.occurrence_date }
    : { fromDate: firstChangedDay(series, rows, event, at) };
  return {
    facilityId: series.facility_id,
    riderId: series.rider_id,
    tripRequestId: null,
    event,
    fields: { daysOfWeek: series.days_of_week, pickupTime: series.pickup_time, ...date },
  };
}

/** Paused: the first coming day of the series without a ride; resumed: the first with one again. */
function firstChangedDay(series: SeriesRow, rows: readonly { occurrence_date: string; riding: boolean }[],
  event: 'series_paused' | 'series_resumed', at: { timeZone: string; today: string; now?: Date }): string | undefined {
  const riding = new Map(rows.map((row) => [row.occurrence_date, row.riding]));
  const now = (at.now ?? new Date()).getTime();
  // Each day passed over is today's (already picked up) or one of these trips, so this many always suffice.
  return nextOccurrences(seriesPattern(series), at.today, rows.length + 2, at.timeZone)
    .filter((occurrence) => Date.parse(occurrence.pickupAt) > now)
    .map((occurrence) => occurrence.date)
    .find((day) => (event === 'series_paused' ? riding.get(day) !== true : riding.get(day) !== false));
}
