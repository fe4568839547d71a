-- PostgreSQL's creates append their additions to tag_totals here instead of locking the totals
-- (see its migration). SQLite writes one transaction at a time and adjusts tag_totals directly,
-- so this table only keeps the two backends' schemas alike and stays empty; nothing reads it.
CREATE TABLE tag_total_changes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    tag_ids TEXT NOT NULL
);
