-- Nothing was done here on SQLite.
SELECT 1;
