-- SQLite only: its tag links become a table without a rowid. PostgreSQL's tables are heaps
-- with no such second copy of the rows.
SELECT 1;
