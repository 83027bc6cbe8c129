-- The public intake with encrypted PII. The intake Lambda now seals the rider's details before
-- they reach the database, which it can only do once it knows the tenant (whose key seals them).
-- So one submission is one transaction of two calls, both SECURITY DEFINER functions owned by
-- nemt_definer (subject to RLS), the only things the intake login may execute:
--
--   1. intake_prepare(phone index): takes the phone's advisory lock (held to the end of the
--      transaction, so two first requests from one phone cannot create two tenants), and answers
--      the known rider's tenant, rider and wrapped keys, or fresh ids for a new tenant and rider.
--   2. the Lambda opens or generates keys (KMS), seals the fields, and calls
--      intake_submit_trip_request(...), which checks the lookup again under the same lock and
--      writes tenant, tenant key, rider, trip, audit events and the outbox row.
--
-- The answer to the public caller is still only the receipt code, the same whether the rider was
-- known or not. A rider is "known" when an individual tenant holds a rider whose provider-level
-- phone index matches; facility tenants never carry that index, so the intake cannot reach them.

DROP FUNCTION intake_submit_trip_request(text, text, text, date, text, text, timestamptz, timestamptz, text,
  timestamptz, text, text, text, boolean, text);

-- The intake's index key, wrapped: the stored one, or (first use, p_wrapped given) this one,
-- kept unless another transaction stored its own first. The API calls it too, to index the
-- private-pay riders a dispatcher registers.
CREATE FUNCTION intake_index_key(p_wrapped bytea, p_key_provider text, p_master_key_id text) RETURNS bytea
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_wrapped bytea;
BEGIN
  SELECT wrapped_key INTO v_wrapped FROM provider_keys WHERE purpose = 'intake-phone-index' ORDER BY version DESC LIMIT 1;
  IF v_wrapped IS NOT NULL OR p_wrapped IS NULL THEN
    RETURN v_wrapped;
  END IF;
  INSERT INTO provider_keys (purpose, version, wrapped_key, key_provider, master_key_id)
    VALUES ('intake-phone-index', 1, p_wrapped, p_key_provider, p_master_key_id)
    ON CONFLICT (purpose, version) DO NOTHING;
  SELECT wrapped_key INTO v_wrapped FROM provider_keys WHERE purpose = 'intake-phone-index' ORDER BY version DESC LIMIT 1;
  RETURN v_wrapped;
END
$$;

CREATE FUNCTION intake_lock(p_intake_phone_index bytea) RETURNS void LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF p_intake_phone_index IS NULL OR octet_length(p_intake_phone_index) <> 32 THEN
    RAISE EXCEPTION 'an intake phone index is 32 bytes' USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('intake:' || encode(p_intake_phone_index, 'hex'), 0));
END
$$;

CREATE FUNCTION intake_prepare(p_intake_phone_index bytea)
RETURNS TABLE (facility_id uuid, rider_id uuid, known boolean, tenant_key_version integer, tenant_key bytea, rider_key bytea)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_version integer;
BEGIN
  PERFORM intake_lock(p_intake_phone_index);
  SELECT r.facility_id, r.id, r.data_key INTO facility_id, rider_id, rider_key
    FROM riders r JOIN facilities f ON f.id = r.facility_id AND f.kind = 'individual'
   WHERE r.intake_phone_index = p_intake_phone_index AND r.erased_at IS NULL
   ORDER BY r.created_at
   LIMIT 1;
  IF rider_id IS NULL THEN
    facility_id := gen_random_uuid();
    rider_id := gen_random_uuid();
    known := false;
    RETURN NEXT;
    RETURN;
  END IF;
  -- The tenant key that wraps the rider's key: its version is bytes 18-21 of the wrapped key.
  v_version := ('x' || encode(substring(rider_key FROM 19 FOR 4), 'hex'))::bit(32)::integer;
  SELECT k.version, k.wrapped_key INTO tenant_key_version, tenant_key
    FROM tenant_keys k WHERE k.facility_id = intake_prepare.facility_id AND k.version = v_version;
  known := true;
  RETURN NEXT;
END
$$;

CREATE FUNCTION intake_submit_trip_request(
  p_facility_id uuid,
  p_rider_id uuid,
  p_trip_id uuid,
  p_intake_phone_index bytea,
  p_new_tenant_key bytea,
  p_key_provider text,
  p_master_key_id text,
  p_new_rider_key bytea,
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
  p_request_id text
) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_known_facility uuid;
  v_known_rider uuid;
  v_reference text := new_receipt_code();
BEGIN
  PERFORM set_config('app.request_id', left(coalesce(p_request_id, ''), 128), true);
  -- Re-entrant: intake_prepare took it in this transaction already (and a caller that skipped
  -- prepare takes it here); the lookup below cannot change while it is held.
  PERFORM intake_lock(p_intake_phone_index);
  SELECT r.facility_id, r.id INTO v_known_facility, v_known_rider
    FROM riders r JOIN facilities f ON f.id = r.facility_id AND f.kind = 'individual'
   WHERE r.intake_phone_index = p_intake_phone_index AND r.erased_at IS NULL
   ORDER BY r.created_at
   LIMIT 1;

  IF v_known_rider IS NOT NULL THEN
    IF v_known_facility <> p_facility_id OR v_known_rider <> p_rider_id OR p_new_rider_key IS NOT NULL THEN
      RAISE EXCEPTION 'the intake lookup changed; prepare again' USING ERRCODE = '40001';
    END IF;
  ELSE
    IF p_new_tenant_key IS NULL OR p_new_rider_key IS NULL OR p_full_name IS NULL THEN
      RAISE EXCEPTION 'a new private-pay rider needs its keys and name' USING ERRCODE = '40001';
    END IF;
    INSERT INTO facilities (id, kind, name) VALUES (p_facility_id, 'individual', 'Private-pay rider');
    INSERT INTO tenant_keys (facility_id, version, wrapped_key, key_provider, master_key_id)
      VALUES (p_facility_id, 1, p_new_tenant_key, p_key_provider, p_master_key_id);
    INSERT INTO riders (facility_id, id, data_key, full_name_enc, phone_enc, email_enc, date_of_birth_enc, phone_index,
                        email_index, intake_phone_index, mobility, notify_channel, notify_consent)
      VALUES (p_facility_id, p_rider_id, p_new_rider_key, p_full_name, p_phone, p_email, p_date_of_birth, p_phone_index,
              p_email_index, p_intake_phone_index, p_mobility, p_notify_channel, p_notify_consent);
    INSERT INTO audit_events (facility_id, actor_role, entity_type, entity_id, action, to_state)
      VALUES (p_facility_id, 'Public', 'rider', p_rider_id, 'rider.created', NULL);
  END IF;

  INSERT INTO trip_requests (facility_id, id, reference_code, rider_id, source, status, pickup_address,
                             dropoff_address, appointment_at, requested_pickup_at, return_trip,
                             requested_return_at, mobility, clinical_notes_enc)
    VALUES (p_facility_id, p_trip_id, v_reference, p_rider_id, 'intake', 'requested', p_pickup_address,
            p_dropoff_address, p_appointment_at, p_requested_pickup_at, p_return_trip,
            p_requested_return_at, p_mobility, p_clinical_notes);
  INSERT INTO audit_events (facility_id, trip_request_id, actor_role, entity_type, entity_id, action, to_state)
    VALUES (p_facility_id, p_trip_id, 'Public', 'trip_request', p_trip_id, 'trip_request.created', 'requested');
  INSERT INTO notification_outbox (facility_id, rider_id, trip_request_id, event_type, payload)
    VALUES (p_facility_id, p_rider_id, p_trip_id, 'request_received',
            jsonb_build_object('referenceCode', v_reference, 'appointmentAt', p_appointment_at));
  RETURN v_reference;
END
$$;

ALTER FUNCTION intake_index_key(bytea, text, text) OWNER TO nemt_definer;
ALTER FUNCTION intake_prepare(bytea) OWNER TO nemt_definer;
ALTER FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea, bytea,
  bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION intake_lock(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake_lock(bytea) TO nemt_definer;
REVOKE ALL ON FUNCTION intake_index_key(bytea, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION intake_prepare(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
  bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake_index_key(bytea, text, text) TO nemt_intake, nemt_api;
GRANT EXECUTE ON FUNCTION intake_prepare(bytea) TO nemt_intake;
GRANT EXECUTE ON FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
  bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text)
  TO nemt_intake;
