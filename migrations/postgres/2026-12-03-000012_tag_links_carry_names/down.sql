ALTER TABLE bookmark_tags DROP CONSTRAINT bookmark_tags_pkey;
ALTER TABLE bookmark_tags ADD CONSTRAINT bookmark_tags_pkey PRIMARY KEY (bookmark_id, tag_id);
ALTER TABLE bookmark_tags DROP COLUMN tag_name;
