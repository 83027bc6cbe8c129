-- Login users, one per application role. They carry no password here: in AWS they authenticate
-- with IAM tokens through RDS Proxy (rds_iam); locally the harness or local stack gives them a
-- development password. Each inherits exactly one application role.
DO $$
DECLARE
  pair text[];
BEGIN
  FOREACH pair SLICE 1 IN ARRAY ARRAY[
    ARRAY['nemt_api_user', 'nemt_api'],
    ARRAY['nemt_intake_user', 'nemt_intake'],
    ARRAY['nemt_notifier_user', 'nemt_notifier'],
    ARRAY['nemt_auditor_user', 'nemt_auditor']] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = pair[1]) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT', pair[1]);
    END IF;
    EXECUTE format('GRANT %I TO %I', pair[2], pair[1]);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
      EXECUTE format('GRANT rds_iam TO %I', pair[1]);
    END IF;
  END LOOP;
END
$$;
