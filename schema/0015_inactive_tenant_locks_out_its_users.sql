-- A tenant switched off (facilities.active = false, PATCH /v1/facilities/{id}) locks out its own
-- users on their next request, whatever tokens they still hold; switching it on again lets them
-- back in (unlike disabling a user, this is meant to be reversible). Staff belong to no tenant and
-- are unaffected. Otherwise the same contract as 0008's function, which this replaces: it runs in
-- the same round trip as BEGIN, as the caller, so the facility is read under the caller's own
-- row-level policy (a facility actor may read its own facility). The user must already carry the
-- context's facility, so the facility is looked up by that: one primary-key probe.
CREATE OR REPLACE FUNCTION app_assert_actor() RETURNS void LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM users u
     WHERE u.id = app_ctx_sub() AND u.active AND u.role = app_ctx_role()
       AND u.facility_id IS NOT DISTINCT FROM app_ctx_facility()
       AND (app_ctx_contact() IS NULL OR u.contact_id = app_ctx_contact())) THEN
    RAISE EXCEPTION 'the caller is not an active user with these claims' USING ERRCODE = '28000';
  END IF;
  IF app_ctx_facility() IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM facilities f WHERE f.id = app_ctx_facility() AND f.active) THEN
    RAISE EXCEPTION 'the caller is not an active user with these claims' USING ERRCODE = '28000';
  END IF;
END
$$;
