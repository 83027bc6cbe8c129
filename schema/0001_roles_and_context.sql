-- Database roles and the per-transaction tenant context.
--
-- Roles are cluster-wide, so creation is idempotent (many databases share one cluster in tests).
-- The login that runs migrations owns every object. Application roles are never owners, never
-- superusers and never bypass row-level security.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['nemt_api', 'nemt_intake', 'nemt_notifier', 'nemt_auditor', 'nemt_definer'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', r);
    END IF;
  END LOOP;
END
$$;

-- nemt_definer owns SECURITY DEFINER functions (intake, audit chaining, billing creation); the
-- migrating login must be able to hand objects to it.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'nemt_definer', 'MEMBER') THEN
    EXECUTE format('GRANT nemt_definer TO %I', current_user);
  END IF;
END
$$;

-- Nothing is reachable by PUBLIC unless granted below or in later migrations.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO nemt_api, nemt_intake, nemt_notifier, nemt_auditor, nemt_definer;

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Context readers. Policies call these; each reads one `app.*` setting set with
-- set_config(..., true) by withActor, and an unset or empty setting is NULL, so a query with no
-- context matches no policy and sees no rows (fails closed).
CREATE FUNCTION app_ctx_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.role', true), '') $$;
CREATE FUNCTION app_ctx_sub() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.sub', true), '')::uuid $$;
CREATE FUNCTION app_ctx_facility() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.facility_id', true), '')::uuid $$;
CREATE FUNCTION app_ctx_contact() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.contact_id', true), '')::uuid $$;
CREATE FUNCTION app_ctx_request_id() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.request_id', true), '') $$;

-- Shared trigger: bump version and updated_at on every UPDATE.
CREATE FUNCTION touch_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
