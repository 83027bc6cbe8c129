-- Tenants, people and the trip lifecycle. Every tenant-owned table carries facility_id NOT NULL
-- with a foreign key, and children reference parents through (facility_id, id) so a row can never
-- point at another tenant's row. Indexes that serve tenant queries lead with facility_id.

CREATE TABLE facilities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('facility', 'individual')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  notify_driver_en_route boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX facilities_kind_name ON facilities (kind, name, id);

CREATE TABLE contacts (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text CHECK (length(email) <= 254),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id)
);

-- users.id is the Cognito `sub`. Staff have no tenant; facility roles always have one.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('Dispatcher', 'Driver', 'Billing', 'FacilityAdmin', 'FacilityUser')),
  facility_id uuid REFERENCES facilities (id),
  contact_id uuid,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  CONSTRAINT users_tenant_matches_role CHECK (
    (role IN ('Dispatcher', 'Driver', 'Billing') AND facility_id IS NULL AND contact_id IS NULL)
    OR (role IN ('FacilityAdmin', 'FacilityUser') AND facility_id IS NOT NULL)
  ),
  FOREIGN KEY (facility_id, contact_id) REFERENCES contacts (facility_id, id)
);
CREATE INDEX users_facility ON users (facility_id, id) WHERE facility_id IS NOT NULL;
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE riders (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text CHECK (length(email) <= 254),
  date_of_birth date,
  home_address text CHECK (length(home_address) <= 500),
  care_notes text CHECK (length(care_notes) <= 2000),
  mobility text NOT NULL DEFAULT 'ambulatory' CHECK (mobility IN ('ambulatory', 'wheelchair', 'stretcher')),
  notify_channel text NOT NULL DEFAULT 'sms' CHECK (notify_channel IN ('sms', 'email', 'none')),
  notify_consent boolean NOT NULL DEFAULT false,
  sms_opted_out boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id)
);
CREATE INDEX riders_facility_list ON riders (facility_id, created_at DESC, id DESC);
CREATE INDEX riders_phone ON riders (phone, facility_id) WHERE phone IS NOT NULL;

-- Receipt codes: 10 symbols from an unambiguous alphabet, drawn from gen_random_uuid()'s CSPRNG
-- bytes (not random()), so they are unguessable enough for a receipt and collide ~never.
CREATE FUNCTION new_reference_code() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT string_agg(substr('23456789ABCDEFGHJKMNPQRSTVWXYZ', 1 + get_byte(b, i) % 30, 1), '' ORDER BY i)
  FROM (SELECT uuid_send(gen_random_uuid()) AS b) AS r, generate_series(0, 4) AS i
$$;
CREATE FUNCTION new_receipt_code() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT new_reference_code() || '-' || new_reference_code()
$$;

CREATE TABLE trip_requests (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  reference_code text NOT NULL UNIQUE DEFAULT new_receipt_code(),
  rider_id uuid NOT NULL,
  source text NOT NULL CHECK (source IN ('facility', 'dispatcher', 'intake')),
  submitted_by uuid REFERENCES users (id),
  contact_id uuid,
  status text NOT NULL DEFAULT 'requested'
    CHECK (status IN ('requested', 'scheduled', 'in_progress', 'completed', 'rejected', 'cancelled')),
  pickup_address text NOT NULL CHECK (length(pickup_address) BETWEEN 1 AND 500),
  dropoff_address text NOT NULL CHECK (length(dropoff_address) BETWEEN 1 AND 500),
  appointment_at timestamptz NOT NULL,
  requested_pickup_at timestamptz,
  return_trip text NOT NULL DEFAULT 'none' CHECK (return_trip IN ('none', 'scheduled', 'will_call')),
  requested_return_at timestamptz,
  mobility text NOT NULL DEFAULT 'ambulatory' CHECK (mobility IN ('ambulatory', 'wheelchair', 'stretcher')),
  clinical_notes text CHECK (length(clinical_notes) <= 2000),
  rejection_reason text CHECK (length(rejection_reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id),
  -- Lets legs reference (trip, rider) together, so a leg's rider is always its trip's rider.
  UNIQUE (facility_id, id, rider_id),
  FOREIGN KEY (facility_id, rider_id) REFERENCES riders (facility_id, id),
  FOREIGN KEY (facility_id, contact_id) REFERENCES contacts (facility_id, id),
  CONSTRAINT trip_requests_rejection_has_reason CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL),
  CONSTRAINT trip_requests_intake_has_no_submitter CHECK ((source = 'intake') = (submitted_by IS NULL))
);
-- Keyset pages: newest first, per tenant and (for staff) across tenants.
CREATE INDEX trip_requests_facility_list ON trip_requests (facility_id, created_at DESC, id DESC);
CREATE INDEX trip_requests_facility_status_list ON trip_requests (facility_id, status, created_at DESC, id DESC);
CREATE INDEX trip_requests_list ON trip_requests (created_at DESC, id DESC);
CREATE INDEX trip_requests_status_list ON trip_requests (status, created_at DESC, id DESC);
CREATE INDEX trip_requests_facility_submitter ON trip_requests (facility_id, submitted_by, created_at DESC, id DESC);
CREATE INDEX trip_requests_facility_contact ON trip_requests (facility_id, contact_id, created_at DESC, id DESC)
  WHERE contact_id IS NOT NULL;
CREATE INDEX trip_requests_rider ON trip_requests (facility_id, rider_id);

CREATE TABLE trip_legs (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  trip_request_id uuid NOT NULL,
  rider_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('outbound', 'return')),
  will_call boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'unassigned'
    CHECK (status IN ('unassigned', 'assigned', 'en_route', 'arrived', 'picked_up', 'completed', 'no_show', 'cancelled')),
  driver_id uuid REFERENCES users (id),
  pickup_address text NOT NULL CHECK (length(pickup_address) BETWEEN 1 AND 500),
  dropoff_address text NOT NULL CHECK (length(dropoff_address) BETWEEN 1 AND 500),
  scheduled_pickup_at timestamptz,
  scheduled_dropoff_at timestamptz,
  scheduled_window tstzrange GENERATED ALWAYS AS (tstzrange(scheduled_pickup_at, scheduled_dropoff_at, '[)')) STORED,
  actual_pickup_at timestamptz,
  actual_dropoff_at timestamptz,
  odometer_start numeric(9, 1),
  odometer_end numeric(9, 1),
  mileage numeric(9, 1) GENERATED ALWAYS AS (odometer_end - odometer_start) STORED,
  completion_notes text CHECK (length(completion_notes) <= 2000),
  no_show_reason text CHECK (length(no_show_reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id),
  UNIQUE (trip_request_id, kind),
  FOREIGN KEY (facility_id, trip_request_id, rider_id) REFERENCES trip_requests (facility_id, id, rider_id),
  FOREIGN KEY (facility_id, rider_id) REFERENCES riders (facility_id, id),
  CONSTRAINT trip_legs_times_paired CHECK ((scheduled_pickup_at IS NULL) = (scheduled_dropoff_at IS NULL)),
  CONSTRAINT trip_legs_times_ordered CHECK (scheduled_pickup_at < scheduled_dropoff_at),
  CONSTRAINT trip_legs_timed_unless_will_call CHECK (will_call OR scheduled_pickup_at IS NOT NULL),
  CONSTRAINT trip_legs_will_call_is_return CHECK (NOT will_call OR kind = 'return'),
  CONSTRAINT trip_legs_assigned_has_driver CHECK (
    (status = 'unassigned') = (driver_id IS NULL) OR status IN ('cancelled')
  ),
  CONSTRAINT trip_legs_actuals_ordered CHECK (actual_pickup_at < actual_dropoff_at),
  CONSTRAINT trip_legs_odometer_ordered CHECK (odometer_start < odometer_end),
  CONSTRAINT trip_legs_completion_complete CHECK (
    status <> 'completed' OR (actual_pickup_at IS NOT NULL AND actual_dropoff_at IS NOT NULL
      AND odometer_start IS NOT NULL AND odometer_end IS NOT NULL)
  ),
  CONSTRAINT trip_legs_no_show_has_reason CHECK (status <> 'no_show' OR no_show_reason IS NOT NULL),
  -- One driver can never hold two live legs whose windows overlap, whatever the code does.
  CONSTRAINT trip_legs_driver_no_overlap EXCLUDE USING gist (driver_id WITH =, scheduled_window WITH &&)
    WHERE (driver_id IS NOT NULL AND scheduled_pickup_at IS NOT NULL AND status <> 'cancelled')
);
CREATE INDEX trip_legs_facility_trip ON trip_legs (facility_id, trip_request_id);
CREATE INDEX trip_legs_facility_schedule ON trip_legs (facility_id, scheduled_pickup_at, id);
CREATE INDEX trip_legs_schedule ON trip_legs (scheduled_pickup_at, id);
CREATE INDEX trip_legs_driver_schedule ON trip_legs (driver_id, scheduled_pickup_at, id) WHERE driver_id IS NOT NULL;
CREATE INDEX trip_legs_rider ON trip_legs (facility_id, rider_id);

CREATE TABLE cancellation_requests (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  trip_request_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  reason_code text NOT NULL
    CHECK (reason_code IN ('booked_by_mistake', 'changed_plans', 'unable_to_make_trip', 'other')),
  reason_text text CHECK (length(reason_text) <= 500),
  requested_by uuid NOT NULL REFERENCES users (id),
  decided_by uuid REFERENCES users (id),
  decision_reason text CHECK (length(decision_reason) <= 500),
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id),
  FOREIGN KEY (facility_id, trip_request_id) REFERENCES trip_requests (facility_id, id),
  CONSTRAINT cancellation_other_has_text CHECK (reason_code <> 'other' OR reason_text IS NOT NULL),
  CONSTRAINT cancellation_denial_has_reason CHECK (status <> 'denied' OR decision_reason IS NOT NULL),
  CONSTRAINT cancellation_decision_recorded CHECK ((status = 'pending') = (decided_by IS NULL))
);
CREATE INDEX cancellation_requests_facility_trip ON cancellation_requests (facility_id, trip_request_id);
CREATE UNIQUE INDEX cancellation_requests_one_pending ON cancellation_requests (trip_request_id) WHERE status = 'pending';
CREATE INDEX cancellation_requests_pending ON cancellation_requests (created_at, id) WHERE status = 'pending';

CREATE TABLE billing_records (
  facility_id uuid NOT NULL REFERENCES facilities (id),
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  trip_leg_id uuid NOT NULL UNIQUE,
  trip_request_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'ready', 'invoiced', 'paid', 'denied', 'on_hold', 'written_off')),
  held_from text CHECK (held_from IN ('pending', 'ready', 'invoiced', 'denied')),
  leg_outcome text NOT NULL CHECK (leg_outcome IN ('completed', 'no_show')),
  mileage numeric(9, 1),
  amount_cents integer CHECK (amount_cents >= 0),
  invoice_number text CHECK (length(invoice_number) <= 64),
  note text CHECK (length(note) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (facility_id, id),
  FOREIGN KEY (facility_id, trip_leg_id) REFERENCES trip_legs (facility_id, id),
  FOREIGN KEY (facility_id, trip_request_id) REFERENCES trip_requests (facility_id, id),
  CONSTRAINT billing_hold_remembers_origin CHECK ((status = 'on_hold') = (held_from IS NOT NULL))
);
CREATE INDEX billing_records_facility_list ON billing_records (facility_id, status, created_at DESC, id DESC);
CREATE INDEX billing_records_list ON billing_records (status, created_at DESC, id DESC);
CREATE INDEX billing_records_created ON billing_records (created_at DESC, id DESC);

CREATE TRIGGER facilities_touch BEFORE UPDATE ON facilities FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER contacts_touch BEFORE UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER riders_touch BEFORE UPDATE ON riders FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER trip_requests_touch BEFORE UPDATE ON trip_requests FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER trip_legs_touch BEFORE UPDATE ON trip_legs FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER cancellation_requests_touch BEFORE UPDATE ON cancellation_requests FOR EACH ROW EXECUTE FUNCTION touch_row();
CREATE TRIGGER billing_records_touch BEFORE UPDATE ON billing_records FOR EACH ROW EXECUTE FUNCTION touch_row();
