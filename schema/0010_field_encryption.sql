-- Field-level encryption of rider PII (docs/security/encryption.md, SECURITY S25).
--
-- Rider contact details and clinical or care notes are sealed by the application (AES-256-GCM)
-- before they reach this database; it stores ciphertext (bytea) and keyed blind indexes, never
-- the values. Keys: one tenant key per facility (from KMS, stored here wrapped), one data key per
-- rider (wrapped by the tenant key, stored on the rider). Erasure destroys the rider's data key,
-- which leaves every field sealed under it unreadable while trips, legs, billing and the audit
-- trail stay. Format rules (E.164, lengths) are enforced by the API's schemas before sealing; the
-- database keeps only bounds on the ciphertext and the rules about keys and erasure.

-- ---- tenant keys ------------------------------------------------------------------------------
CREATE TABLE tenant_keys (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  version integer NOT NULL CHECK (version >= 1),
  -- KMS CiphertextBlob (or the local master key's wrapping): useless without the key service.
  wrapped_key bytea NOT NULL CHECK (octet_length(wrapped_key) BETWEEN 32 AND 1024),
  key_provider text NOT NULL CHECK (key_provider IN ('kms', 'local')),
  master_key_id text NOT NULL CHECK (length(master_key_id) BETWEEN 1 AND 2048),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (facility_id, version)
);

-- Provider-level keys: not tenant data. So far one, the key of the intake's phone index, which
-- must find a private-pay rider whatever individual tenant holds them. Reached only through
-- intake_index_key() (schema/0011).
CREATE TABLE provider_keys (
  purpose text NOT NULL CHECK (purpose IN ('intake-phone-index')),
  version integer NOT NULL CHECK (version >= 1),
  wrapped_key bytea NOT NULL CHECK (octet_length(wrapped_key) BETWEEN 32 AND 1024),
  key_provider text NOT NULL CHECK (key_provider IN ('kms', 'local')),
  master_key_id text NOT NULL CHECK (length(master_key_id) BETWEEN 1 AND 2048),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (purpose, version)
);

-- Keys are never rewritten: a new version is a new row.
CREATE FUNCTION refuse_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stored keys are never changed; add a new version' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER tenant_keys_immutable BEFORE UPDATE ON tenant_keys FOR EACH ROW EXECUTE FUNCTION refuse_key_change();
CREATE TRIGGER provider_keys_immutable BEFORE UPDATE ON provider_keys FOR EACH ROW EXECUTE FUNCTION refuse_key_change();

-- ---- riders -----------------------------------------------------------------------------------
-- There is no production data yet. Riders that exist when this runs (a developer's local data)
-- lose their plaintext PII with the columns below and are recorded as erased, which is what
-- they then are.
DROP INDEX riders_phone;
ALTER TABLE riders
  DROP COLUMN full_name,
  DROP COLUMN phone,
  DROP COLUMN email,
  DROP COLUMN date_of_birth,
  DROP COLUMN home_address,
  DROP COLUMN care_notes,
  -- The rider's data key wrapped by the tenant key; NULL once erased.
  ADD COLUMN data_key bytea CHECK (octet_length(data_key) BETWEEN 32 AND 256),
  ADD COLUMN full_name_enc bytea CHECK (octet_length(full_name_enc) <= 1024),
  ADD COLUMN phone_enc bytea CHECK (octet_length(phone_enc) <= 256),
  ADD COLUMN email_enc bytea CHECK (octet_length(email_enc) <= 1200),
  ADD COLUMN date_of_birth_enc bytea CHECK (octet_length(date_of_birth_enc) <= 256),
  ADD COLUMN home_address_enc bytea CHECK (octet_length(home_address_enc) <= 2200),
  ADD COLUMN care_notes_enc bytea CHECK (octet_length(care_notes_enc) <= 8200),
  -- Blind indexes (HMAC-SHA256 under keys derived from the tenant key) for exact-match lookup.
  ADD COLUMN phone_index bytea CHECK (octet_length(phone_index) = 32),
  ADD COLUMN email_index bytea CHECK (octet_length(email_index) = 32),
  -- The intake's provider-level phone index: only for riders of individual (private-pay) tenants.
  ADD COLUMN intake_phone_index bytea CHECK (octet_length(intake_phone_index) = 32),
  ADD COLUMN erased_at timestamptz;

UPDATE riders SET erased_at = now(), notify_channel = 'none', notify_consent = false;

ALTER TABLE riders
  ADD CONSTRAINT riders_live_has_key CHECK ((erased_at IS NULL) = (data_key IS NOT NULL)),
  ADD CONSTRAINT riders_live_has_name CHECK (erased_at IS NOT NULL OR full_name_enc IS NOT NULL),
  ADD CONSTRAINT riders_erased_holds_no_pii CHECK (erased_at IS NULL OR (
    full_name_enc IS NULL AND phone_enc IS NULL AND email_enc IS NULL AND date_of_birth_enc IS NULL
    AND home_address_enc IS NULL AND care_notes_enc IS NULL
    AND phone_index IS NULL AND email_index IS NULL AND intake_phone_index IS NULL));

CREATE INDEX riders_facility_phone_index ON riders (facility_id, phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX riders_facility_email_index ON riders (facility_id, email_index) WHERE email_index IS NOT NULL;
CREATE INDEX riders_intake_phone_index ON riders (intake_phone_index, created_at) WHERE intake_phone_index IS NOT NULL;

-- Erasure is one way: whoever asks, an erased rider stays erased (its key cannot come back, and
-- a new key would only make the rider look live with nothing behind it).
CREATE FUNCTION guard_rider_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.erased_at IS NOT NULL AND NEW.erased_at IS DISTINCT FROM OLD.erased_at THEN
    RAISE EXCEPTION 'an erased rider stays erased' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER riders_erasure_guard BEFORE UPDATE ON riders FOR EACH ROW EXECUTE FUNCTION guard_rider_erasure();

-- ---- trips and legs ---------------------------------------------------------------------------
-- Sealed with the rider's data key: erasing the rider erases these notes too, while the trip
-- and leg rows (and their billing records and audit) stay as they are.
ALTER TABLE trip_requests
  DROP COLUMN clinical_notes,
  ADD COLUMN clinical_notes_enc bytea CHECK (octet_length(clinical_notes_enc) <= 8200);
ALTER TABLE trip_legs
  DROP COLUMN completion_notes,
  ADD COLUMN completion_notes_enc bytea CHECK (octet_length(completion_notes_enc) <= 8200);

-- The leg guard of 0003, now naming the sealed completion notes.
CREATE OR REPLACE FUNCTION guard_trip_leg_update() RETURNS trigger LANGUAGE plpgsql
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

-- ---- privileges and row-level security -----------------------------------------------------------
ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE provider_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_keys FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT ON tenant_keys TO nemt_api, nemt_definer;
GRANT SELECT ON tenant_keys TO nemt_notifier;
GRANT SELECT, INSERT ON provider_keys TO nemt_definer;

-- Whoever reads or writes a tenant's PII needs its key: dispatchers for every tenant, facility
-- roles for their own, drivers for the tenants of the legs they are assigned. Billing never sees
-- PII and gets no key.
CREATE POLICY api_read ON tenant_keys FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'Dispatcher'
         OR (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility())
         OR (app_ctx_role() = 'Driver' AND EXISTS (
               SELECT 1 FROM trip_legs l WHERE l.facility_id = tenant_keys.facility_id AND l.driver_id = app_ctx_sub())));
CREATE POLICY api_insert ON tenant_keys FOR INSERT TO nemt_api
  WITH CHECK (app_ctx_role() = 'Dispatcher'
              OR (app_ctx_role() IN ('FacilityAdmin', 'FacilityUser') AND facility_id = app_ctx_facility()));
CREATE POLICY notifier_read ON tenant_keys FOR SELECT TO nemt_notifier
  USING (EXISTS (SELECT 1 FROM notification_outbox o WHERE o.facility_id = tenant_keys.facility_id));
CREATE POLICY definer_intake_read ON tenant_keys FOR SELECT TO nemt_definer
  USING (EXISTS (SELECT 1 FROM facilities f WHERE f.id = tenant_keys.facility_id AND f.kind = 'individual'));
CREATE POLICY definer_intake_insert ON tenant_keys FOR INSERT TO nemt_definer
  WITH CHECK (EXISTS (SELECT 1 FROM facilities f WHERE f.id = tenant_keys.facility_id AND f.kind = 'individual'));

CREATE POLICY definer_read ON provider_keys FOR SELECT TO nemt_definer USING (true);
CREATE POLICY definer_insert ON provider_keys FOR INSERT TO nemt_definer WITH CHECK (true);

-- The notifier decrypts the contact columns it sends to (0006 granted their plaintext forebears).
GRANT SELECT (data_key, phone_enc, email_enc, erased_at) ON riders TO nemt_notifier;

-- Rider data export (GET /v1/riders/{id}/export) lists the notifications a rider was sent:
-- dispatchers for any tenant, facility admins for their own. Nobody else reads the outbox
-- through the API.
GRANT SELECT ON notification_outbox TO nemt_api;
CREATE POLICY dispatcher_export_read ON notification_outbox FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'Dispatcher');
CREATE POLICY facility_admin_export_read ON notification_outbox FOR SELECT TO nemt_api
  USING (app_ctx_role() = 'FacilityAdmin' AND facility_id = app_ctx_facility());
