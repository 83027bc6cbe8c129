-- Lifecycles as data. The application's state machines (lambdas/shared/domain) mirror these rows
-- and a test keeps the two equal; the triggers below make the database refuse any transition
-- the table does not list, and refuse every UPDATE of a row in a final state (immutability),
-- whichever role issues it.

CREATE TABLE lifecycle_states (
  entity text NOT NULL,
  state text NOT NULL,
  is_initial boolean NOT NULL DEFAULT false,
  is_final boolean NOT NULL DEFAULT false,
  PRIMARY KEY (entity, state)
);

CREATE TABLE lifecycle_transitions (
  entity text NOT NULL,
  from_state text NOT NULL,
  to_state text NOT NULL,
  PRIMARY KEY (entity, from_state, to_state),
  FOREIGN KEY (entity, from_state) REFERENCES lifecycle_states (entity, state),
  FOREIGN KEY (entity, to_state) REFERENCES lifecycle_states (entity, state)
);

INSERT INTO lifecycle_states (entity, state, is_initial, is_final) VALUES
  ('trip_request', 'requested', true, false),
  ('trip_request', 'scheduled', false, false),
  ('trip_request', 'in_progress', false, false),
  ('trip_request', 'completed', false, true),
  ('trip_request', 'rejected', false, true),
  ('trip_request', 'cancelled', false, true),
  ('trip_leg', 'unassigned', true, false),
  ('trip_leg', 'assigned', false, false),
  ('trip_leg', 'en_route', false, false),
  ('trip_leg', 'arrived', false, false),
  ('trip_leg', 'picked_up', false, false),
  ('trip_leg', 'completed', false, true),
  ('trip_leg', 'no_show', false, true),
  ('trip_leg', 'cancelled', false, true),
  ('cancellation_request', 'pending', true, false),
  ('cancellation_request', 'approved', false, true),
  ('cancellation_request', 'denied', false, true),
  ('billing_record', 'pending', true, false),
  ('billing_record', 'ready', false, false),
  ('billing_record', 'invoiced', false, false),
  ('billing_record', 'denied', false, false),
  ('billing_record', 'on_hold', false, false),
  ('billing_record', 'paid', false, true),
  ('billing_record', 'written_off', false, true);

INSERT INTO lifecycle_transitions (entity, from_state, to_state) VALUES
  ('trip_request', 'requested', 'scheduled'),
  ('trip_request', 'requested', 'rejected'),
  ('trip_request', 'requested', 'cancelled'),
  ('trip_request', 'scheduled', 'in_progress'),
  ('trip_request', 'scheduled', 'cancelled'),
  ('trip_request', 'in_progress', 'completed'),
  ('trip_request', 'in_progress', 'cancelled'),
  ('trip_leg', 'unassigned', 'assigned'),
  ('trip_leg', 'unassigned', 'cancelled'),
  ('trip_leg', 'assigned', 'unassigned'),
  ('trip_leg', 'assigned', 'en_route'),
  ('trip_leg', 'assigned', 'cancelled'),
  ('trip_leg', 'en_route', 'arrived'),
  ('trip_leg', 'en_route', 'cancelled'),
  ('trip_leg', 'arrived', 'picked_up'),
  ('trip_leg', 'arrived', 'no_show'),
  ('trip_leg', 'arrived', 'cancelled'),
  ('trip_leg', 'picked_up', 'completed'),
  ('trip_leg', 'picked_up', 'cancelled'),
  ('cancellation_request', 'pending', 'approved'),
  ('cancellation_request', 'pending', 'denied'),
  ('billing_record', 'pending', 'ready'),
  ('billing_record', 'ready', 'invoiced'),
  ('billing_record', 'invoiced', 'paid'),
  ('billing_record', 'invoiced', 'denied'),
  ('billing_record', 'denied', 'ready'),
  ('billing_record', 'pending', 'on_hold'),
  ('billing_record', 'ready', 'on_hold'),
  ('billing_record', 'invoiced', 'on_hold'),
  ('billing_record', 'denied', 'on_hold'),
  ('billing_record', 'on_hold', 'pending'),
  ('billing_record', 'on_hold', 'ready'),
  ('billing_record', 'on_hold', 'invoiced'),
  ('billing_record', 'on_hold', 'denied'),
  ('billing_record', 'pending', 'written_off'),
  ('billing_record', 'ready', 'written_off'),
  ('billing_record', 'invoiced', 'written_off'),
  ('billing_record', 'denied', 'written_off'),
  ('billing_record', 'on_hold', 'written_off');

-- TG_ARGV[0] names the entity. 55000 (object_not_in_prerequisite_state) marks both refusals.
-- Triggers run with the caller's search_path, where pg_temp comes first: without the pinned path
-- any role could CREATE TEMP TABLE lifecycle_transitions and allow itself any transition.
CREATE FUNCTION enforce_lifecycle() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
  v_entity text := TG_ARGV[0];
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM lifecycle_states s
                   WHERE s.entity = v_entity AND s.state = NEW.status AND s.is_initial) THEN
      RAISE EXCEPTION '% must start in its initial state, not %', v_entity, NEW.status
        USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM lifecycle_states s WHERE s.entity = v_entity AND s.state = OLD.status AND s.is_final) THEN
    RAISE EXCEPTION '% % is % and can no longer change', v_entity, OLD.id, OLD.status
      USING ERRCODE = '55000';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
      SELECT 1 FROM lifecycle_transitions t
      WHERE t.entity = v_entity AND t.from_state = OLD.status AND t.to_state = NEW.status) THEN
    RAISE EXCEPTION '% cannot move from % to %', v_entity, OLD.status, NEW.status
      USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER trip_requests_lifecycle BEFORE INSERT OR UPDATE ON trip_requests
  FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('trip_request');
CREATE TRIGGER trip_legs_lifecycle BEFORE INSERT OR UPDATE ON trip_legs
  FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('trip_leg');
CREATE TRIGGER cancellation_requests_lifecycle BEFORE INSERT OR UPDATE ON cancellation_requests
  FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('cancellation_request');
CREATE TRIGGER billing_records_lifecycle BEFORE INSERT OR UPDATE ON billing_records
  FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('billing_record');

-- Identity and ownership columns never change after insert, for any role.
CREATE FUNCTION refuse_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.facility_id IS DISTINCT FROM OLD.facility_id
     OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'id, facility_id and created_at of % cannot change', TG_TABLE_NAME
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
-- A tenant's kind never changes: the public intake attaches requests to individual tenants by
-- phone, so turning a clinic into an "individual" would expose its riders to it.
CREATE FUNCTION refuse_facility_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'id, kind and created_at of a facility cannot change' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER facilities_identity BEFORE UPDATE ON facilities FOR EACH ROW EXECUTE FUNCTION refuse_facility_identity_change();
CREATE TRIGGER contacts_identity BEFORE UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER users_identity BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER riders_identity BEFORE UPDATE ON riders FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER trip_requests_identity BEFORE UPDATE ON trip_requests FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER trip_legs_identity BEFORE UPDATE ON trip_legs FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER cancellation_requests_identity BEFORE UPDATE ON cancellation_requests FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER billing_records_identity BEFORE UPDATE ON billing_records FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();

-- Role-specific column guards: what row-level security cannot express (which columns a role may
-- change) is refused here, so a handler bug cannot widen a role's reach.
CREATE FUNCTION guard_trip_request_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.reference_code IS DISTINCT FROM OLD.reference_code OR NEW.source IS DISTINCT FROM OLD.source
     OR NEW.submitted_by IS DISTINCT FROM OLD.submitted_by OR NEW.rider_id IS DISTINCT FROM OLD.rider_id THEN
    RAISE EXCEPTION 'reference, source, submitter and rider of a trip request cannot change' USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') THEN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.rejection_reason IS DISTINCT FROM OLD.rejection_reason THEN
      RAISE EXCEPTION 'facility roles cannot change a trip request''s status' USING ERRCODE = '42501';
    END IF;
    IF OLD.status <> 'requested' THEN
      RAISE EXCEPTION 'a trip request can be edited only before it is scheduled' USING ERRCODE = '55000';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER trip_requests_guard BEFORE UPDATE ON trip_requests FOR EACH ROW EXECUTE FUNCTION guard_trip_request_update();

-- search_path pinned for the same reason as enforce_lifecycle (a temp `users` table).
CREATE FUNCTION guard_trip_leg_update() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.trip_request_id IS DISTINCT FROM OLD.trip_request_id OR NEW.rider_id IS DISTINCT FROM OLD.rider_id
     OR NEW.kind IS DISTINCT FROM OLD.kind THEN
    RAISE EXCEPTION 'a leg cannot move to another trip, rider or kind' USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() = 'Driver' AND (
       NEW.driver_id IS DISTINCT FROM OLD.driver_id
    OR NEW.scheduled_pickup_at IS DISTINCT FROM OLD.scheduled_pickup_at
    OR NEW.scheduled_dropoff_at IS DISTINCT FROM OLD.scheduled_dropoff_at
    OR NEW.pickup_address IS DISTINCT FROM OLD.pickup_address
    OR NEW.dropoff_address IS DISTINCT FROM OLD.dropoff_address
    OR NEW.will_call IS DISTINCT FROM OLD.will_call) THEN
    RAISE EXCEPTION 'drivers may record status and completion only' USING ERRCODE = '42501';
  END IF;
  -- Cancelling (or unassigning) a leg is a dispatch decision, not something a driver records.
  IF app_ctx_role() = 'Driver' AND NEW.status IS DISTINCT FROM OLD.status
     AND NEW.status NOT IN ('en_route', 'arrived', 'picked_up', 'completed', 'no_show') THEN
    RAISE EXCEPTION 'drivers may not move a leg to %', NEW.status USING ERRCODE = '42501';
  END IF;
  IF app_ctx_role() IS DISTINCT FROM 'Driver' AND (
       NEW.actual_pickup_at IS DISTINCT FROM OLD.actual_pickup_at
    OR NEW.actual_dropoff_at IS DISTINCT FROM OLD.actual_dropoff_at
    OR NEW.odometer_start IS DISTINCT FROM OLD.odometer_start
    OR NEW.odometer_end IS DISTINCT FROM OLD.odometer_end
    OR NEW.completion_notes IS DISTINCT FROM OLD.completion_notes) THEN
    RAISE EXCEPTION 'only the assigned driver submits completion data' USING ERRCODE = '42501';
  END IF;
  IF NEW.driver_id IS NOT NULL AND NEW.driver_id IS DISTINCT FROM OLD.driver_id AND NOT EXISTS (
      SELECT 1 FROM users u WHERE u.id = NEW.driver_id AND u.role = 'Driver' AND u.active) THEN
    RAISE EXCEPTION 'legs are assigned to active drivers only' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER trip_legs_guard BEFORE UPDATE ON trip_legs FOR EACH ROW EXECUTE FUNCTION guard_trip_leg_update();

CREATE FUNCTION guard_billing_record_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.trip_leg_id IS DISTINCT FROM OLD.trip_leg_id OR NEW.trip_request_id IS DISTINCT FROM OLD.trip_request_id
     OR NEW.leg_outcome IS DISTINCT FROM OLD.leg_outcome OR NEW.mileage IS DISTINCT FROM OLD.mileage THEN
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
CREATE TRIGGER billing_records_guard BEFORE UPDATE ON billing_records FOR EACH ROW EXECUTE FUNCTION guard_billing_record_update();
