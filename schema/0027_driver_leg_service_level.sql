-- What a leg's trip needs of the vehicle (its level of service: mobility, oxygen, companions), for
-- the driver who carries it. Drivers may not read trip requests (they hold clinical notes), so, as
-- leg_en_route_notice does for the reference code, this answers exactly that and only for a leg
-- the caller may act on: any leg for a Dispatcher, the caller's own assigned leg for a Driver.
-- NULL means: not yours to know. The level of service is fixed once a trip is scheduled (0022), so
-- it is the leg's as much as the trip's.
CREATE FUNCTION leg_service_level(p_leg_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT jsonb_build_object('mobility', t.mobility, 'oxygen', t.oxygen, 'companions', t.companions)
    FROM trip_legs l
    JOIN trip_requests t ON t.facility_id = l.facility_id AND t.id = l.trip_request_id
   WHERE l.id = p_leg_id
     AND (app_ctx_role() = 'Dispatcher' OR (app_ctx_role() = 'Driver' AND l.driver_id = app_ctx_sub()))
$$;

ALTER FUNCTION leg_service_level(uuid) OWNER TO nemt_definer;
REVOKE ALL ON FUNCTION leg_service_level(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION leg_service_level(uuid) TO nemt_api;
