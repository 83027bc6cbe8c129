-- Since schema/0025 the materialiser may read every scheduled or in-progress trip of its tenant
-- (the evening reminders are for all trips). Its leg policies of 0024 only asked that the leg's
-- trip be visible, so they grew with that read: the materialiser could have added legs to, or
-- moved the status of legs of, a tenant's ordinary trips. Writing legs is for series trips only.
ALTER POLICY materialiser_series_legs_insert ON trip_legs
  WITH CHECK (facility_id = app_ctx_facility() AND status = 'unassigned' AND driver_id IS NULL AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id
       AND t.standing_order_id IS NOT NULL));
ALTER POLICY materialiser_series_legs_update ON trip_legs
  USING (CASE WHEN facility_id = app_ctx_facility() AND EXISTS (
    SELECT 1 FROM trip_requests t WHERE t.facility_id = trip_legs.facility_id AND t.id = trip_legs.trip_request_id
       AND t.standing_order_id IS NOT NULL)
    THEN true ELSE false END)
  WITH CHECK (facility_id = app_ctx_facility());
