-- The transaction that wrote each event, so that federation reads the log in an order that
-- transactions still running cannot add to behind it (see store::events). Event ids are taken
-- when a row is inserted, not when it commits: reading by id alone skipped an event whose
-- transaction committed after a later one's. Events written before this migration count as
-- transaction 0, so the reader's cursor (an event id until now) carries on where it was.
ALTER TABLE domain_events ADD COLUMN xact_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE domain_events ALTER COLUMN xact_id SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX domain_events_in_transaction_order ON domain_events (xact_id, id);
