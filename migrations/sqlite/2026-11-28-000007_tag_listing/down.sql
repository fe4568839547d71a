DROP INDEX bookmark_tags_listing;
DROP INDEX bookmark_tags_user_listing;
CREATE INDEX bookmark_tags_tag ON bookmark_tags (tag_id, bookmark_id);
ALTER TABLE bookmark_tags DROP COLUMN bookmark_created_at;
ALTER TABLE bookmark_tags DROP COLUMN user_id;
