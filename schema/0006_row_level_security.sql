-- Row-level security: the database's own copy of the permission matrix (PRODUCT.md §3).
-- Every tenant table has RLS ENABLEd and FORCEd; each policy names the database role it serves
-- and reads the caller's application role, sub, facility and contact from the transaction's
-- context (app_ctx_*). Without context no policy matches, so nothing is visible.
-- Privileges come first: no role gets DELETE on anything, and audit events get no UPDATE.

GRANT SELECT ON lifecycle_states, lifecycle_transitions TO nemt_api, nemt_definer;
GRANT SELECT, INSERT, UPDATE ON facilities, contacts, users, riders, trip_requests, trip_legs,
  cancellation_requests TO nemt_api;
-- Billing records are created by the database when a leg ends; the API only reads and moves them.
GRANT SELECT, UPDATE ON billing_records TO nemt_api;
GRANT SELECT, INSERT ON audit_events, idempotency_keys TO nemt_api;
GRANT INSERT ON notification_outbox TO nemt_api;

GRANT SELECT, UPDATE (status, dispatched_at, attempts, channel, provider_message_id, outcome_reason, sent_at)
  ON notification_outbox TO nemt_notifier;
GRANT SELECT (id, facility_id, phone, email, notify_channel, notify_consent, sms_opted_out),
  UPDATE (sms_opted_out) ON riders TO nemt_notifier;
GRANT SELECT (id, name, notify_driver_en_route) ON facilities TO nemt_notifier;

GRANT SELECT ON audit_events TO nemt_auditor;

GRANT SELECT ON facilities, riders, trip_legs TO nemt_definer;
GRANT SELECT, UPDATE (status) ON trip_requests TO nemt_definer;
GRANT INSERT ON facilities, riders, trip_requests, audit_events, notification_outbox, billing_records TO nemt_definer;
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO nemt_definer;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['facilities', 'contacts', 'users', 'riders', 'trip_requests', 'trip_legs',
    'cancellation_requests', 'billing_records', 'audit_events', 'notification_outbox', 'idempotency_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END
$$;

-- facilities ---------------------------------------------------------------------------------
CREATE POLICY staff_read ON facilities FOR SELECT TO nemt_api
  USING (app_ctx_role() IN ('Dispatcher', 'Billing'));
CREATE POLICY dispatcher_insert ON facilities FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY dispatcher_update ON facilities FOR UPDATE TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY facility_read_own ON facilities FOR SELECT TO nemt_api
  USING (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND id = app_ctx_facility());
CREATE POLICY notifier_read ON facilities FOR SELECT TO nemt_notifier USING (true);
CREATE POLICY definer_intake_read ON facilities FOR SELECT TO nemt_definer USING (kind = 'individual');
CREATE POLICY definer_intake_insert ON facilities FOR INSERT TO nemt_definer WITH CHECK (kind = 'individual');

-- contacts -----------------------------------------------------------------------------------
CREATE POLICY dispatcher_all ON contacts FOR ALL TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY billing_read ON contacts FOR SELECT TO nemt_api USING (app_ctx_role() = 'Billing');
CREATE POLICY facility_admin_all ON contacts FOR ALL TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility())
  WITH CHECK (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
CREATE POLICY facility_user_read ON contacts FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility());

-- users --------------------------------------------------------------------------------------
CREATE POLICY dispatcher_all ON users FOR ALL TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY facility_admin_all ON users FOR ALL TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility())
  WITH CHECK (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility()
              AND role IN ('FacilityAdmin', 'FacilityUser'));
CREATE POLICY self_read ON users FOR SELECT TO nemt_api USING (id = app_ctx_sub());

-- riders -------------------------------------------------------------------------------------
CREATE POLICY dispatcher_all ON riders FOR ALL TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY billing_read ON riders FOR SELECT TO nemt_api USING (app_ctx_role() = 'Billing');
CREATE POLICY facility_all ON riders FOR ALL TO nemt_api
  USING (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility())
  WITH CHECK (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility());
CREATE POLICY driver_read_assigned ON riders FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'Driver' AND EXISTS (
    SELECT 1 FROM trip_legs l WHERE l.facility_id = riders.facility_id AND l.rider_id = riders.id
      AND l.driver_id = app_ctx_sub()));
CREATE POLICY notifier_read ON riders FOR SELECT TO nemt_notifier
  USING (EXISTS (SELECT 1 FROM notification_outbox o WHERE o.facility_id = riders.facility_id AND o.rider_id = riders.id));
CREATE POLICY notifier_opt_out ON riders FOR UPDATE TO nemt_notifier
  USING (EXISTS (SELECT 1 FROM notification_outbox o WHERE o.facility_id = riders.facility_id AND o.rider_id = riders.id))
  WITH CHECK (true);
CREATE POLICY definer_intake_read ON riders FOR SELECT TO nemt_definer
  USING (EXISTS (SELECT 1 FROM facilities f WHERE f.id = riders.facility_id AND f.kind = 'individual'));
CREATE POLICY definer_intake_insert ON riders FOR INSERT TO nemt_definer
  WITH CHECK (EXISTS (SELECT 1 FROM facilities f WHERE f.id = riders.facility_id AND f.kind = 'individual'));

-- trip_requests ------------------------------------------------------------------------------
CREATE POLICY dispatcher_all ON trip_requests FOR ALL TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY billing_read ON trip_requests FOR SELECT TO nemt_api USING (app_ctx_role() = 'Billing');
CREATE POLICY facility_admin_read ON trip_requests FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
CREATE POLICY facility_admin_insert ON trip_requests FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility()
              AND source = 'facility' AND submitted_by = app_ctx_sub());
CREATE POLICY facility_admin_update ON trip_requests FOR UPDATE TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility())
  WITH CHECK (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
CREATE POLICY facility_user_read ON trip_requests FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
         AND (submitted_by = app_ctx_sub() OR contact_id = app_ctx_contact()));
CREATE POLICY facility_user_insert ON trip_requests FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
              AND source = 'facility' AND submitted_by = app_ctx_sub());
CREATE POLICY facility_user_update ON trip_requests FOR UPDATE TO nemt_api
  USING (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
         AND (submitted_by = app_ctx_sub() OR contact_id = app_ctx_contact()))
  WITH CHECK (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
              AND (submitted_by = app_ctx_sub() OR contact_id = app_ctx_contact()));
CREATE POLICY definer_sync_read ON trip_requests FOR SELECT TO nemt_definer USING (true);
CREATE POLICY definer_sync_update ON trip_requests FOR UPDATE TO nemt_definer USING (true) WITH CHECK (true);
CREATE POLICY definer_intake_insert ON trip_requests FOR INSERT TO nemt_definer
  WITH CHECK (source = 'intake' AND EXISTS (SELECT 1 FROM facilities f WHERE f.id = trip_requests.facility_id AND f.kind = 'individual'));

-- trip_legs ----------------------------------------------------------------------------------
CREATE POLICY dispatcher_all ON trip_legs FOR ALL TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY billing_read ON trip_legs FOR SELECT TO nemt_api USING (app_ctx_role() = 'Billing');
CREATE POLICY driver_read_assigned ON trip_legs FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'Driver' AND driver_id = app_ctx_sub());
CREATE POLICY driver_update_assigned ON trip_legs FOR UPDATE TO nemt_api
  USING (app_ctx_role() = 'Driver' AND driver_id = app_ctx_sub())
  WITH CHECK (app_ctx_role() = 'Driver' AND driver_id = app_ctx_sub());
CREATE POLICY facility_admin_read ON trip_legs FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
CREATE POLICY facility_user_read ON trip_legs FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id));

CREATE POLICY definer_sync_read ON trip_legs FOR SELECT TO nemt_definer USING (true);

-- cancellation_requests ----------------------------------------------------------------------
CREATE POLICY dispatcher_all ON cancellation_requests FOR ALL TO nemt_api
  USING (app_ctx_role() = 'Dispatcher') WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY facility_read ON cancellation_requests FOR SELECT TO nemt_api
  USING (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = cancellation_requests.facility_id
      AND t.id = cancellation_requests.trip_request_id));
CREATE POLICY facility_insert ON cancellation_requests FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility()
              AND requested_by = app_ctx_sub() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = cancellation_requests.facility_id
      AND t.id = cancellation_requests.trip_request_id));

-- billing_records ----------------------------------------------------------------------------
CREATE POLICY billing_read ON billing_records FOR SELECT TO nemt_api
  USING (app_ctx_role() IN ('Billing', 'Dispatcher'));
CREATE POLICY billing_update ON billing_records FOR UPDATE TO nemt_api
  USING (app_ctx_role() = 'Billing') WITH CHECK (app_ctx_role() = 'Billing');
CREATE POLICY definer_create ON billing_records FOR INSERT TO nemt_definer WITH CHECK (true);

-- audit_events -------------------------------------------------------------------------------
CREATE POLICY actor_insert ON audit_events FOR INSERT TO nemt_api
  WITH CHECK (actor_sub = app_ctx_sub() AND actor_role = app_ctx_role() AND (
    app_ctx_role() IN ('Dispatcher', 'Driver', 'Billing') OR facility_id = app_ctx_facility()));
CREATE POLICY staff_read ON audit_events FOR SELECT TO nemt_api
  USING (app_ctx_role() IN ('Dispatcher', 'Billing'));
CREATE POLICY facility_admin_read ON audit_events FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
CREATE POLICY facility_user_read ON audit_events FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = audit_events.facility_id
      AND t.id = audit_events.trip_request_id));
CREATE POLICY auditor_read ON audit_events FOR SELECT TO nemt_auditor USING (true);
CREATE POLICY definer_insert ON audit_events FOR INSERT TO nemt_definer WITH CHECK (true);

-- notification_outbox ------------------------------------------------------------------------
CREATE POLICY actor_insert ON notification_outbox FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() IN ('Dispatcher', 'Driver')
              OR (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility()));
CREATE POLICY notifier_all ON notification_outbox FOR ALL TO nemt_notifier USING (true) WITH CHECK (true);
CREATE POLICY definer_insert ON notification_outbox FOR INSERT TO nemt_definer WITH CHECK (true);

-- idempotency_keys ---------------------------------------------------------------------------
CREATE POLICY own_keys ON idempotency_keys FOR ALL TO nemt_api
  USING (actor_sub = app_ctx_sub())
  WITH CHECK (actor_sub = app_ctx_sub() AND (
    app_ctx_role() IN ('Dispatcher', 'Driver', 'Billing') OR facility_id = app_ctx_facility()));
