-- Audit trail, notification outbox and idempotency keys.

-- Provider-level events (staff users, facility creation) have no tenant; they chain under the nil
-- UUID. Tenant events chain per facility, so tenants never contend for one lock.
CREATE TABLE audit_chain_heads (
  chain_key uuid PRIMARY KEY,
  last_seq bigint NOT NULL,
  last_hash text NOT NULL
);

CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain_key uuid NOT NULL,
  seq bigint NOT NULL,
  facility_id uuid REFERENCES facilities (id),
  trip_request_id uuid,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor_sub uuid,
  actor_role text NOT NULL CHECK (actor_role IN
    ('Dispatcher', 'Driver', 'Billing', 'FacilityAdmin', 'FacilityUser', 'Public', 'System')),
  entity_type text NOT NULL CHECK (length(entity_type) BETWEEN 1 AND 64),
  entity_id uuid NOT NULL,
  action text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
  from_state text,
  to_state text,
  request_id text CHECK (length(request_id) <= 128),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  UNIQUE (chain_key, seq),
  FOREIGN KEY (facility_id, trip_request_id) REFERENCES trip_requests (facility_id, id),
  -- A NULL facility would let the composite key above go unchecked.
  CONSTRAINT audit_events_trip_has_tenant CHECK (trip_request_id IS NULL OR facility_id IS NOT NULL)
);
CREATE INDEX audit_events_facility_trip ON audit_events (facility_id, trip_request_id, seq)
  WHERE trip_request_id IS NOT NULL;
CREATE INDEX audit_events_facility_entity ON audit_events (facility_id, entity_id, seq);

-- The canonical encoding that each hash covers: every recorded field except the surrogate id,
-- in a fixed order, timestamps in UTC with microseconds. jsonb's text form is deterministic.
CREATE FUNCTION audit_canonical(e audit_events) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(
    e.chain_key, e.seq, e.facility_id, e.trip_request_id,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.actor_sub, e.actor_role, e.entity_type, e.entity_id, e.action, e.from_state, e.to_state,
    e.request_id, e.details
  )::text
$$;

-- Chains each new event to its predecessor. The head row is locked until the inserting
-- transaction ends, so concurrent writers on one tenant take turns and the chain stays linear;
-- a rolled-back insert rolls the head back with it.
CREATE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  head audit_chain_heads;
BEGIN
  NEW.chain_key := coalesce(NEW.facility_id, '00000000-0000-0000-0000-000000000000'::uuid);
  NEW.occurred_at := now();
  NEW.request_id := coalesce(NEW.request_id, app_ctx_request_id());
  INSERT INTO audit_chain_heads (chain_key, last_seq, last_hash)
    VALUES (NEW.chain_key, 0, repeat('0', 64)) ON CONFLICT (chain_key) DO NOTHING;
  SELECT * INTO STRICT head FROM audit_chain_heads WHERE chain_key = NEW.chain_key FOR UPDATE;
  NEW.seq := head.last_seq + 1;
  NEW.prev_hash := head.last_hash;
  NEW.hash := encode(sha256(convert_to(NEW.prev_hash || '|' || audit_canonical(NEW), 'UTF8')), 'hex');
  UPDATE audit_chain_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain_key = NEW.chain_key;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain_append();

CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();

-- Transactional outbox: written in the same transaction as the state change it announces.
-- payload holds only the template's allow-listed, receipt-level fields.
CREATE TABLE notification_outbox (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  rider_id uuid NOT NULL,
  trip_request_id uuid,
  event_type text NOT NULL CHECK (event_type IN ('request_received', 'trip_scheduled', 'cancellation_approved',
    'cancellation_denied', 'request_rejected', 'driver_en_route')),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
  dispatched_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  channel text CHECK (channel IN ('sms', 'email')),
  provider_message_id text CHECK (length(provider_message_id) <= 200),
  outcome_reason text CHECK (length(outcome_reason) <= 200),
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id),
  FOREIGN KEY (facility_id, rider_id) REFERENCES riders (facility_id, id),
  FOREIGN KEY (facility_id, trip_request_id) REFERENCES trip_requests (facility_id, id)
);
CREATE INDEX notification_outbox_unsent ON notification_outbox (created_at, id) WHERE status = 'pending';
CREATE INDEX notification_outbox_facility_rider ON notification_outbox (facility_id, rider_id, created_at);
CREATE TRIGGER notification_outbox_touch BEFORE UPDATE ON notification_outbox FOR EACH ROW EXECUTE FUNCTION touch_row();

-- Idempotency-Key records: scoped to the caller, written in the same transaction as what the
-- request created, so a replay returns the first response and a crash leaves neither.
CREATE TABLE idempotency_keys (
  actor_sub uuid NOT NULL,
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  facility_id uuid REFERENCES facilities (id),
  route_id text NOT NULL,
  request_hash text NOT NULL,
  response_status integer NOT NULL,
  response_body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (actor_sub, idempotency_key)
);
CREATE INDEX idempotency_keys_facility ON idempotency_keys (facility_id, created_at) WHERE facility_id IS NOT NULL;
