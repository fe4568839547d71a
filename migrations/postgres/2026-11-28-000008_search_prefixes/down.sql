-- SQLite only: its full-text index gains prefix indexes in this migration. PostgreSQL's GIN
-- index answers a prefix from its ordered list of words, so nothing changes here.
SELECT 1;
