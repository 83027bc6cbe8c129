-- Billing by level of service (issue 14, docs/architecture.md "Vehicles and level of service").
--
-- 1. Each billing record carries the level of service the trip needed (the trip's mobility) and
--    the kind of vehicle the leg was delivered with, copied by the billing trigger when the leg
--    ends. Records made before this migration have neither (NULL). Like the leg and completion
--    figures, both are facts of the delivery: no role may change them afterwards.
-- 2. billing_codes maps a level of service to its HCPCS base code and per-mile code. It is
--    provider-level (no facility_id): Billing reads and edits it, Dispatchers read it. The CSV
--    export looks the codes up when it runs, so an edited mapping applies to every later export;
--    each edit is audited with the old and new codes (provider chain).
--    Keyed on the level of service, not the vehicle: payers pay for the service the rider needed,
--    not for the vehicle that happened to be sent (an ambulatory rider in a wheelchair van bills
--    as ambulatory); the vehicle kind is on the record for audit.

-- ---- the mapping ------------------------------------------------------------------------------------
CREATE TABLE billing_codes (
  level_of_service text PRIMARY KEY
    CHECK (level_of_service IN ('ambulatory', 'wheelchair', 'wheelchair_xl', 'stretcher')),
  -- Audit events name what they concern by uuid.
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  base_code text NOT NULL CHECK (base_code ~ '^[A-Z][0-9]{4}$'),
  mileage_code text NOT NULL CHECK (mileage_code ~ '^[A-Z][0-9]{4}$'),
  description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 200),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE TRIGGER billing_codes_touch BEFORE UPDATE ON billing_codes FOR EACH ROW EXECUTE FUNCTION touch_row();

INSERT INTO billing_codes (level_of_service, base_code, mileage_code, description) VALUES
  ('ambulatory', 'A0100', 'S0215', 'Non-emergency transportation, ambulatory; mileage per mile'),
  ('wheelchair', 'A0130', 'S0209', 'Non-emergency transportation, wheelchair van; mileage per mile'),
  ('wheelchair_xl', 'A0130', 'S0209', 'Non-emergency transportation, bariatric wheelchair van; mileage per mile'),
  ('stretcher', 'T2005', 'T2049', 'Non-emergency transportation, stretcher van; mileage per mile');

-- Only the codes and their description change; the key and the row's identity never do.
GRANT SELECT, UPDATE (base_code, mileage_code, description) ON billing_codes TO nemt_api;

ALTER TABLE billing_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_codes FORCE ROW LEVEL SECURITY;
-- In the CASE form of schema/0014.
CREATE POLICY staff_read ON billing_codes FOR SELECT TO nemt_api
  USING (CASE WHEN app_ctx_role() IN ('Billing', 'Dispatcher') THEN true ELSE false END);
CREATE POLICY billing_update ON billing_codes FOR UPDATE TO nemt_api
  USING (CASE WHEN app_ctx_role() = 'Billing' THEN true ELSE false END)
  WITH CHECK (CASE WHEN app_ctx_role() = 'Billing' THEN true ELSE false END);

-- ---- what each billing record was delivered as --------------------------------------------------------
ALTER TABLE billing_records
  ADD COLUMN level_of_service text REFERENCES billing_codes (level_of_service),
  ADD COLUMN vehicle_kind text CHECK (vehicle_kind IN ('sedan', 'minivan', 'wheelchair_van', 'stretcher_van'));

-- The billing trigger as in schema/0005, now also copying the trip's level of service and the
-- leg's vehicle kind. Still runs as nemt_definer (CREATE OR REPLACE keeps owner and grants).
CREATE OR REPLACE FUNCTION create_billing_record() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  new_id uuid := gen_random_uuid();
  v_level_of_service text;
  v_vehicle_kind text;
BEGIN
  SELECT t.mobility INTO v_level_of_service
    FROM trip_requests t WHERE t.facility_id = NEW.facility_id AND t.id = NEW.trip_request_id;
  IF NEW.vehicle_id IS NOT NULL THEN
    SELECT v.kind INTO v_vehicle_kind FROM vehicles v WHERE v.id = NEW.vehicle_id;
  END IF;
  INSERT INTO billing_records (facility_id, id, trip_leg_id, trip_request_id, leg_outcome, mileage, level_of_service,
                               vehicle_kind)
    VALUES (NEW.facility_id, new_id, NEW.id, NEW.trip_request_id, NEW.status, NEW.mileage, v_level_of_service,
            v_vehicle_kind);
  INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id,
                            action, from_state, to_state, details)
    VALUES (NEW.facility_id, NEW.trip_request_id, app_ctx_sub(), 'System', 'billing_record', new_id,
            'billing_record.created', NULL, 'pending', jsonb_build_object('tripLegId', NEW.id));
  RETURN NULL;
END
$$;

-- The billing guard of schema/0003, extended: the delivery facts never change after insert.
CREATE OR REPLACE FUNCTION guard_billing_record_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.trip_leg_id IS DISTINCT FROM OLD.trip_leg_id OR NEW.trip_request_id IS DISTINCT FROM OLD.trip_request_id
     OR NEW.leg_outcome IS DISTINCT FROM OLD.leg_outcome OR NEW.mileage IS DISTINCT FROM OLD.mileage
     OR NEW.level_of_service IS DISTINCT FROM OLD.level_of_service OR NEW.vehicle_kind IS DISTINCT FROM OLD.vehicle_kind THEN
    RAISE EXCEPTION 'a billing record''s leg and completion figures cannot change' USING ERRCODE = '42501';
  END IF;
  -- held_from must be where the record really was, or a hold could skip states on release.
  IF NEW.status = 'on_hold' AND NEW.held_from IS DISTINCT FROM
     (CASE WHEN OLD.status = 'on_hold' THEN OLD.held_from ELSE OLD.status END) THEN
    RAISE EXCEPTION 'a billing record is held from the state it was in' USING ERRCODE = '55000';
  END IF;
  IF OLD.status = 'on_hold' AND NEW.status <> 'on_hold' AND NEW.status <> 'written_off'
     AND NEW.status IS DISTINCT FROM OLD.held_from THEN
    RAISE EXCEPTION 'a held billing record returns to %, not %', OLD.held_from, NEW.status USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$$;
