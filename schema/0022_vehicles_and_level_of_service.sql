-- Vehicles and level of service (issue 14; docs/architecture.md, "Vehicles and level of service").
--
-- A leg is assigned to a driver AND a vehicle (per leg, not per shift), so the database can refuse,
-- at the one moment a vehicle is chosen and whoever issues the statement:
--   - a vehicle on two overlapping live legs (trip_legs_vehicle_no_overlap, like the driver's);
--   - a vehicle that cannot carry the trip's level of service (trip_legs_vehicle_serves);
--   - a vehicle that is not in service (trip_legs_vehicle_in_service).
-- The refusals raised by triggers carry their constraint name (in the error field and, for the RDS
-- Data API, which passes only the message, in the message's `constraint "…"`), so the API maps them
-- like real constraints (lambdas/shared/http/db-errors.ts).
--
-- Level of service = the trip's mobility (+ wheelchair_xl), oxygen and companions; it is frozen once
-- the trip leaves `requested` (its legs exist from then on, and may already carry a vehicle chosen for it).
--
-- Existing data: legs assigned before this migration have no vehicle. No CHECK is laid over them (it
-- would stop them from finishing); a vehicle is required from the next assignment on, by the trigger
-- (trip_legs_assignment_has_vehicle), and a vehicle never stays on a leg without a driver.

-- ---- vehicles -------------------------------------------------------------------------------------
CREATE TABLE vehicles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  plate text NOT NULL CHECK (plate ~ '^[A-Z0-9 -]{1,12}$'),
  kind text NOT NULL CHECK (kind IN ('sedan', 'minivan', 'wheelchair_van', 'stretcher_van')),
  ambulatory_seats smallint NOT NULL CHECK (ambulatory_seats BETWEEN 0 AND 20),
  wheelchair_positions smallint NOT NULL DEFAULT 0 CHECK (wheelchair_positions BETWEEN 0 AND 6),
  bariatric boolean NOT NULL DEFAULT false,
  stretcher boolean NOT NULL DEFAULT false,
  oxygen boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'in_service' CHECK (status IN ('in_service', 'out_of_service', 'retired')),
  out_of_service_reason text CHECK (length(out_of_service_reason) BETWEEN 1 AND 500),
  odometer numeric(9, 1) CHECK (odometer >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  CONSTRAINT vehicles_out_of_service_has_reason CHECK (status <> 'out_of_service' OR out_of_service_reason IS NOT NULL),
  CONSTRAINT vehicles_in_service_has_no_reason CHECK (status <> 'in_service' OR out_of_service_reason IS NULL),
  -- A bariatric lift is a kind of wheelchair position.
  CONSTRAINT vehicles_bariatric_needs_wheelchair CHECK (NOT bariatric OR wheelchair_positions >= 1)
);
-- Two vehicles on the road never share a plate; a retired one may hand it on.
CREATE UNIQUE INDEX vehicles_live_plate ON vehicles (plate) WHERE status <> 'retired';
CREATE INDEX vehicles_list ON vehicles (name, id);
CREATE INDEX vehicles_status_list ON vehicles (status, name, id);

CREATE TRIGGER vehicles_touch BEFORE UPDATE ON vehicles FOR EACH ROW EXECUTE FUNCTION touch_row();

-- refuse_identity_change() names facility_id, which a provider-level vehicle does not have.
CREATE FUNCTION refuse_vehicle_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'id and created_at of a vehicle cannot change' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER vehicles_identity BEFORE UPDATE ON vehicles FOR EACH ROW EXECUTE FUNCTION refuse_vehicle_identity_change();

INSERT INTO lifecycle_states (entity, state, is_initial, is_final) VALUES
  ('vehicle', 'in_service', true, false),
  ('vehicle', 'out_of_service', false, false),
  ('vehicle', 'retired', false, true);
INSERT INTO lifecycle_transitions (entity, from_state, to_state) VALUES
  ('vehicle', 'in_service', 'out_of_service'),
  ('vehicle', 'out_of_service', 'in_service'),
  ('vehicle', 'in_service', 'retired'),
  ('vehicle', 'out_of_service', 'retired');
CREATE TRIGGER vehicles_lifecycle BEFORE INSERT OR UPDATE ON vehicles
  FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('vehicle');

-- ---- level of service on riders and trips ----------------------------------------------------------
ALTER TABLE riders DROP CONSTRAINT riders_mobility_check;
ALTER TABLE riders ADD CONSTRAINT riders_mobility_check
  CHECK (mobility IN ('ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher'));
ALTER TABLE trip_requests DROP CONSTRAINT trip_requests_mobility_check;
ALTER TABLE trip_requests ADD CONSTRAINT trip_requests_mobility_check
  CHECK (mobility IN ('ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher'));
ALTER TABLE trip_requests
  ADD COLUMN oxygen boolean NOT NULL DEFAULT false,
  ADD COLUMN companions smallint NOT NULL DEFAULT 0 CONSTRAINT trip_requests_companions_range CHECK (companions BETWEEN 0 AND 3);

-- Once scheduled, a trip's legs exist and may carry a vehicle chosen for its level of service.
CREATE FUNCTION guard_trip_level_of_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'requested' AND (NEW.mobility IS DISTINCT FROM OLD.mobility OR NEW.oxygen IS DISTINCT FROM OLD.oxygen
                                    OR NEW.companions IS DISTINCT FROM OLD.companions) THEN
    RAISE EXCEPTION 'a trip''s level of service can change only while it is requested' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER trip_requests_level_of_service BEFORE UPDATE ON trip_requests
  FOR EACH ROW EXECUTE FUNCTION guard_trip_level_of_service();

-- The one capability rule; lambdas/shared/domain/vehicles.ts says the same in words.
CREATE FUNCTION vehicle_serves(v vehicles, p_mobility text, p_oxygen boolean, p_companions integer) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT (CASE p_mobility
            WHEN 'ambulatory' THEN v.ambulatory_seats >= 1 + p_companions
            WHEN 'wheelchair' THEN v.wheelchair_positions >= 1 AND v.ambulatory_seats >= p_companions
            WHEN 'wheelchair_xl' THEN v.wheelchair_positions >= 1 AND v.bariatric AND v.ambulatory_seats >= p_companions
            WHEN 'stretcher' THEN v.stretcher AND v.ambulatory_seats >= p_companions
            ELSE false
          END)
     AND (NOT p_oxygen OR v.oxygen)
$$;

-- ---- legs carry their vehicle ----------------------------------------------------------------------
ALTER TABLE trip_legs
  ADD COLUMN vehicle_id uuid REFERENCES vehicles (id),
  -- Unassigning clears both; a cancelled leg keeps the driver and vehicle it had.
  ADD CONSTRAINT trip_legs_vehicle_needs_driver CHECK (vehicle_id IS NULL OR driver_id IS NOT NULL),
  -- One vehicle can never be on two live legs whose windows overlap (same predicate as the driver's).
  ADD CONSTRAINT trip_legs_vehicle_no_overlap EXCLUDE USING gist (vehicle_id WITH =, scheduled_window WITH &&)
    WHERE (vehicle_id IS NOT NULL AND scheduled_pickup_at IS NOT NULL AND status <> 'cancelled');
CREATE INDEX trip_legs_vehicle_schedule ON trip_legs (vehicle_id, scheduled_pickup_at, id) WHERE vehicle_id IS NOT NULL;

-- Checked when a vehicle is chosen (a new driver or vehicle). FOR SHARE: a vehicle being taken out
-- of service (the API locks it FOR UPDATE, then looks for its assigned legs) and an assignment to it
-- take turns, so neither misses the other.
CREATE FUNCTION check_trip_leg_vehicle() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
  v vehicles;
  t record;
BEGIN
  IF NEW.driver_id IS NOT DISTINCT FROM OLD.driver_id AND NEW.vehicle_id IS NOT DISTINCT FROM OLD.vehicle_id THEN
    RETURN NEW;
  END IF;
  IF NEW.vehicle_id IS NULL THEN
    IF NEW.driver_id IS NOT NULL THEN
      RAISE EXCEPTION 'new row for relation "trip_legs" violates check constraint "trip_legs_assignment_has_vehicle"'
        USING ERRCODE = '23514', CONSTRAINT = 'trip_legs_assignment_has_vehicle', TABLE = 'trip_legs',
              DETAIL = 'A leg is assigned to a driver and a vehicle.';
    END IF;
    RETURN NEW;
  END IF;
  SELECT * INTO v FROM vehicles WHERE id = NEW.vehicle_id FOR SHARE;
  IF NOT FOUND OR v.status <> 'in_service' THEN
    RAISE EXCEPTION 'new row for relation "trip_legs" violates check constraint "trip_legs_vehicle_in_service"'
      USING ERRCODE = '23514', CONSTRAINT = 'trip_legs_vehicle_in_service', TABLE = 'trip_legs',
            DETAIL = format('Vehicle %s is not in service.', NEW.vehicle_id);
  END IF;
  SELECT mobility, oxygen, companions INTO t FROM trip_requests
   WHERE facility_id = NEW.facility_id AND id = NEW.trip_request_id;
  IF NOT FOUND OR NOT vehicle_serves(v, t.mobility, t.oxygen, t.companions) THEN
    RAISE EXCEPTION 'new row for relation "trip_legs" violates check constraint "trip_legs_vehicle_serves"'
      USING ERRCODE = '23514', CONSTRAINT = 'trip_legs_vehicle_serves', TABLE = 'trip_legs',
            DETAIL = format('Vehicle %s does not serve the level of service of leg %s.', NEW.vehicle_id, NEW.id);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER trip_legs_vehicle BEFORE UPDATE OF driver_id, vehicle_id ON trip_legs
  FOR EACH ROW EXECUTE FUNCTION check_trip_leg_vehicle();

-- The leg guard of 0010, now also keeping drivers off the vehicle.
CREATE OR REPLACE FUNCTION guard_trip_leg_update() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.trip_request_id IS DISTINCT FROM OLD.trip_request_id OR NEW.rider_id IS DISTINCT FROM OLD.rider_id
     OR NEW.kind IS DISTINCT FROM OLD.kind THEN
    RAISE EXCEPTION 'a leg cannot move to another trip, rider or kind' USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() = 'Driver' AND (
       NEW.driver_id IS DISTINCT FROM OLD.driver_id
    OR NEW.vehicle_id IS DISTINCT FROM OLD.vehicle_id
    OR NEW.scheduled_pickup_at IS DISTINCT FROM OLD.scheduled_pickup_at
    OR NEW.scheduled_dropoff_at IS DISTINCT FROM OLD.scheduled_dropoff_at
    OR NEW.pickup_address IS DISTINCT FROM OLD.pickup_address
    OR NEW.dropoff_address IS DISTINCT FROM OLD.dropoff_address
    OR NEW.will_call IS DISTINCT FROM OLD.will_call) THEN
    RAISE EXCEPTION 'drivers may record status and completion only' USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() = 'Driver' AND NEW.status IS DISTINCT FROM OLD.status
     AND NEW.status NOT IN ('en_route', 'arrived', 'picked_up', 'completed', 'no_show') THEN
    RAISE EXCEPTION 'drivers may not move a leg to %', NEW.status USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() IS DISTINCT FROM 'Driver' AND (
       NEW.actual_pickup_at IS DISTINCT FROM OLD.actual_pickup_at
    OR NEW.actual_dropoff_at IS DISTINCT FROM OLD.actual_dropoff_at
    OR NEW.odometer_start IS DISTINCT FROM OLD.odometer_start
    OR NEW.odometer_end IS DISTINCT FROM OLD.odometer_end
    OR NEW.completion_notes_enc IS DISTINCT FROM OLD.completion_notes_enc) THEN
    RAISE EXCEPTION 'only the assigned driver submits completion data' USING ERRCODE = '42501';
  END IF;
  IF NEW.driver_id IS NOT NULL AND NEW.driver_id IS DISTINCT FROM OLD.driver_id AND NOT EXISTS (
      SELECT 1 FROM users u WHERE u.id = NEW.driver_id AND u.role = 'Driver' AND u.active) THEN
    RAISE EXCEPTION 'legs are assigned to active drivers only' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;

-- ---- odometer continuity ---------------------------------------------------------------------------
-- The odometer belongs to the vehicle: a completed leg may not start below its last reading, and its
-- end becomes the new reading. The driver may not update vehicles, so this runs as nemt_definer; the
-- row lock makes two completions on one vehicle take turns. A retired vehicle's last leg may finish
-- (retirement waits only for legs still to start) but its record no longer changes.
CREATE FUNCTION record_vehicle_odometer() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_status text;
  v_reading numeric(9, 1);
BEGIN
  SELECT status, odometer INTO v_status, v_reading FROM vehicles WHERE id = NEW.vehicle_id FOR UPDATE;
  IF v_reading IS NOT NULL AND NEW.odometer_start < v_reading THEN
    RAISE EXCEPTION 'new row for relation "trip_legs" violates check constraint "trip_legs_odometer_continuity"'
      USING ERRCODE = '23514', CONSTRAINT = 'trip_legs_odometer_continuity', TABLE = 'trip_legs',
            DETAIL = 'The odometer start is below the vehicle''s last reading.';
  END IF;
  IF v_status <> 'retired' THEN
    UPDATE vehicles SET odometer = NEW.odometer_end WHERE id = NEW.vehicle_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER trip_legs_vehicle_odometer AFTER UPDATE OF status ON trip_legs FOR EACH ROW
  WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM NEW.status AND NEW.vehicle_id IS NOT NULL)
  EXECUTE FUNCTION record_vehicle_odometer();
ALTER FUNCTION record_vehicle_odometer() OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION record_vehicle_odometer() FROM PUBLIC;

-- ---- the intake states the level of service --------------------------------------------------------
-- 0019's function with oxygen and companions appended; their defaults keep a caller that does not
-- state them (an older intake function during a deploy) working.
DROP FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea, bytea,
  bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea, integer);

CREATE FUNCTION intake_submit_trip_request(
  p_facility_id uuid,
  p_rider_id uuid,
  p_trip_id uuid,
  p_intake_phone_index bytea,
  p_tenant_key bytea,
  p_key_provider text,
  p_master_key_id text,
  p_rider_key bytea,
  p_full_name bytea,
  p_phone bytea,
  p_email bytea,
  p_date_of_birth bytea,
  p_phone_index bytea,
  p_email_index bytea,
  p_pickup_address text,
  p_dropoff_address text,
  p_appointment_at timestamptz,
  p_requested_pickup_at timestamptz,
  p_return_trip text,
  p_requested_return_at timestamptz,
  p_mobility text,
  p_clinical_notes bytea,
  p_notify_channel text,
  p_notify_consent boolean,
  p_request_id text,
  p_destination_index bytea,
  p_receipts_per_day integer,
  p_oxygen boolean DEFAULT false,
  p_companions integer DEFAULT 0
) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_reference text := new_receipt_code();
  v_receipts integer;
BEGIN
  PERFORM set_config('app.request_id', left(coalesce(p_request_id, ''), 128), true);
  IF p_tenant_key IS NULL OR p_rider_key IS NULL OR p_full_name IS NULL OR p_intake_phone_index IS NULL THEN
    RAISE EXCEPTION 'a new private-pay rider needs its keys, name and phone index' USING ERRCODE = '22023';
  END IF;
  IF p_receipts_per_day IS NULL OR p_receipts_per_day < 0 THEN
    RAISE EXCEPTION 'receipts per destination and day must be zero or more' USING ERRCODE = '22023';
  END IF;

  INSERT INTO facilities (id, kind, name) VALUES (p_facility_id, 'individual', 'Private-pay rider');
  INSERT INTO tenant_keys (facility_id, version, wrapped_key, key_provider, master_key_id)
    VALUES (p_facility_id, 1, p_tenant_key, p_key_provider, p_master_key_id);
  INSERT INTO riders (facility_id, id, data_key, full_name_enc, phone_enc, email_enc, date_of_birth_enc, phone_index,
                      email_index, intake_phone_index, mobility, notify_channel, notify_consent)
    VALUES (p_facility_id, p_rider_id, p_rider_key, p_full_name, p_phone, p_email, p_date_of_birth, p_phone_index,
            p_email_index, p_intake_phone_index, p_mobility, p_notify_channel, p_notify_consent);
  INSERT INTO audit_events (facility_id, actor_role, entity_type, entity_id, action, to_state)
    VALUES (p_facility_id, 'Public', 'rider', p_rider_id, 'rider.created', NULL);

  INSERT INTO trip_requests (facility_id, id, reference_code, rider_id, source, status, pickup_address,
                             dropoff_address, appointment_at, requested_pickup_at, return_trip,
                             requested_return_at, mobility, oxygen, companions, clinical_notes_enc)
    VALUES (p_facility_id, p_trip_id, v_reference, p_rider_id, 'intake', 'requested', p_pickup_address,
            p_dropoff_address, p_appointment_at, p_requested_pickup_at, p_return_trip,
            p_requested_return_at, p_mobility, coalesce(p_oxygen, false), coalesce(p_companions, 0), p_clinical_notes);
  INSERT INTO audit_events (facility_id, trip_request_id, actor_role, entity_type, entity_id, action, to_state)
    VALUES (p_facility_id, p_trip_id, 'Public', 'trip_request', p_trip_id, 'trip_request.created', 'requested');

  -- A request that will not be messaged (no channel, no consent, no destination) costs no receipt.
  IF p_destination_index IS NOT NULL AND p_notify_consent AND p_notify_channel IN ('sms', 'email') THEN
    INSERT INTO intake_receipt_counts AS c (destination_index, day, receipts)
      VALUES (p_destination_index, (now() AT TIME ZONE 'UTC')::date, 1)
      ON CONFLICT (destination_index, day) DO UPDATE SET receipts = c.receipts + 1
      RETURNING c.receipts INTO v_receipts;
    IF v_receipts <= p_receipts_per_day THEN
      INSERT INTO notification_outbox (facility_id, rider_id, trip_request_id, event_type, payload)
        VALUES (p_facility_id, p_rider_id, p_trip_id, 'request_received',
                jsonb_build_object('referenceCode', v_reference, 'appointmentAt', p_appointment_at));
    END IF;
  END IF;
  RETURN v_reference;
END
$$;
ALTER FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea, bytea,
  bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea, integer,
  boolean, integer) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
  bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea,
  integer, boolean, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
  bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea,
  integer, boolean, integer) TO nemt_intake;

-- ---- privileges and row-level security -------------------------------------------------------------
-- Vehicles are staff data, like staff users: staff read them, Dispatchers write them, facility roles
-- see none. No role deletes one (retire it). nemt_definer keeps the odometer (above) and reads
-- vehicles for the database's own work (billing records name the vehicle kind).
GRANT SELECT, INSERT, UPDATE ON vehicles TO nemt_api;
GRANT SELECT, UPDATE (odometer) ON vehicles TO nemt_definer;
ALTER TABLE vehicles ENABLE ROW LEVEL SECURITY;
ALTER TABLE vehicles FORCE ROW LEVEL SECURITY;

-- In the CASE form of schema/0014.
CREATE POLICY staff_read ON vehicles FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() IN ('Dispatcher', 'Driver', 'Billing') THEN true ELSE false END);
CREATE POLICY dispatcher_insert ON vehicles FOR INSERT TO nemt_api
  WITH CHECK (CASE WHEN app_ctx_role() = 'Dispatcher' THEN true ELSE false END);
CREATE POLICY dispatcher_update ON vehicles FOR UPDATE TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'Dispatcher' THEN true ELSE false END)
  WITH CHECK (CASE WHEN app_ctx_role() = 'Dispatcher' THEN true ELSE false END);
CREATE POLICY definer_read ON vehicles FOR SELECT TO nemt_definer USING (true);
CREATE POLICY definer_odometer ON vehicles FOR UPDATE TO nemt_definer USING (true) WITH CHECK (true);
