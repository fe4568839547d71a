CREATE TABLE bookmark_tags_with_rowid (
    bookmark_id BIGINT NOT NULL REFERENCES bookmarks(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id BIGINT NOT NULL DEFAULT 0,
    bookmark_created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00',
    PRIMARY KEY (bookmark_id, tag_id)
);

INSERT INTO bookmark_tags_with_rowid (bookmark_id, tag_id, position, user_id, bookmark_created_at)
SELECT bookmark_id, tag_id, position, user_id, bookmark_created_at FROM bookmark_tags;

DROP TABLE bookmark_tags;
ALTER TABLE bookmark_tags_with_rowid RENAME TO bookmark_tags;

CREATE INDEX bookmark_tags_user_listing ON bookmark_tags (tag_id, user_id, bookmark_created_at, bookmark_id);
CREATE INDEX bookmark_tags_listing ON bookmark_tags (tag_id, bookmark_created_at, bookmark_id);
