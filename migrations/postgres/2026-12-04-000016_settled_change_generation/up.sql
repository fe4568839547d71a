-- A user's change generation (store::ChangeGeneration, which tag clouds are cached by) is read
-- from the transactions that wrote their events (the newest, and the newest of those that have
-- all ended) rather than the newest event id: ids are taken at insert, and two writes of one
-- user committing out of order left a cached cloud without the first one's change. The index
-- by user and id served only that reading; this one serves the new one (and deleting a user).
CREATE INDEX domain_events_by_user_in_transaction_order ON domain_events (user_id, xact_id);
DROP INDEX domain_events_user_id;
