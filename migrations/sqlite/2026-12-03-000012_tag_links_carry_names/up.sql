-- (Version 000011 was an earlier form of this migration, in commit 172c8fd, replaced before
-- it was released; on SQLite it changed nothing.)
--
-- Each tag link carries its tag's name (a tag's name never changes: renaming a tag on
-- bookmarks links them to another tag), so a page's tags are read from the links alone,
-- without looking each tag's name up: the tag links are a table without a rowid (000010),
-- stored in key order with every column. The table is rebuilt rather than altered so that the
-- name has no default: a link written without one (by an older build, say) is refused rather
-- than stored with an empty name.
CREATE TABLE bookmark_tags_named (
    bookmark_id BIGINT NOT NULL REFERENCES bookmarks(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id BIGINT NOT NULL,
    bookmark_created_at TIMESTAMP NOT NULL,
    tag_name TEXT NOT NULL,
    PRIMARY KEY (bookmark_id, tag_id)
) WITHOUT ROWID;

INSERT INTO bookmark_tags_named
    (bookmark_id, tag_id, position, user_id, bookmark_created_at, tag_name)
SELECT bookmark_tags.bookmark_id, bookmark_tags.tag_id, bookmark_tags.position,
       bookmark_tags.user_id, bookmark_tags.bookmark_created_at, tags.name
FROM bookmark_tags JOIN tags ON tags.id = bookmark_tags.tag_id
ORDER BY bookmark_tags.bookmark_id, bookmark_tags.tag_id;

DROP TABLE bookmark_tags;
ALTER TABLE bookmark_tags_named RENAME TO bookmark_tags;

-- One user's bookmarks with a tag, and everyone's, each newest first (as in 000007).
CREATE INDEX bookmark_tags_user_listing ON bookmark_tags (tag_id, user_id, bookmark_created_at, bookmark_id);
CREATE INDEX bookmark_tags_listing ON bookmark_tags (tag_id, bookmark_created_at, bookmark_id);

ANALYZE bookmark_tags;
