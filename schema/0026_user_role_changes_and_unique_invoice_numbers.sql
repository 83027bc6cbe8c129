-- Two rules of issue 16.
--
-- 1. A user's role, facility and contact change only by a Dispatcher's audited action
--    (POST /v1/users/{id}/role, SECURITY S30). Until now the users table shared the generic
--    identity trigger (schema/0003), which forbade any facility change, while the role and contact
--    columns were guarded by nothing but row-level security: a FacilityAdmin's policy lets it
--    rewrite a FacilityUser of its own facility into a FacilityAdmin. Now id and created_at never
--    change, and role, facility_id and contact_id change only while a Dispatcher is acting, so a
--    handler bug elsewhere cannot move a user. The old tokens of a moved user are refused by
--    app_assert_actor() (schema/0015), which compares every request's claims with this row.
--
-- 2. Invoice numbers are unique: a payer matches a remittance to a claim by its invoice number,
--    and two claims under one number can be paid once or twice, depending on the payer.
--    A database that already holds duplicates keeps them (an invoice number is what was sent to
--    the payer; schema/0021 does not rewrite them either): the earliest record of each number is
--    indexed, the later copies are left out of the index by id, and a WARNING names how many. Any
--    new number, and any number equal to an indexed one, is then refused; the duplicates already
--    sent stay visible to the billing desk, which must resolve them with the payer. Failing the
--    migration instead would block every later release on a billing clean-up. Either way the index
--    has one name, which the API maps to 409 invoice-number-taken (lambdas/shared/http/db-errors.ts).

-- ---- 1. who may move a user -------------------------------------------------------------------------
CREATE FUNCTION guard_user_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'id and created_at of a user cannot change' USING ERRCODE = '42501';
  END IF;
  IF (NEW.role IS DISTINCT FROM OLD.role OR NEW.facility_id IS DISTINCT FROM OLD.facility_id
      OR NEW.contact_id IS DISTINCT FROM OLD.contact_id)
     AND app_ctx_role() IS DISTINCT FROM 'Dispatcher' THEN
    RAISE EXCEPTION 'only a Dispatcher changes a user''s role, facility or contact' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
DROP TRIGGER users_identity ON users;
CREATE TRIGGER users_identity BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION guard_user_update();

-- ---- 2. one record per invoice number ---------------------------------------------------------------
DO $$
DECLARE
  later_copies uuid[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO later_copies
    FROM (SELECT id, row_number() OVER (PARTITION BY invoice_number ORDER BY created_at, id) AS copy
            FROM billing_records WHERE invoice_number IS NOT NULL) AS numbered
   WHERE copy > 1;
  IF cardinality(later_copies) = 0 THEN
    CREATE UNIQUE INDEX billing_records_invoice_number_unique ON billing_records (invoice_number)
      WHERE invoice_number IS NOT NULL;
  ELSE
    RAISE WARNING '% billing records repeat an earlier invoice number; they stay outside billing_records_invoice_number_unique (see schema/0026)',
      cardinality(later_copies);
    EXECUTE format('CREATE UNIQUE INDEX billing_records_invoice_number_unique ON billing_records (invoice_number)
                     WHERE invoice_number IS NOT NULL AND id <> ALL (%L::uuid[])', later_copies);
  END IF;
END
$$;
