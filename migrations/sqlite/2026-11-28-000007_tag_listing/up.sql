-- A page of a tag, newest first, read straight off an index: every tag link carries its
-- bookmark's owner and creation time (copies the store writes in the same statements as the
-- bookmark's), so the tag's bookmarks come out of the index already in listing order and a page
-- reads one page's worth of them, however many bookmarks carry the tag.
ALTER TABLE bookmark_tags ADD COLUMN user_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bookmark_tags ADD COLUMN bookmark_created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';

UPDATE bookmark_tags
SET (user_id, bookmark_created_at) =
    (SELECT b.user_id, b.created_at FROM bookmarks b WHERE b.id = bookmark_tags.bookmark_id);

DROP INDEX bookmark_tags_tag;
-- One user's bookmarks with a tag, and everyone's, each newest first.
CREATE INDEX bookmark_tags_user_listing ON bookmark_tags (tag_id, user_id, bookmark_created_at, bookmark_id);
CREATE INDEX bookmark_tags_listing ON bookmark_tags (tag_id, bookmark_created_at, bookmark_id);
