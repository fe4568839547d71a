-- Back to the links of 000010, without their tags' names.
CREATE TABLE bookmark_tags_clustered (
    bookmark_id BIGINT NOT NULL REFERENCES bookmarks(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id BIGINT NOT NULL,
    bookmark_created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (bookmark_id, tag_id)
) WITHOUT ROWID;

INSERT INTO bookmark_tags_clustered (bookmark_id, tag_id, position, user_id, bookmark_created_at)
SELECT bookmark_id, tag_id, position, user_id, bookmark_created_at FROM bookmark_tags
ORDER BY bookmark_id, tag_id;

DROP TABLE bookmark_tags;
ALTER TABLE bookmark_tags_clustered RENAME TO bookmark_tags;

-- One user's bookmarks with a tag, and everyone's, each newest first (as in 000007).
CREATE INDEX bookmark_tags_user_listing ON bookmark_tags (tag_id, user_id, bookmark_created_at, bookmark_id);
CREATE INDEX bookmark_tags_listing ON bookmark_tags (tag_id, bookmark_created_at, bookmark_id);

ANALYZE bookmark_tags;
