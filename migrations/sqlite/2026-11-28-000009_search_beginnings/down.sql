-- PostgreSQL only: its search documents gain the words' beginnings, which SQLite's index has
-- held since 000008.
SELECT 1;
