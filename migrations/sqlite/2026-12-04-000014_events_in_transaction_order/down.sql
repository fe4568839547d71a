ALTER TABLE domain_events DROP COLUMN xact_id;
