-- Row-level security and the planner's row estimates (docs/performance.md, P2-P4).
--
-- The planner cannot know the transaction's app.* settings, so it estimates each comparison
-- with app_ctx_role() as matching 0.5% of rows, and the OR of a table's policies as about 1%.
-- With the explicit tenant predicate on top, it then believes only one row in a hundred of the
-- tenant's rows is visible, and that walking the (facility_id, created_at DESC, id DESC) index
-- until a page of 51 is found would read half the tenant; so it reads the whole tenant through a
-- bitmap scan and sorts it instead (measured: 30 ms for a 10,000-row tenant instead of 0.3 ms, and
-- growing with the tenant). Each policy's condition is therefore wrapped in a CASE, which the
-- planner estimates as a plain boolean (half of the rows) while Postgres evaluates exactly the
-- same condition: CASE WHEN NULL yields false, as a NULL policy result already meant. Index use
-- comes from the queries' explicit predicates (every tenant query carries one; see
-- docs/architecture.md), never from the policies.
--
-- Policies added by later migrations must use the same form; test/db/query-plans.test.ts checks.
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT pol.polname, c.relname, pg_get_expr(pol.polqual, pol.polrelid) AS qual
      FROM pg_policy pol
      JOIN pg_class c ON c.oid = pol.polrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND pol.polqual IS NOT NULL
       AND pg_get_expr(pol.polqual, pol.polrelid) <> 'true'
       AND btrim(regexp_replace(pg_get_expr(pol.polqual, pol.polrelid), '\s+', ' ', 'g')) NOT LIKE 'CASE WHEN %'
  LOOP
    EXECUTE format('ALTER POLICY %I ON %I USING (CASE WHEN %s THEN true ELSE false END)', p.polname, p.relname, p.qual);
  END LOOP;
END
$$;
