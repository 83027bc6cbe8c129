-- Ride reminders (PRODUCT.md §10, issue 15): the evening before each ride, one receipt-level
-- reminder to the rider, for tenants that opt in. The scheduled standing-orders function sends
-- them as the materialiser's login (nemt_materialiser, schema/0024), which lists the tenants that
-- opted in and then works in one tenant's transaction at a time (app.facility_id), as it does
-- for series.

-- The tenant's opt-in, beside the driver-en-route one.
ALTER TABLE facilities ADD COLUMN notify_ride_reminder boolean NOT NULL DEFAULT false;

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_type_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_type_check
  CHECK (event_type IN ('request_received', 'trip_scheduled', 'cancellation_approved', 'cancellation_denied',
    'request_rejected', 'driver_en_route', 'series_confirmed', 'ride_reminder'));

-- One row per trip whose reminder was queued: the primary key is what makes "at most once" hold
-- for runs that overlap (a second insert waits for the first and then does nothing). No foreign
-- key to the outbox: finished outbox rows expire (schema/0016), this record stays with the trip.
CREATE TABLE ride_reminders (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  trip_request_id uuid NOT NULL PRIMARY KEY,
  outbox_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (facility_id, trip_request_id) REFERENCES trip_requests (facility_id, id)
);
CREATE INDEX ride_reminders_facility ON ride_reminders (facility_id, created_at);
ALTER TABLE ride_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE ride_reminders FORCE ROW LEVEL SECURITY;

-- What choosing the reminders reads, beyond what schema/0024 grants the materialiser: the opt-in,
-- and whether the rider may be told anything at all. Nothing sealed, nothing clinical.
GRANT SELECT (id, notify_ride_reminder, active) ON facilities TO nemt_materialiser;
GRANT SELECT (notify_channel, notify_consent, sms_opted_out) ON riders TO nemt_materialiser;
GRANT SELECT (facility_id, trip_request_id), INSERT ON ride_reminders TO nemt_materialiser;
GRANT INSERT ON notification_outbox TO nemt_materialiser;

-- Listing the tenants that opted in needs no tenant; everything else is one tenant's.
CREATE POLICY materialiser_reminder_read ON facilities FOR SELECT TO nemt_materialiser
  USING (CASE WHEN notify_ride_reminder AND active THEN true ELSE false END);
-- Reminders are for every trip, not only series ones (schema/0024 reads those): the tenant's trips
-- that are still to happen, and their outbound legs.
CREATE POLICY materialiser_reminder_read ON trip_requests FOR SELECT TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() AND status IN ('scheduled', 'in_progress') THEN true ELSE false END);
CREATE POLICY materialiser_reminder_read ON trip_legs FOR SELECT TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() AND kind = 'outbound' THEN true ELSE false END);
CREATE POLICY materialiser_read ON ride_reminders FOR SELECT TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() THEN true ELSE false END);
-- A reminder only for a trip of the transaction's tenant, and only if that tenant opted in.
CREATE POLICY materialiser_insert ON ride_reminders FOR INSERT TO nemt_materialiser
  WITH CHECK (facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM facilities f WHERE f.id = ride_reminders.facility_id AND f.notify_ride_reminder));
CREATE POLICY materialiser_reminder_insert ON notification_outbox FOR INSERT TO nemt_materialiser
  WITH CHECK (facility_id = app_ctx_facility() AND event_type = 'ride_reminder' AND trip_request_id IS NOT NULL);

-- Staff see which trips were reminded (support questions: "did the rider get told?").
GRANT SELECT ON ride_reminders TO nemt_api;
CREATE POLICY dispatcher_read ON ride_reminders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'Dispatcher' THEN true ELSE false END);
CREATE POLICY facility_admin_read ON ride_reminders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility() THEN true ELSE false END);

-- The notifier skips a reminder whose tenant turned reminders off after it was queued.
GRANT SELECT (notify_ride_reminder) ON facilities TO nemt_notifier;
