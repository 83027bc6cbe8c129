-- Tenant-key rotation (docs/security/key-rotation.md, `npm run keys:rotate`).
--
-- A rotation adds a tenant key version, re-wraps every live rider's data key under it and
-- recomputes the rider's blind indexes with it (one UPDATE per rider), retires the old version
-- once no rider key names it, and later destroys the old version's wrapped key material. The
-- database keeps the rules that make this safe whoever runs it:
--
--   * a tenant key row changes only by being retired (retired_at set, never for the newest
--     version) and then destroyed (wrapped_key set to NULL); nothing else about a key changes;
--   * a rider data key can only be stored wrapped by a version that is not retired, and storing
--     one takes a shared per-tenant advisory lock that retirement takes exclusively, so a rider
--     written under the old version by a transaction still in flight is seen before retirement;
--   * re-wrapping a key is not a change of the rider: its version (the ETag) stays.
--
-- Rotation runs as nemt_key_rotator: a NOLOGIN role that an operator's login (the migrating
-- owner) assumes with SET LOCAL ROLE per transaction. It sees one tenant at a time (the
-- app.facility_id of its transaction), reads only what re-wrapping needs and writes only the key
-- columns, the key retirement and its own audit events. Row-level security stays forced.

-- ---- the role ---------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nemt_key_rotator') THEN
    CREATE ROLE nemt_key_rotator NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- The migrating login runs the rotation tool (locally the owner, deployed the RDS master user
  -- through the Data API): it may SET ROLE to the rotator, and inherits nothing from it.
  EXECUTE format('GRANT nemt_key_rotator TO %I WITH INHERIT FALSE, SET TRUE', current_user);
END
$$;
GRANT USAGE ON SCHEMA public TO nemt_key_rotator;

-- ---- tenant keys: retired, then destroyed -------------------------------------------------------
ALTER TABLE tenant_keys
  ADD COLUMN retired_at timestamptz,
  ALTER COLUMN wrapped_key DROP NOT NULL,
  -- A key's material is destroyed only after the key was retired.
  ADD CONSTRAINT tenant_keys_destroyed_only_when_retired CHECK (wrapped_key IS NOT NULL OR retired_at IS NOT NULL);

DROP TRIGGER tenant_keys_immutable ON tenant_keys;
CREATE FUNCTION guard_tenant_key_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.facility_id IS DISTINCT FROM OLD.facility_id OR NEW.version IS DISTINCT FROM OLD.version
     OR NEW.key_provider IS DISTINCT FROM OLD.key_provider OR NEW.master_key_id IS DISTINCT FROM OLD.master_key_id
     OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'stored keys are never changed; add a new version' USING ERRCODE = '42501';
  END IF;
  IF OLD.retired_at IS NULL AND NEW.retired_at IS NOT NULL AND NEW.wrapped_key IS NOT DISTINCT FROM OLD.wrapped_key THEN
    -- Retirement: the tenant must keep a version to wrap with.
    IF NOT EXISTS (SELECT 1 FROM tenant_keys k WHERE k.facility_id = OLD.facility_id AND k.version > OLD.version
                     AND k.retired_at IS NULL) THEN
      RAISE EXCEPTION 'the newest tenant key version cannot be retired' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.retired_at IS NOT NULL AND NEW.retired_at IS NOT DISTINCT FROM OLD.retired_at
     AND OLD.wrapped_key IS NOT NULL AND NEW.wrapped_key IS NULL THEN
    RETURN NEW;  -- destruction of a retired key's material
  END IF;
  RAISE EXCEPTION 'a tenant key is only ever retired, then destroyed' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER tenant_keys_retire_only BEFORE UPDATE ON tenant_keys FOR EACH ROW EXECUTE FUNCTION guard_tenant_key_change();

-- ---- rider keys: only under a live version ----------------------------------------------------
-- Bytes 19-22 (1-based) of a sealed value are its key version (lambdas/shared/crypto/envelope.ts).
-- The invoker's own row-level security decides what it sees of tenant_keys: every writer of a
-- rider key has just read the version it wrapped with, so it sees that row.
CREATE FUNCTION guard_rider_key_version() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.data_key IS NULL OR (TG_OP = 'UPDATE' AND NEW.data_key IS NOT DISTINCT FROM OLD.data_key) THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('tenant-key:' || NEW.facility_id::text, 0));
  IF EXISTS (SELECT 1 FROM tenant_keys k WHERE k.facility_id = NEW.facility_id AND k.retired_at IS NOT NULL
               AND int4send(k.version) = substring(NEW.data_key FROM 19 FOR 4)) THEN
    RAISE EXCEPTION 'a rider key cannot be wrapped by a retired tenant key' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER riders_key_version BEFORE INSERT OR UPDATE OF data_key ON riders
  FOR EACH ROW EXECUTE FUNCTION guard_rider_key_version();

-- A re-wrap changes the data key and the blind indexes and nothing else: the rider's version and
-- updated_at stay, so a client's If-Match still holds after a rotation.
DROP TRIGGER riders_touch ON riders;
CREATE TRIGGER riders_touch BEFORE UPDATE ON riders FOR EACH ROW
  WHEN (NOT (OLD.data_key IS NOT NULL AND NEW.data_key IS NOT NULL AND OLD.data_key <> NEW.data_key
             AND to_jsonb(OLD) - ARRAY['data_key', 'phone_index', 'email_index']
                 = to_jsonb(NEW) - ARRAY['data_key', 'phone_index', 'email_index']))
  EXECUTE FUNCTION touch_row();

-- ---- the rotator's privileges and policies ----------------------------------------------------
GRANT SELECT (id) ON facilities TO nemt_key_rotator;
GRANT SELECT, INSERT, UPDATE (retired_at, wrapped_key) ON tenant_keys TO nemt_key_rotator;
GRANT SELECT (id, facility_id, data_key, phone_enc, email_enc, created_at), UPDATE (data_key, phone_index, email_index)
  ON riders TO nemt_key_rotator;
GRANT INSERT ON audit_events TO nemt_key_rotator;

-- Listing tenants (--all) needs their ids and nothing else. Conditions in the CASE form of schema/0014.
CREATE POLICY key_rotator_list ON facilities FOR SELECT TO nemt_key_rotator USING (true);
CREATE POLICY key_rotator_own ON tenant_keys FOR ALL TO nemt_key_rotator
  USING (CASE WHEN facility_id = app_ctx_facility() THEN true ELSE false END)
  WITH CHECK (facility_id = app_ctx_facility());
CREATE POLICY key_rotator_own ON riders FOR ALL TO nemt_key_rotator
  USING (CASE WHEN facility_id = app_ctx_facility() THEN true ELSE false END)
  WITH CHECK (facility_id = app_ctx_facility());
CREATE POLICY key_rotator_insert ON audit_events FOR INSERT TO nemt_key_rotator
  WITH CHECK (facility_id = app_ctx_facility() AND actor_role = 'System' AND actor_sub IS NULL
              AND entity_type = 'tenant_key' AND entity_id = facility_id AND action LIKE 'tenant\_key.%');
