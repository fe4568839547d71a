-- PostgreSQL records the transaction that wrote each event (see its migration); SQLite commits
-- one write at a time, in id order, so the column stays 0 and the log is read by id.
ALTER TABLE domain_events ADD COLUMN xact_id BIGINT NOT NULL DEFAULT 0;
