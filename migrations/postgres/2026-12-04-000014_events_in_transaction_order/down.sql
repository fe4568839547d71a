-- The delivery worker's cursor goes back to an event id alone, as the code before this
-- migration keeps it. Unread events with a lower id than the cursor's (a later transaction's)
-- are then passed over by the older code, as they were before this migration.
UPDATE instance_settings SET value = split_part(value, ':', 2)
 WHERE name = 'federation.event_cursor' AND value LIKE '%:%';
DROP INDEX domain_events_in_transaction_order;
ALTER TABLE domain_events DROP COLUMN xact_id;
