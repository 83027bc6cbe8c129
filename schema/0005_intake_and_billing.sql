-- Work the database does on behalf of callers who may not do it themselves: the public intake
-- and the automatic billing record. Both run as nemt_definer, a NOLOGIN role that is subject to
-- row-level security like every other application role (it is not the owner), with policies
-- granting exactly the inserts these functions make.

-- One billing record per leg that ended in completion or no-show, created in the same
-- transaction as the leg change, whoever made it.
CREATE FUNCTION create_billing_record() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  new_id uuid := gen_random_uuid();
BEGIN
  INSERT INTO billing_records (facility_id, id, trip_leg_id, trip_request_id, leg_outcome, mileage)
    VALUES (NEW.facility_id, new_id, NEW.id, NEW.trip_request_id, NEW.status, NEW.mileage);
  INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id,
                            action, from_state, to_state, details)
    VALUES (NEW.facility_id, NEW.trip_request_id, app_ctx_sub(), 'System', 'billing_record', new_id,
            'billing_record.created', NULL, 'pending', jsonb_build_object('tripLegId', NEW.id));
  RETURN NULL;
END
$$;
CREATE TRIGGER trip_legs_billing AFTER UPDATE OF status ON trip_legs FOR EACH ROW
  WHEN (NEW.status IN ('completed', 'no_show') AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION create_billing_record();

-- A trip follows its legs: it is in progress once a driver sets off, and it ends when every leg
-- has ended (completed if any leg was carried out or no-showed, cancelled if all were cancelled).
-- Drivers may not update trip requests themselves, so the database derives this for them.
CREATE FUNCTION sync_trip_status() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_trip_status text;
  v_next text;
  v_open integer;
  v_served integer;
BEGIN
  SELECT status INTO v_trip_status FROM trip_requests
   WHERE facility_id = NEW.facility_id AND id = NEW.trip_request_id FOR UPDATE;
  IF v_trip_status NOT IN ('scheduled', 'in_progress') THEN
    RETURN NULL;
  END IF;
  SELECT count(*) FILTER (WHERE status NOT IN ('completed', 'no_show', 'cancelled')),
         count(*) FILTER (WHERE status IN ('completed', 'no_show'))
    INTO v_open, v_served
    FROM trip_legs WHERE facility_id = NEW.facility_id AND trip_request_id = NEW.trip_request_id;
  IF v_open = 0 THEN
    v_next := CASE WHEN v_served > 0 THEN 'completed' ELSE 'cancelled' END;
  ELSIF v_trip_status = 'scheduled' AND NEW.status IN ('en_route', 'arrived', 'picked_up', 'completed', 'no_show') THEN
    v_next := 'in_progress';
  END IF;
  IF v_next IS NOT NULL AND v_next <> v_trip_status THEN
    IF v_trip_status = 'scheduled' AND v_next = 'completed' THEN
      UPDATE trip_requests SET status = 'in_progress' WHERE facility_id = NEW.facility_id AND id = NEW.trip_request_id;
      v_trip_status := 'in_progress';
    END IF;
    UPDATE trip_requests SET status = v_next WHERE facility_id = NEW.facility_id AND id = NEW.trip_request_id;
    INSERT INTO audit_events (facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id,
                              action, from_state, to_state, details)
      VALUES (NEW.facility_id, NEW.trip_request_id, app_ctx_sub(), 'System', 'trip_request', NEW.trip_request_id,
              'trip_request.' || v_next, v_trip_status, v_next, jsonb_build_object('tripLegId', NEW.id));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER trip_legs_sync_trip AFTER UPDATE OF status ON trip_legs FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION sync_trip_status();

-- The public intake: creates (or finds) the rider's individual tenant, the rider and a trip
-- request in one transaction, and returns only the receipt code. A rider is "known" when an
-- individual tenant already holds a rider with the same phone number; the answer is the same
-- either way, so the endpoint cannot be used to probe who rides with the provider.
CREATE FUNCTION intake_submit_trip_request(
  p_full_name text,
  p_phone text,
  p_email text,
  p_date_of_birth date,
  p_pickup_address text,
  p_dropoff_address text,
  p_appointment_at timestamptz,
  p_requested_pickup_at timestamptz,
  p_return_trip text,
  p_requested_return_at timestamptz,
  p_mobility text,
  p_notes text,
  p_notify_channel text,
  p_notify_consent boolean,
  p_request_id text
) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_facility_id uuid;
  v_rider_id uuid;
  v_trip_id uuid := gen_random_uuid();
  v_reference text := new_receipt_code();
BEGIN
  PERFORM set_config('app.request_id', left(coalesce(p_request_id, ''), 128), true);
  -- Two simultaneous first requests from one phone must not create two tenants.
  PERFORM pg_advisory_xact_lock(hashtextextended('intake:' || p_phone, 0));

  SELECT r.facility_id, r.id INTO v_facility_id, v_rider_id
    FROM riders r JOIN facilities f ON f.id = r.facility_id AND f.kind = 'individual'
   WHERE r.phone = p_phone
   ORDER BY r.created_at
   LIMIT 1;

  IF v_rider_id IS NULL THEN
    v_facility_id := gen_random_uuid();
    v_rider_id := gen_random_uuid();
    INSERT INTO facilities (id, kind, name) VALUES (v_facility_id, 'individual', 'Private-pay rider');
    INSERT INTO riders (facility_id, id, full_name, phone, email, date_of_birth, mobility,
                        notify_channel, notify_consent)
      VALUES (v_facility_id, v_rider_id, p_full_name, p_phone, p_email, p_date_of_birth, p_mobility,
              p_notify_channel, p_notify_consent);
    INSERT INTO audit_events (facility_id, actor_role, entity_type, entity_id, action, to_state)
      VALUES (v_facility_id, 'Public', 'rider', v_rider_id, 'rider.created', NULL);
  END IF;

  INSERT INTO trip_requests (facility_id, id, reference_code, rider_id, source, status, pickup_address,
                             dropoff_address, appointment_at, requested_pickup_at, return_trip,
                             requested_return_at, mobility, clinical_notes)
    VALUES (v_facility_id, v_trip_id, v_reference, v_rider_id, 'intake', 'requested', p_pickup_address,
            p_dropoff_address, p_appointment_at, p_requested_pickup_at, p_return_trip,
            p_requested_return_at, p_mobility, p_notes);
  INSERT INTO audit_events (facility_id, trip_request_id, actor_role, entity_type, entity_id, action, to_state)
    VALUES (v_facility_id, v_trip_id, 'Public', 'trip_request', v_trip_id, 'trip_request.created', 'requested');
  INSERT INTO notification_outbox (facility_id, rider_id, trip_request_id, event_type, payload)
    VALUES (v_facility_id, v_rider_id, v_trip_id, 'request_received',
            jsonb_build_object('referenceCode', v_reference, 'appointmentAt', p_appointment_at));
  RETURN v_reference;
END
$$;

ALTER FUNCTION create_billing_record() OWNER TO nemt_definer;
ALTER FUNCTION sync_trip_status() OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION sync_trip_status() FROM PUBLIC;
ALTER FUNCTION audit_chain_append() OWNER TO nemt_definer;
ALTER FUNCTION intake_submit_trip_request(text, text, text, date, text, text, timestamptz, timestamptz, text,
  timestamptz, text, text, text, boolean, text) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION intake_submit_trip_request(text, text, text, date, text, text, timestamptz, timestamptz,
  text, timestamptz, text, text, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake_submit_trip_request(text, text, text, date, text, text, timestamptz, timestamptz,
  text, timestamptz, text, text, text, boolean, text) TO nemt_intake;
REVOKE ALL ON FUNCTION create_billing_record() FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_chain_append() FROM PUBLIC;
