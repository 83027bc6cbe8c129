-- "Our trips" for one day (GET /v1/trip-requests?appointmentDate=): a facility's trips by their
-- appointment time, so a scheduler's day is a range scan inside the tenant, not a walk of its history.
CREATE INDEX trip_requests_facility_appointment ON trip_requests (facility_id, appointment_at, id);
