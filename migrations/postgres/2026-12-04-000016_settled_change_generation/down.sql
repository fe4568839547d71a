CREATE INDEX domain_events_user_id ON domain_events (user_id, id);
DROP INDEX domain_events_by_user_in_transaction_order;
