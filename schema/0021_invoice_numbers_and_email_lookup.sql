-- Two leaks a security review confirmed (issue 13).
--
-- 1. Invoice numbers a spreadsheet could run. The billing CSV's guard looked at a cell's first
--    character only, so `INV-1;=1+1;` came out as a live formula wherever `;` is the list
--    separator. The export now neutralises every place a formula could start (handlers/billing.ts);
--    here, invoice numbers keep to letters and digits in groups joined by one space, `.`, `_`, `/`
--    or `-`, the API's own rule (schemas/admin.ts, InvoiceNumber), so no stored invoice number
--    needs neutralising at all.
--    Rows written before this rule are not rewritten (an invoice number is what was sent to the
--    payer). The constraint is added NOT VALID, which already binds every insert and update, then
--    validated: where every stored invoice number conforms (any database whose invoice numbers
--    were ordinary), it becomes a full constraint. Where one does not, the migration still
--    succeeds with a WARNING and the constraint stays NOT VALID: such a record exports neutralised,
--    and any change to it is refused (422 rule-violated) until an operator corrects its invoice
--    number; then `ALTER TABLE billing_records VALIDATE CONSTRAINT billing_invoice_number_safe`.
--
-- 2. Whose email has an account. POST /v1/users answered 409 email-taken for an address of a user
--    of another tenant, or of staff, which a FacilityAdmin's row-level policies do not let it
--    see: one request told whether anybody anywhere had an account. The API now needs to know
--    that an address is taken without the caller seeing by whom, to answer as if the account were
--    created (docs/security/threat-model.md). user_email_registered() answers that one yes/no,
--    for the roles that create users, and nothing else about the user.

-- ---- 1. invoice numbers ----------------------------------------------------------------------------
ALTER TABLE billing_records ADD CONSTRAINT billing_invoice_number_safe
  CHECK (invoice_number ~ '^[A-Za-z0-9]+([ ._/-][A-Za-z0-9]+)*$') NOT VALID;

DO $$
BEGIN
  ALTER TABLE billing_records VALIDATE CONSTRAINT billing_invoice_number_safe;
EXCEPTION WHEN check_violation THEN
  RAISE WARNING 'billing_invoice_number_safe stays NOT VALID: some stored invoice numbers break it (see schema/0021)';
END
$$;

-- ---- 2. is an email address taken, by anyone? -------------------------------------------------------
CREATE FUNCTION user_email_registered(p_email text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT app_ctx_role() IN ('Dispatcher', 'FacilityAdmin')
     AND EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(p_email))
$$;

-- The address column only, and only while a role that creates users is acting.
GRANT SELECT (email) ON users TO nemt_definer;
-- In the CASE form of schema/0014, so the condition stays out of the planner's row estimates.
CREATE POLICY definer_email_lookup ON users FOR SELECT TO nemt_definer
  USING (CASE WHEN app_ctx_role() IN ('Dispatcher', 'FacilityAdmin') THEN true ELSE false END);

ALTER FUNCTION user_email_registered(text) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION user_email_registered(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_email_registered(text) TO nemt_api;
