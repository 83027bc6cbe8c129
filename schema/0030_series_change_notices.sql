-- Series change notices (PRODUCT.md §6, §10): the rider hears once when their standing order is
-- paused, resumed or ended, never once per ride. The API writes them in the transaction of the
-- change, like series_confirmed; the constraint is replaced as schema/0025 did, every earlier value kept.

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_type_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_type_check
  CHECK (event_type IN ('request_received', 'trip_scheduled', 'cancellation_approved', 'cancellation_denied',
    'request_rejected', 'driver_en_route', 'series_confirmed', 'ride_reminder',
    'series_paused', 'series_resumed', 'series_ended'));
