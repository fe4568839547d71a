-- PostgreSQL reads a user's change generation from the transactions that wrote their events
-- too (see its migration); SQLite commits one write at a time, in id order, and reads the
-- newest event id alone. Nothing changes here; the migration keeps both backends' lists alike.
SELECT 1;
