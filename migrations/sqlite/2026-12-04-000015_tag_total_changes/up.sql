-- Additions to tag_totals not yet folded into them: PostgreSQL's creates append here instead of
-- locking their owner's totals (see its migration). SQLite writes one transaction at a time and
-- adjusts tag_totals directly, so this table stays empty; tag clouds read it on both backends.
CREATE TABLE tag_total_changes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    bookmarks INTEGER NOT NULL
);
CREATE INDEX tag_total_changes_by_user ON tag_total_changes (user_id);
