ALTER TABLE bookmarks DROP COLUMN tag_names;
