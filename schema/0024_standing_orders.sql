-- Standing orders (issue 15; docs/architecture.md, "Standing orders").
--
-- A standing order is a series for one rider: days of the week, appointment and pickup times as
-- local wall-clock times in the provider's zone, addresses, level of service, a return mode, a start
-- date, an optional end date and excluded dates. An accepted (active) series is materialised ahead as
-- ordinary trips, already scheduled with their legs, each naming its series and occurrence date.
--
-- The database refuses a second live trip for the same series and day (trip_requests_occurrence), so
-- the nightly run and an edit racing it cannot both make one. An occurrence the series itself
-- withdraws (a pause, an end or an edit cancelling a trip nobody had touched) is cancelled AND marked
-- occurrence_withdrawn: it no longer holds its day, so resuming or the edited series makes that day's
-- trip again. Any other cancellation (a skip, a dispatcher's cancel) keeps holding the day: the series
-- never brings such a trip back.
--
-- Who may do what mirrors trip requests. Facility roles may act on their own series (create, edit,
-- pause, resume, skip, end); whatever that does to the series' trips is limited to occurrences nobody
-- has touched (scheduled, every leg unassigned), by the policies and the guard below.
--
-- The nightly materialiser runs as nemt_materialiser (login nemt_materialiser_user), as the System
-- actor of one tenant per transaction (app.facility_id), and reaches only series trips.

-- ---- the series ------------------------------------------------------------------------------------
-- ISO weekdays, 1 = Monday .. 7 = Sunday: at least one, each at most once.
CREATE FUNCTION iso_weekdays_valid(days smallint[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT cardinality(days) BETWEEN 1 AND 7
     AND array_position(days, NULL) IS NULL
     AND days <@ '{1,2,3,4,5,6,7}'::smallint[]
     AND cardinality(days) = (SELECT count(DISTINCT d) FROM unnest(days) AS d)
$$;

CREATE TABLE standing_orders (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  rider_id uuid NOT NULL,
  contact_id uuid,
  submitted_by uuid NOT NULL REFERENCES users (id),
  source text NOT NULL CHECK (source IN ('facility', 'dispatcher')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'paused', 'rejected', 'ended')),
  days_of_week smallint[] NOT NULL CONSTRAINT standing_orders_days_of_week_valid CHECK (iso_weekdays_valid(days_of_week)),
  -- Local wall-clock times in the provider's zone (PROVIDER_TIME_ZONE), not instants.
  appointment_time time NOT NULL,
  pickup_time time NOT NULL,
  pickup_address text NOT NULL CHECK (length(pickup_address) BETWEEN 1 AND 500),
  dropoff_address text NOT NULL CHECK (length(dropoff_address) BETWEEN 1 AND 500),
  mobility text NOT NULL CHECK (mobility IN ('ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher')),
  oxygen boolean NOT NULL DEFAULT false,
  companions smallint NOT NULL DEFAULT 0 CHECK (companions BETWEEN 0 AND 3),
  return_mode text NOT NULL DEFAULT 'none' CHECK (return_mode IN ('none', 'timed', 'will_call')),
  return_pickup_time time,
  start_date date NOT NULL,
  end_date date,
  excluded_dates date[] NOT NULL DEFAULT '{}'
    CONSTRAINT standing_orders_excluded_dates_bounded CHECK (cardinality(excluded_dates) <= 366 AND array_position(excluded_dates, NULL) IS NULL),
  rejection_reason text CHECK (length(rejection_reason) BETWEEN 1 AND 500),
  -- The last day the series' trips exist for (the materialiser's progress, not a change of the series).
  materialised_through date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id),
  FOREIGN KEY (facility_id, rider_id) REFERENCES riders (facility_id, id),
  FOREIGN KEY (facility_id, contact_id) REFERENCES contacts (facility_id, id),
  CONSTRAINT standing_orders_pickup_before_appointment CHECK (pickup_time < appointment_time),
  CONSTRAINT standing_orders_return_time_iff_timed CHECK ((return_mode = 'timed') = (return_pickup_time IS NOT NULL)),
  CONSTRAINT standing_orders_return_after_appointment CHECK (return_pickup_time > appointment_time),
  CONSTRAINT standing_orders_dates_ordered CHECK (end_date >= start_date),
  CONSTRAINT standing_orders_rejection_has_reason CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL)
);
CREATE INDEX standing_orders_facility_list ON standing_orders (facility_id, created_at DESC, id DESC);
CREATE INDEX standing_orders_facility_status_list ON standing_orders (facility_id, status, created_at DESC, id DESC);
CREATE INDEX standing_orders_list ON standing_orders (created_at DESC, id DESC);
CREATE INDEX standing_orders_status_list ON standing_orders (status, created_at DESC, id DESC);
CREATE INDEX standing_orders_facility_submitter ON standing_orders (facility_id, submitted_by, created_at DESC, id DESC);
CREATE INDEX standing_orders_facility_contact ON standing_orders (facility_id, contact_id, created_at DESC, id DESC)
  WHERE contact_id IS NOT NULL;
CREATE INDEX standing_orders_facility_rider ON standing_orders (facility_id, rider_id, created_at DESC, id DESC);
-- The nightly run: active series not yet materialised far enough.
CREATE INDEX standing_orders_due ON standing_orders (materialised_through, id) WHERE status = 'active';

-- The materialiser's progress is not a change of the series: its version (the ETag) stays.
CREATE TRIGGER standing_orders_touch BEFORE UPDATE ON standing_orders FOR EACH ROW
  WHEN (to_jsonb(OLD) - 'materialised_through' IS DISTINCT FROM to_jsonb(NEW) - 'materialised_through')
  EXECUTE FUNCTION touch_row();
CREATE TRIGGER standing_orders_identity BEFORE UPDATE ON standing_orders FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();

INSERT INTO lifecycle_states (entity, state, is_initial, is_final) VALUES
  ('standing_order', 'pending', true, false),
  ('standing_order', 'active', false, false),
  ('standing_order', 'paused', false, false),
  ('standing_order', 'rejected', false, true),
  ('standing_order', 'ended', false, true);
INSERT INTO lifecycle_transitions (entity, from_state, to_state) VALUES
  ('standing_order', 'pending', 'active'),
  ('standing_order', 'pending', 'rejected'),
  ('standing_order', 'pending', 'ended'),
  ('standing_order', 'active', 'paused'),
  ('standing_order', 'paused', 'active'),
  ('standing_order', 'active', 'ended'),
  ('standing_order', 'paused', 'ended');
CREATE TRIGGER standing_orders_lifecycle BEFORE INSERT OR UPDATE ON standing_orders
  FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('standing_order');

-- Rider, submitter and source never change; accepting and rejecting are a Dispatcher's decisions.
CREATE FUNCTION guard_standing_order_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.rider_id IS DISTINCT FROM OLD.rider_id OR NEW.submitted_by IS DISTINCT FROM OLD.submitted_by
     OR NEW.source IS DISTINCT FROM OLD.source THEN
    RAISE EXCEPTION 'the rider, submitter and source of a standing order cannot change' USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND (
       (OLD.status = 'pending' AND NEW.status IN ('active', 'rejected'))
    OR NEW.rejection_reason IS DISTINCT FROM OLD.rejection_reason) THEN
    RAISE EXCEPTION 'only dispatch accepts or rejects a standing order' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER standing_orders_guard BEFORE UPDATE ON standing_orders FOR EACH ROW EXECUTE FUNCTION guard_standing_order_update();

-- ---- trips know their series and day -----------------------------------------------------------------
ALTER TABLE trip_requests
  ADD COLUMN standing_order_id uuid,
  ADD COLUMN occurrence_date date,
  ADD COLUMN occurrence_withdrawn boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT trip_requests_occurrence_paired CHECK ((standing_order_id IS NULL) = (occurrence_date IS NULL)),
  ADD CONSTRAINT trip_requests_withdrawn_is_cancelled_occurrence
    CHECK (NOT occurrence_withdrawn OR (standing_order_id IS NOT NULL AND status = 'cancelled')),
  ADD CONSTRAINT trip_requests_standing_order_fkey FOREIGN KEY (facility_id, standing_order_id)
    REFERENCES standing_orders (facility_id, id);
-- One live trip per series and day, whoever inserts it (the materialiser's ON CONFLICT target).
CREATE UNIQUE INDEX trip_requests_occurrence ON trip_requests (standing_order_id, occurrence_date)
  WHERE NOT occurrence_withdrawn;
CREATE INDEX trip_requests_facility_series ON trip_requests (facility_id, standing_order_id, occurrence_date)
  WHERE standing_order_id IS NOT NULL;

-- The guard of 0003, now also keeping a trip on its series and day, and letting facility roles move
-- their own series' occurrences the way the series does: requested → scheduled when it is made, and
-- scheduled → cancelled (withdrawn or skipped) while nobody has touched it. Nothing else changes.
CREATE OR REPLACE FUNCTION guard_trip_request_update() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.reference_code IS DISTINCT FROM OLD.reference_code OR NEW.source IS DISTINCT FROM OLD.source
     OR NEW.submitted_by IS DISTINCT FROM OLD.submitted_by OR NEW.rider_id IS DISTINCT FROM OLD.rider_id THEN
    RAISE EXCEPTION 'reference, source, submitter and rider of a trip request cannot change' USING ERRCODE = '42501';
  END IF;
  IF NEW.standing_order_id IS DISTINCT FROM OLD.standing_order_id OR NEW.occurrence_date IS DISTINCT FROM OLD.occurrence_date THEN
    RAISE EXCEPTION 'a trip''s series and occurrence date cannot change' USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') THEN
    IF OLD.standing_order_id IS NOT NULL
       AND to_jsonb(NEW) - ARRAY['status', 'occurrence_withdrawn'] = to_jsonb(OLD) - ARRAY['status', 'occurrence_withdrawn']
       AND ((OLD.status = 'requested' AND NEW.status = 'scheduled')
         OR (OLD.status = 'scheduled' AND NEW.status = 'cancelled' AND NOT EXISTS (
               SELECT 1 FROM trip_legs l WHERE l.facility_id = OLD.facility_id AND l.trip_request_id = OLD.id
                  AND l.status <> 'unassigned'))) THEN
      RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.rejection_reason IS DISTINCT FROM OLD.rejection_reason
       OR NEW.occurrence_withdrawn IS DISTINCT FROM OLD.occurrence_withdrawn THEN
      RAISE EXCEPTION 'facility roles cannot change a trip request''s status' USING ERRCODE = '42501';
    END IF;
    IF OLD.status <> 'requested' THEN
      RAISE EXCEPTION 'a trip request can be edited only before it is scheduled' USING ERRCODE = '55000';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

-- Facility roles may cancel a leg of their series' untouched occurrence and nothing more of it.
-- (Generated columns are left out: BEFORE triggers see them not yet computed.)
CREATE FUNCTION guard_trip_leg_facility_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF app_ctx_role() IN ('FacilityAdmin', 'FacilityUser')
     AND (to_jsonb(NEW) - ARRAY['status', 'updated_at', 'version', 'scheduled_window', 'mileage']
            IS DISTINCT FROM to_jsonb(OLD) - ARRAY['status', 'updated_at', 'version', 'scheduled_window', 'mileage']
          OR OLD.status <> 'unassigned' OR NEW.status <> 'cancelled') THEN
    RAISE EXCEPTION 'facility roles may only cancel an unassigned leg of their own series' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER trip_legs_facility_guard BEFORE UPDATE ON trip_legs FOR EACH ROW EXECUTE FUNCTION guard_trip_leg_facility_update();

-- ---- the materialiser's role and login ------------------------------------------------------------------
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

-- ---- privileges -----------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON standing_orders TO nemt_api;

-- The materialiser reads series, records how far it got, makes and withdraws series trips and their
-- legs, and writes its own audit events. The lifecycle triggers read their tables as the invoker.
GRANT SELECT ON lifecycle_states, lifecycle_transitions TO nemt_materialiser;
GRANT SELECT, UPDATE (materialised_through) ON standing_orders TO nemt_materialiser;
GRANT SELECT, INSERT, UPDATE (status, occurrence_withdrawn) ON trip_requests TO nemt_materialiser;
GRANT SELECT, INSERT, UPDATE (status) ON trip_legs TO nemt_materialiser;
GRANT SELECT (facility_id, id, erased_at) ON riders TO nemt_materialiser;
GRANT INSERT ON audit_events TO nemt_materialiser;
-- Reading (facility_id, id) of the series of the day does not need a tenant: listing them is how the
-- nightly run finds its tenants. Every change happens in one tenant's transaction.

ALTER TABLE standing_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE standing_orders FORCE ROW LEVEL SECURITY;

-- ---- row-level security (the CASE form of schema/0014) --------------------------------------------------
-- standing_orders, as trip_requests: Dispatchers all, Billing reads, FacilityAdmin their facility,
-- FacilityUser the ones they submitted or whose contact is theirs, Drivers none.
CREATE POLICY dispatcher_all ON standing_orders FOR ALL TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'Dispatcher' THEN true ELSE false END)
  WITH CHECK (app_ctx_role() = 'Dispatcher');
CREATE POLICY billing_read ON standing_orders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'Billing' THEN true ELSE false END);
CREATE POLICY facility_admin_read ON standing_orders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility() THEN true ELSE false END);
CREATE POLICY facility_admin_insert ON standing_orders FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility()
              AND source = 'facility' AND submitted_by = app_ctx_sub());
CREATE POLICY facility_admin_update ON standing_orders FOR UPDATE TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility() THEN true ELSE false END)
  WITH CHECK (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
CREATE POLICY facility_user_read ON standing_orders FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
              AND (submitted_by = app_ctx_sub() OR contact_id = app_ctx_contact()) THEN true ELSE false END);
CREATE POLICY facility_user_insert ON standing_orders FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
              AND source = 'facility' AND submitted_by = app_ctx_sub());
CREATE POLICY facility_user_update ON standing_orders FOR UPDATE TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
              AND (submitted_by = app_ctx_sub() OR contact_id = app_ctx_contact()) THEN true ELSE false END)
  WITH CHECK (app_ctx_role() = 'FacilityUser' AND facility_id = app_ctx_facility()
              AND (submitted_by = app_ctx_sub() OR contact_id = app_ctx_contact()));
CREATE POLICY materialiser_read ON standing_orders FOR SELECT TO nemt_materialiser
  USING (CASE WHEN app_ctx_facility() IS NULL OR facility_id = app_ctx_facility() THEN true ELSE false END);
CREATE POLICY materialiser_progress ON standing_orders FOR UPDATE TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() THEN true ELSE false END)
  WITH CHECK (facility_id = app_ctx_facility());

-- Facility roles make their own active series' occurrences: a trip of the series (rider, submitter and
-- source as the series'), and its legs while the trip is still being made (requested).
CREATE POLICY facility_series_insert ON trip_requests FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility()
              AND status = 'requested' AND EXISTS (
    SELECT 1 FROM standing_orders s WHERE s.facility_id = trip_requests.facility_id AND s.id = trip_requests.standing_order_id
       AND s.status = 'active' AND s.rider_id = trip_requests.rider_id AND s.source = trip_requests.source
       AND s.submitted_by = trip_requests.submitted_by));
CREATE POLICY facility_series_insert ON trip_legs FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility()
              AND status = 'unassigned' AND driver_id IS NULL AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id
       AND t.standing_order_id IS NOT NULL AND t.status = 'requested'));
CREATE POLICY facility_series_withdraw ON trip_legs FOR UPDATE TO nemt_api
  USING (CASE WHEN app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility()
              AND status = 'unassigned' AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id
       AND t.standing_order_id IS NOT NULL) THEN true ELSE false END)
  WITH CHECK (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility() AND status = 'cancelled');

-- The materialiser: one tenant's series trips, their legs, the tenant's riders (erased or not) and its
-- own System events.
CREATE POLICY materialiser_series_trips ON trip_requests FOR SELECT TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() AND standing_order_id IS NOT NULL THEN true ELSE false END);
CREATE POLICY materialiser_series_insert ON trip_requests FOR INSERT TO nemt_materialiser
  WITH CHECK (facility_id = app_ctx_facility() AND standing_order_id IS NOT NULL);
CREATE POLICY materialiser_series_update ON trip_requests FOR UPDATE TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() AND standing_order_id IS NOT NULL THEN true ELSE false END)
  WITH CHECK (facility_id = app_ctx_facility() AND standing_order_id IS NOT NULL);
CREATE POLICY materialiser_series_legs ON trip_legs FOR SELECT TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id)
    THEN true ELSE false END);
CREATE POLICY materialiser_series_legs_insert ON trip_legs FOR INSERT TO nemt_materialiser
  WITH CHECK (facility_id = app_ctx_facility() AND status = 'unassigned' AND driver_id IS NULL AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id));
CREATE POLICY materialiser_series_legs_update ON trip_legs FOR UPDATE TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id)
    THEN true ELSE false END)
  WITH CHECK (facility_id = app_ctx_facility());
CREATE POLICY materialiser_riders ON riders FOR SELECT TO nemt_materialiser
  USING (CASE WHEN facility_id = app_ctx_facility() THEN true ELSE false END);
CREATE POLICY materialiser_insert ON audit_events FOR INSERT TO nemt_materialiser
  WITH CHECK (facility_id = app_ctx_facility() AND actor_role = 'System' AND actor_sub IS NULL);
