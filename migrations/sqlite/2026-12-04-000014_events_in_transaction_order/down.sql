-- The delivery worker's cursor goes back to an event id alone, as the code before this
-- migration keeps it (on SQLite its transaction is always 0).
UPDATE instance_settings SET value = substr(value, instr(value, ':') + 1)
 WHERE name = 'federation.event_cursor' AND instr(value, ':') > 0;
ALTER TABLE domain_events DROP COLUMN xact_id;
