-- Ride reminders (PRODUCT.md §10, issue 15): the evening before each ride, one receipt-level
-- reminder to the rider, for tenants that opt in. The scheduled standing-orders function sends
-- them as the materialiser's login (schema/0024 creates the role and its login; the guarded
-- creation below only makes this file independent of the order the two were written in).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nemt_materialiser') THEN
    CREATE ROLE nemt_materialiser NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nemt_materialiser_user') THEN
    CREATE ROLE nemt_materialiser_user LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
  GRANT nemt_materialiser TO nemt_materialiser_user;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO nemt_materialiser_user;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO nemt_materialiser;

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

-- What choosing the reminders reads, column by column: the opt-in, the trip's state and receipt
-- code, its outbound leg's time, and whether the rider may be told anything at all. Nothing
-- sealed, nothing clinical.
GRANT SELECT (id, notify_ride_reminder, active) ON facilities TO nemt_materialiser;
GRANT SELECT (facility_id, id, rider_id, reference_code, status) ON trip_requests TO nemt_materialiser;
GRANT SELECT (facility_id, trip_request_id, kind, status, scheduled_pickup_at) ON trip_legs TO nemt_materialiser;
GRANT SELECT (facility_id, id, notify_channel, notify_consent, sms_opted_out, erased_at) ON riders TO nemt_materialiser;
GRANT SELECT (facility_id, trip_request_id), INSERT ON ride_reminders TO nemt_materialiser;
GRANT INSERT ON notification_outbox TO nemt_materialiser;

CREATE POLICY materialiser_reminder_read ON facilities FOR SELECT TO nemt_materialiser
  USING (CASE WHEN notify_ride_reminder AND active THEN true ELSE false END);
CREATE POLICY materialiser_reminder_read ON trip_requests FOR SELECT TO nemt_materialiser
  USING (CASE WHEN status IN ('scheduled', 'in_progress') THEN true ELSE false END);
CREATE POLICY materialiser_reminder_read ON trip_legs FOR SELECT TO nemt_materialiser
  USING (CASE WHEN kind = 'outbound' THEN true ELSE false END);
CREATE POLICY materialiser_reminder_read ON riders FOR SELECT TO nemt_materialiser
  USING (CASE WHEN erased_at IS NULL THEN true ELSE false END);
CREATE POLICY materialiser_read ON ride_reminders FOR SELECT TO nemt_materialiser USING (true);
-- A reminder only for a trip of a tenant that opted in.
CREATE POLICY materialiser_insert ON ride_reminders FOR INSERT TO nemt_materialiser
  WITH CHECK (CASE WHEN EXISTS (SELECT 1 FROM facilities f WHERE f.id = ride_reminders.facility_id AND f.notify_ride_reminder)
    THEN true ELSE false END);
CREATE POLICY materialiser_reminder_insert ON notification_outbox FOR INSERT TO nemt_materialiser
  WITH CHECK (CASE WHEN event_type = 'ride_reminder' AND trip_request_id IS NOT NULL THEN true ELSE false END);

-- Staff see which trips were reminded (support questions: "did the rider get told?").
GRANT SELECT ON ride_reminders TO nemt_api;
CREATE POLICY dispatcher_read ON ride_reminders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'Dispatcher' THEN true ELSE false END);
CREATE POLICY facility_admin_read ON ride_reminders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility() THEN true ELSE false END);

-- The notifier skips a reminder whose tenant turned reminders off after it was queued.
GRANT SELECT (notify_ride_reminder) ON facilities TO nemt_notifier;
