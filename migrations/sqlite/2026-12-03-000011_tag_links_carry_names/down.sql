ALTER TABLE bookmark_tags DROP COLUMN tag_name;
