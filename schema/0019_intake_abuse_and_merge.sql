-- The public intake's abuse controls (SECURITY S28) and the end of its rider takeover.
--
-- 1. Takeover. Until now the first public submitter of a phone decided where that private-pay
--    rider's messages went: a later intake with the same phone reused the stored rider and dropped
--    its own email, channel and consent; and whether a receipt reached the prober told whether the
--    number was already a rider. From here on an unauthenticated submission never reads, reuses or
--    changes an existing rider: every submission creates its own individual tenant and rider with
--    the contact given with it, so the messages about a request go to that request's contact (or
--    nowhere). The provider-level phone index is still stored, for a Dispatcher to find duplicates
--    and merge them (a link recorded on the duplicate, audited in both tenants' chains).
--    The lookup is gone, so is what the phone's advisory lock protected between intake and erasure
--    (schema/0013): the intake never touches a stored rider, so an erasure and an intake for the
--    same phone have nothing to take turns on. intake_lock stays for the API's erasure, harmless.
--
-- 2. Proof of work. The intake spends each ALTCHA challenge here, in the same transaction as the
--    submission (intake_spend_challenge): a challenge spent once is refused ever after, until its
--    own expiry, after which its signature no longer verifies anyway and expire_records() removes it.
--
-- 3. Receipts per destination. At most p_receipts_per_day receipts a day go to one destination,
--    counted under a provider-level blind index of the phone (SMS) or email (never plaintext); a
--    request over the limit is recorded like any other, without an outbox row.

-- ---- 1. duplicates and merge ---------------------------------------------------------------------
ALTER TABLE riders
  ADD COLUMN merged_into_rider_id uuid REFERENCES riders (id),
  ADD CONSTRAINT riders_not_merged_into_itself CHECK (merged_into_rider_id IS DISTINCT FROM id);

-- A merge is a Dispatcher's decision, and final: facility roles, drivers and billing never set the
-- link, and nobody moves or removes it once set.
CREATE FUNCTION guard_rider_merge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.merged_into_rider_id IS DISTINCT FROM OLD.merged_into_rider_id THEN
    IF OLD.merged_into_rider_id IS NOT NULL THEN
      RAISE EXCEPTION 'a rider''s merge cannot change once recorded' USING ERRCODE = '42501';
    END IF;
    IF app_ctx_role() IN ('FacilityAdmin', 'FacilityUser', 'Driver', 'Billing') THEN
      RAISE EXCEPTION 'only a dispatcher merges riders' USING ERRCODE = '42501';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER riders_merge_guard BEFORE UPDATE ON riders FOR EACH ROW EXECUTE FUNCTION guard_rider_merge();

-- ---- 2. spent challenges -------------------------------------------------------------------------
-- No facility, no personal data: a SHA-256 of the challenge and when its signature stops verifying.
CREATE TABLE intake_spent_challenges (
  challenge_hash bytea PRIMARY KEY CHECK (octet_length(challenge_hash) = 32),
  expires_at timestamptz NOT NULL,
  spent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intake_spent_challenges_expiry ON intake_spent_challenges (expires_at);

-- ---- 3. receipts per destination and day -----------------------------------------------------------
CREATE TABLE intake_receipt_counts (
  destination_index bytea NOT NULL CHECK (octet_length(destination_index) = 32),
  day date NOT NULL,
  receipts integer NOT NULL CHECK (receipts >= 1),
  PRIMARY KEY (destination_index, day)
);
CREATE INDEX intake_receipt_counts_expiry ON intake_receipt_counts (day);

ALTER TABLE intake_spent_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_spent_challenges FORCE ROW LEVEL SECURITY;
ALTER TABLE intake_receipt_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_receipt_counts FORCE ROW LEVEL SECURITY;

-- Only the definer's functions reach them: the intake spends and counts, expire_records() deletes
-- what is past its day. DELETE reaches expired rows only, as in schema/0016.
GRANT SELECT, INSERT, DELETE ON intake_spent_challenges TO nemt_definer;
GRANT SELECT, INSERT, UPDATE (receipts), DELETE ON intake_receipt_counts TO nemt_definer;
CREATE POLICY definer_spend ON intake_spent_challenges FOR INSERT TO nemt_definer WITH CHECK (true);
CREATE POLICY definer_read ON intake_spent_challenges FOR SELECT TO nemt_definer USING (true);
CREATE POLICY definer_expire ON intake_spent_challenges FOR DELETE TO nemt_definer
  USING (CASE WHEN expires_at < now() THEN true ELSE false END);
CREATE POLICY definer_count ON intake_receipt_counts FOR INSERT TO nemt_definer WITH CHECK (true);
CREATE POLICY definer_read ON intake_receipt_counts FOR SELECT TO nemt_definer USING (true);
CREATE POLICY definer_recount ON intake_receipt_counts FOR UPDATE TO nemt_definer USING (true) WITH CHECK (true);
CREATE POLICY definer_expire ON intake_receipt_counts FOR DELETE TO nemt_definer
  USING (CASE WHEN day < (now() AT TIME ZONE 'UTC')::date - 1 THEN true ELSE false END);

-- True the first time a challenge is spent, false ever after (the caller then refuses the request
-- and rolls back). A challenge claiming to live longer than an hour is not one this intake issued.
CREATE FUNCTION intake_spend_challenge(p_challenge_hash bytea, p_expires_at timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  v_spent integer;
BEGIN
  IF p_challenge_hash IS NULL OR octet_length(p_challenge_hash) <> 32 THEN
    RAISE EXCEPTION 'a challenge hash is 32 bytes' USING ERRCODE = '22023';
  END IF;
  IF p_expires_at IS NULL OR p_expires_at <= now() OR p_expires_at > now() + interval '1 hour' THEN
    RETURN false;
  END IF;
  INSERT INTO intake_spent_challenges (challenge_hash, expires_at) VALUES (p_challenge_hash, p_expires_at)
    ON CONFLICT (challenge_hash) DO NOTHING;
  GET DIAGNOSTICS v_spent = ROW_COUNT;
  RETURN v_spent = 1;
END
$$;

-- ---- the intake, without a lookup ------------------------------------------------------------------
DROP FUNCTION intake_prepare(bytea);
DROP FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea, bytea,
  bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text);

-- One submission: a new individual tenant with its key, a new rider with the request's own contact,
-- the trip, their audit events, and (within the destination's daily limit) the receipt's outbox row.
-- Ids come from the caller, which sealed the fields bound to them; a taken id fails the insert.
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
  p_receipts_per_day integer
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
                             requested_return_at, mobility, clinical_notes_enc)
    VALUES (p_facility_id, p_trip_id, v_reference, p_rider_id, 'intake', 'requested', p_pickup_address,
            p_dropoff_address, p_appointment_at, p_requested_pickup_at, p_return_trip,
            p_requested_return_at, p_mobility, p_clinical_notes);
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

ALTER FUNCTION intake_spend_challenge(bytea, timestamptz) OWNER TO nemt_definer;
ALTER FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea, bytea,
  bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea, integer)
  OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION intake_spend_challenge(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
  bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea,
  integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake_spend_challenge(bytea, timestamptz) TO nemt_intake;
GRANT EXECUTE ON FUNCTION intake_submit_trip_request(uuid, uuid, uuid, bytea, bytea, text, text, bytea, bytea, bytea, bytea,
  bytea, bytea, bytea, text, text, timestamptz, timestamptz, text, timestamptz, text, bytea, text, boolean, text, bytea,
  integer) TO nemt_intake;

-- ---- expiry (schema/0016's pattern) --------------------------------------------------------------
-- Spent challenges go once their signature has expired (a replay then fails the signature check);
-- receipt counters once their day is over everywhere. Neither holds anyone's data, so only the
-- retention of idempotency keys and outbox rows is audited, as before; the counts ride along.
DROP FUNCTION expire_records(integer);
CREATE FUNCTION expire_records(p_limit integer DEFAULT 1000)
RETURNS TABLE (idempotency_keys integer, outbox_rows integer, spent_challenges integer, receipt_counts integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  keys_deleted integer;
  outbox_deleted integer;
  challenges_deleted integer;
  counts_deleted integer;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 50000 THEN
    RAISE EXCEPTION 'expire_records: limit must be 1 to 50000' USING ERRCODE = '22023';
  END IF;
  DELETE FROM idempotency_keys k
   WHERE (k.actor_sub, k.idempotency_key) IN (
     SELECT e.actor_sub, e.idempotency_key FROM idempotency_keys e
      WHERE e.created_at < now() - interval '7 days' ORDER BY e.created_at LIMIT p_limit);
  GET DIAGNOSTICS keys_deleted = ROW_COUNT;
  DELETE FROM notification_outbox o
   WHERE o.id IN (
     SELECT e.id FROM notification_outbox e
      WHERE e.status <> 'pending' AND e.created_at < now() - interval '13 months' ORDER BY e.created_at LIMIT p_limit);
  GET DIAGNOSTICS outbox_deleted = ROW_COUNT;
  DELETE FROM intake_spent_challenges s
   WHERE s.challenge_hash IN (
     SELECT e.challenge_hash FROM intake_spent_challenges e WHERE e.expires_at < now() ORDER BY e.expires_at LIMIT p_limit);
  GET DIAGNOSTICS challenges_deleted = ROW_COUNT;
  DELETE FROM intake_receipt_counts c
   WHERE (c.destination_index, c.day) IN (
     SELECT e.destination_index, e.day FROM intake_receipt_counts e
      WHERE e.day < (now() AT TIME ZONE 'UTC')::date - 1 ORDER BY e.day LIMIT p_limit);
  GET DIAGNOSTICS counts_deleted = ROW_COUNT;
  IF keys_deleted + outbox_deleted > 0 THEN
    INSERT INTO audit_events (facility_id, actor_role, entity_type, entity_id, action, details)
      VALUES (NULL, 'System', 'retention', gen_random_uuid(), 'records.expired',
              jsonb_build_object('idempotencyKeys', keys_deleted, 'outboxRows', outbox_deleted));
  END IF;
  RETURN QUERY SELECT keys_deleted, outbox_deleted, challenges_deleted, counts_deleted;
END
$$;
ALTER FUNCTION expire_records(integer) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION expire_records(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION expire_records(integer) TO nemt_notifier;
