-- Each tag link carries its tag's name (a tag's name never changes: renaming a tag on
-- bookmarks links them to another tag), so a page's tags are read from the links alone,
-- without looking each tag's name up: the tag links are a table without a rowid (000010),
-- stored in key order with every column.
ALTER TABLE bookmark_tags ADD COLUMN tag_name TEXT NOT NULL DEFAULT '';
UPDATE bookmark_tags SET tag_name = (SELECT name FROM tags WHERE tags.id = bookmark_tags.tag_id);
