-- PostgreSQL reads a user's change generation from the transactions that wrote their events
-- (see its migration); SQLite commits one write at a time, in id order, and keeps reading the
-- newest event id. Nothing changes here; the migration keeps both backends' lists alike.
SELECT 1;
