-- Additions to tag_totals not yet folded into them. A new bookmark on PostgreSQL appends a row
-- here per tag instead of adding to its owner's totals: an upsert of a total locks its row until
-- the transaction's commit is on disk, so every save of one user with the same tag waited for
-- the previous one's flush. Appended rows lock nothing others want. The create statement folds
-- its owner's rows into tag_totals now and then (store::postgres_create), and tag clouds add
-- the rows still here to the totals (store::tag_totals).
CREATE TABLE tag_total_changes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    bookmarks BIGINT NOT NULL
);
CREATE INDEX tag_total_changes_by_user ON tag_total_changes (user_id);
