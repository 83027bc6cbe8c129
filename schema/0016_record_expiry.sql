-- Retention (docs/security/retention.md). An Idempotency-Key answers retries for 7 days: a retry
-- after a week is not a retry. A notification outbox row whose delivery has ended (sent, skipped,
-- failed) is kept 13 months for the rider's export and for disputes, then goes; a pending row is
-- never expired (the relay still owes its delivery).
--
-- expire_records() deletes what is past those ages, at most p_limit rows of each per call, and
-- records one provider-level audit event with the counts. It is the only DELETE any application
-- role holds: nemt_definer owns the function, and its delete policies reach expired rows only, so
-- not even a mistake in the function can remove a live one. The relay (nemt_notifier) calls it at
-- the end of every sweep.

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);
CREATE INDEX notification_outbox_expiry ON notification_outbox (created_at) WHERE status <> 'pending';

GRANT SELECT (actor_sub, idempotency_key, created_at), DELETE ON idempotency_keys TO nemt_definer;
GRANT SELECT (id, status, created_at), DELETE ON notification_outbox TO nemt_definer;

CREATE POLICY definer_expire_read ON idempotency_keys FOR SELECT TO nemt_definer
  USING (CASE WHEN created_at < now() - interval '7 days' THEN true ELSE false END);
CREATE POLICY definer_expire ON idempotency_keys FOR DELETE TO nemt_definer
  USING (CASE WHEN created_at < now() - interval '7 days' THEN true ELSE false END);
CREATE POLICY definer_expire_read ON notification_outbox FOR SELECT TO nemt_definer
  USING (CASE WHEN status <> 'pending' AND created_at < now() - interval '13 months' THEN true ELSE false END);
CREATE POLICY definer_expire ON notification_outbox FOR DELETE TO nemt_definer
  USING (CASE WHEN status <> 'pending' AND created_at < now() - interval '13 months' THEN true ELSE false END);

CREATE FUNCTION expire_records(p_limit integer DEFAULT 1000)
RETURNS TABLE (idempotency_keys integer, outbox_rows integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  keys_deleted integer;
  outbox_deleted integer;
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
  IF keys_deleted + outbox_deleted > 0 THEN
    INSERT INTO audit_events (facility_id, actor_role, entity_type, entity_id, action, details)
      VALUES (NULL, 'System', 'retention', gen_random_uuid(), 'records.expired',
              jsonb_build_object('idempotencyKeys', keys_deleted, 'outboxRows', outbox_deleted));
  END IF;
  RETURN QUERY SELECT keys_deleted, outbox_deleted;
END
$$;
ALTER FUNCTION expire_records(integer) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION expire_records(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION expire_records(integer) TO nemt_notifier;
