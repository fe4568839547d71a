-- A page of a tag, newest first, read straight off an index: every tag link carries its
-- bookmark's owner and creation time (copies the store writes in the same statements as the
-- bookmark's), so the tag's bookmarks come out of the index already in listing order and a page
-- reads one page's worth of them, however many bookmarks carry the tag.
ALTER TABLE bookmark_tags ADD COLUMN user_id BIGINT, ADD COLUMN bookmark_created_at TIMESTAMP;

UPDATE bookmark_tags bt
SET user_id = b.user_id, bookmark_created_at = b.created_at
FROM bookmarks b
WHERE b.id = bt.bookmark_id;

ALTER TABLE bookmark_tags
    ALTER COLUMN user_id SET NOT NULL,
    ALTER COLUMN bookmark_created_at SET NOT NULL;

DROP INDEX bookmark_tags_tag;
-- One user's bookmarks with a tag, and everyone's, each newest first.
CREATE INDEX bookmark_tags_user_listing ON bookmark_tags (tag_id, user_id, bookmark_created_at, bookmark_id);
CREATE INDEX bookmark_tags_listing ON bookmark_tags (tag_id, bookmark_created_at, bookmark_id);
