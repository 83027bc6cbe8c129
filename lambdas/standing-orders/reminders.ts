import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../shared/db/port';
import { logger } from '../shared/log';
import { outboxInsert } from '../shared/outbox/write';
import { isUuid } from '../shared/uuid';

export interface RideReminderSettings {
  /** IANA zone of the provider: "tomorrow" and the reminder hour are its local date and hour. */
  readonly timeZone: string;
  /** Reminders go out from this local hour on (0-23; RIDE_REMINDER_LOCAL_HOUR, default 18). */
  readonly localHour: number;
  /** The pickup window the rider is told, from the scheduled pickup (as trip_scheduled says it). */
  readonly pickupWindowMinutes: number;
}

export const DEFAULT_RIDE_REMINDER_LOCAL_HOUR = 18;

export interface RideReminderOptions {
  /** The instant the run stands for (tests and the CLI name it; the scheduled run uses the clock). */
  readonly now?: Date;
  /** Trips per transaction. */
  readonly batchSize?: number;
  /** Upper bound on batches per run, so a run fits in the function's timeout; the next run goes on. */
  readonly maxBatches?: number;
}

export interface RideReminderReport {
  /** False before the reminder hour: nothing was looked at. */
  readonly due: boolean;
  /** The provider-local date whose rides were reminded (YYYY-MM-DD). */
  readonly rideDate: string;
  readonly queued: number;
  readonly outboxIds: readonly string[];
}

interface DueTrip {
  facility_id: string;
  trip_request_id: string;
  rider_id: string;
  reference_code: string;
  pickup_at: string;
}

const DEFAULTS = { batchSize: 500, maxBatches: 200 } as const;

/**
 * Tomorrow's rides, as the provider's clock reads it: the outbound leg's pickup falls in the local
 * day after `today`, whose bounds come from the database's zone rules (a 23- or 25-hour day at a
 * clock change is still one day). Only tenants that opted in, trips still scheduled or under way
 * with a live outbound leg, riders who agreed to be told and have not opted out, and trips not
 * reminded yet.
 */
const DUE_TRIPS = `
  SELECT t.facility_id, t.id AS trip_request_id, t.rider_id, t.reference_code, l.scheduled_pickup_at AS pickup_at
    FROM trip_legs l
    JOIN trip_requests t ON t.facility_id = l.facility_id AND t.id = l.trip_request_id
    JOIN facilities f ON f.id = t.facility_id
    JOIN riders r ON r.facility_id = t.facility_id AND r.id = t.rider_id
   WHERE l.facility_id = $4 AND l.kind = 'outbound'
     AND l.scheduled_pickup_at >= (($1::date + 1)::timestamp AT TIME ZONE $2)
     AND l.scheduled_pickup_at < (($1::date + 2)::timestamp AT TIME ZONE $2)
     AND l.status <> 'cancelled'
     AND t.status IN ('scheduled', 'in_progress')
     AND f.notify_ride_reminder AND f.active
     AND r.erased_at IS NULL AND r.notify_consent AND r.notify_channel <> 'none'
     AND NOT (r.notify_channel = 'sms' AND r.sms_opted_out)
     AND NOT EXISTS (SELECT 1 FROM ride_reminders m WHERE m.facility_id = $4 AND m.trip_request_id = t.id)
   ORDER BY l.scheduled_pickup_at, t.id
   LIMIT $3`;

/**
 * The evening-before reminder (PRODUCT.md §10): from the configured local hour on, one outbox row
 * per ride of tomorrow, at most once per trip however often or concurrently it runs. Each batch
 * is one transaction that first claims its trips in ride_reminders (primary key per trip; a
 * concurrent run's claim waits for this one and then does nothing) and then writes an outbox row
 * for each trip it claimed, so a claim and its message commit or vanish together. The relay hands
 * the rows to the notifier, which checks consent, opt-out and the tenant's opt-in again at sending.
 */
export async function sendRideReminders(db: Database, settings: RideReminderSettings,
  options: RideReminderOptions = {}): Promise<RideReminderReport> {
  const { batchSize, maxBatches } = { ...DEFAULTS, ...options };
  const now = options.now ?? new Date();
  const { rows } = await db.query<{ today: string; ride_date: string; hour: number }>(
    `SELECT (($1::timestamptz AT TIME ZONE $2)::date)::text AS today, (($1::timestamptz AT TIME ZONE $2)::date + 1)::text AS ride_date,
            extract(hour FROM $1::timestamptz AT TIME ZONE $2)::int AS hour`,
    [now.toISOString(), settings.timeZone],
  );
  const clock = rows[0] as { today: string; ride_date: string; hour: number };
  if (clock.hour < settings.localHour) return { due: false, rideDate: clock.ride_date, queued: 0, outboxIds: [] };

  // Listing the tenants that opted in is the one cross-tenant read; each batch is one tenant's
  // transaction (app.facility_id), so the policies confine it as they confine the materialiser.
  const { rows: tenants } = await db.query<{ id: string }>(
    'SELECT id FROM facilities WHERE notify_ride_reminder AND active ORDER BY id');
  const outboxIds: string[] = [];
  let batches = 0;
  for (const { id: facilityId } of tenants) {
    while (batches < maxBatches) {
      batches += 1;
      const { selected, written } = await db.transaction(
        (tx) => remindBatch(tx, settings, { facilityId, today: clock.today, batchSize }),
        { settings: tenantSettings(facilityId) },
      );
      outboxIds.push(...written);
      if (selected < batchSize) break;
    }
  }
  logger.info('ride reminders queued', { rideDate: clock.ride_date, queued: outboxIds.length });
  return { due: true, rideDate: clock.ride_date, queued: outboxIds.length, outboxIds };
}

/** The tenant context of one tenant's transaction, with no user: the run itself acts (actor role System). */
function tenantSettings(facilityId: string): Record<string, string> {
  if (!isUuid(facilityId)) throw new Error('facility id is not a uuid');
  return { 'app.role': '', 'app.sub': '', 'app.facility_id': facilityId, 'app.contact_id': '', 'app.request_id': '' };
}

async function remindBatch(tx: Queryable, settings: RideReminderSettings,
  batch: { facilityId: string; today: string; batchSize: number }) {
  const { rows: due } = await tx.query<DueTrip>(DUE_TRIPS, [batch.today, settings.timeZone, batch.batchSize, batch.facilityId]);
  if (due.length === 0) return { selected: 0, written: [] as string[] };
  const planned = due.map((trip) => ({ trip, outboxId: randomUUID() }));
  const { rows: claimed } = await tx.query<{ trip_request_id: string }>(
    `INSERT INTO ride_reminders (facility_id, trip_request_id, outbox_id)
     SELECT facility_id, trip_request_id, outbox_id
       FROM jsonb_to_recordset($1::jsonb) AS v(facility_id uuid, trip_request_id uuid, outbox_id uuid)
     ON CONFLICT (trip_request_id) DO NOTHING
     RETURNING trip_request_id`,
    [JSON.stringify(planned.map(({ trip, outboxId }) => ({
      facility_id: trip.facility_id, trip_request_id: trip.trip_request_id, outbox_id: outboxId,
    })))],
  );
  const mine = new Set(claimed.map((row) => row.trip_request_id));
  const written: string[] = [];
  for (const { trip, outboxId } of planned) {
    if (!mine.has(trip.trip_request_id)) continue;
    const start = new Date(trip.pickup_at);
    const insert = outboxInsert({
      facilityId: trip.facility_id,
      riderId: trip.rider_id,
      tripRequestId: trip.trip_request_id,
      event: 'ride_reminder',
      fields: {
        referenceCode: trip.reference_code,
        pickupWindowStart: start.toISOString(),
        pickupWindowEnd: new Date(start.getTime() + settings.pickupWindowMinutes * 60_000).toISOString(),
      },
    }, 1, outboxId);
    await tx.query(insert.sql, insert.params);
    written.push(outboxId);
  }
  return { selected: due.length, written };
}
