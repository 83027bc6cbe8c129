-- Tokens live up to an hour; the database's copy of each user decides now. withActor runs this
-- in the same round trip as BEGIN for every API request, so a disabled user, or a token whose
-- role, facility or contact no longer match the user's record, is refused at once (28000 → 401).
-- search_path pinned: pg_temp comes first otherwise, and a temp `users` table (which outlives
-- the transaction on a pooled connection) would answer this check.
CREATE FUNCTION app_assert_actor() RETURNS void LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM users u
     WHERE u.id = app_ctx_sub() AND u.active AND u.role = app_ctx_role()
       AND u.facility_id IS NOT DISTINCT FROM app_ctx_facility()
       AND (app_ctx_contact() IS NULL OR u.contact_id = app_ctx_contact())) THEN
    RAISE EXCEPTION 'the caller is not an active user with these claims' USING ERRCODE = '28000';
  END IF;
END
$$;
