-- PostgreSQL only: its tag links' primary key index gains their positions. SQLite's tag links
-- are a table without a rowid (000010), stored in that key's order with every column.
SELECT 1;
