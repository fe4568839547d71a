-- A page's tags are read by bookmark id, with each link's position. With the position in the
-- primary key's index, PostgreSQL reads them from the index alone (once a vacuum has marked
-- the table's pages all-visible) instead of visiting a table page per link: an import writes
-- the links in tag order, so a bookmark's links lie on different pages. The tags of a page of
-- 50 bookmarks took 0.64 ms, 0.38 ms this way (100,000 bookmarks).
ALTER TABLE bookmark_tags DROP CONSTRAINT bookmark_tags_pkey;
ALTER TABLE bookmark_tags ADD CONSTRAINT bookmark_tags_pkey
    PRIMARY KEY (bookmark_id, tag_id) INCLUDE (position);
