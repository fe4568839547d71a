-- Restores an index on PostgreSQL that a first version of migration 000016 dropped there (see
-- its migration); nothing to do on SQLite. The migration keeps both backends' lists alike.
SELECT 1;
