-- A user's change generation (store::ChangeGeneration, which tag clouds are cached by) is read
-- from their newest event id and, since ids are taken at insert and two writes of one user can
-- commit out of order, from the newest transaction that wrote one of their events among those
-- that have all ended. This index serves the second reading.
CREATE INDEX domain_events_by_user_in_transaction_order ON domain_events (user_id, xact_id);
