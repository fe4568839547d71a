DROP INDEX domain_events_in_transaction_order;
ALTER TABLE domain_events DROP COLUMN xact_id;
