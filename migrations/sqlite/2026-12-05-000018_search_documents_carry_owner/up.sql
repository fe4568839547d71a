-- PostgreSQL only: its search documents gain their owner, which SQLite's index has held as a
-- word of each document since 000008. The migration keeps both backends' lists alike.
SELECT 1;
