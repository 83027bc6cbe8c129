-- "Driver en route" notifications (PRODUCT.md §6, optional per tenant). The driver who records
-- en route may read neither the trip request (it holds clinical notes) nor the facility, yet the
-- notification needs the tenant's opt-in and the trip's reference code. This function answers
-- exactly that, and only for a leg that is en route and that the caller may act on: any leg for
-- a Dispatcher, the caller's own assigned leg for a Driver. No row means: do not notify.
CREATE FUNCTION leg_en_route_notice(p_leg_id uuid)
RETURNS TABLE (facility_id uuid, rider_id uuid, trip_request_id uuid, reference_code text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT l.facility_id, l.rider_id, l.trip_request_id, t.reference_code
    FROM trip_legs l
    JOIN trip_requests t ON t.facility_id = l.facility_id AND t.id = l.trip_request_id
    JOIN facilities f ON f.id = l.facility_id
   WHERE l.id = p_leg_id
     AND l.status = 'en_route'
     AND f.notify_driver_en_route
     AND (app_ctx_role() = 'Dispatcher' OR (app_ctx_role() = 'Driver' AND l.driver_id = app_ctx_sub()))
$$;

-- nemt_definer reads facilities only for the intake otherwise; this lets the function above see
-- the opt-in flag while a dispatcher or driver is acting (the function itself narrows to one leg).
CREATE POLICY definer_en_route_read ON facilities FOR SELECT TO nemt_definer
  USING (app_ctx_role() IN ('Dispatcher', 'Driver'));

ALTER FUNCTION leg_en_route_notice(uuid) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION leg_en_route_notice(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION leg_en_route_notice(uuid) TO nemt_api;
