-- Additions to tag_totals not yet folded into them: one row per new bookmark, with its tags' ids.
-- A new bookmark on PostgreSQL appends here instead of adding to its owner's totals: an upsert
-- of a total locks its row until the transaction's commit is on disk, so every save of one user
-- with the same tag waited for the previous one's flush. An appended row locks nothing others
-- want. The create statement folds its owner's rows into tag_totals now and then
-- (store::postgres_create), and tag clouds add the rows still here (store::tag_totals). No key
-- and no reference to tags (never deleted), so that a create writes one heap row and one index
-- entry here; the fold deletes by ctid (rows are never updated). SQLite adjusts tag_totals
-- directly and has no such table.
CREATE TABLE tag_total_changes (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    tag_ids BIGINT[] NOT NULL
);
CREATE INDEX tag_total_changes_by_user ON tag_total_changes (user_id);
