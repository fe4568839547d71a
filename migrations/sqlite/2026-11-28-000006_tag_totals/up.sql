-- How many of a user's bookmarks carry each tag, per visibility: tag clouds read these few rows
-- instead of counting every bookmark. The store adjusts them in the transaction of every change.
CREATE TABLE tag_totals (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    bookmarks INTEGER NOT NULL,
    PRIMARY KEY (user_id, tag_id, visibility)
);

INSERT INTO tag_totals (user_id, tag_id, visibility, bookmarks)
SELECT b.user_id, bt.tag_id, b.visibility, COUNT(*)
FROM bookmark_tags bt JOIN bookmarks b ON b.id = bt.bookmark_id
GROUP BY b.user_id, bt.tag_id, b.visibility;
