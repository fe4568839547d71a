-- Each bookmark carries its tags' names, in their order, separated by single spaces (a tag
-- never holds a space or a comma), so that a listed page reads its tags with its rows. Read
-- from the tag links, a page's tags were a statement of their own: on SQLite a third of a
-- JSON list request's instructions (a seek and a row per link), on PostgreSQL a round trip.
-- The links stay the source for filtering and counting by tag; both are written in the same
-- transaction. (SQLite cannot add a NOT NULL column without a default; the store always
-- writes it.)
ALTER TABLE bookmarks ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';

UPDATE bookmarks SET tag_names = (
    SELECT group_concat(bookmark_tags.tag_name, ' ' ORDER BY bookmark_tags.position)
    FROM bookmark_tags WHERE bookmark_tags.bookmark_id = bookmarks.id
)
WHERE EXISTS (SELECT 1 FROM bookmark_tags WHERE bookmark_tags.bookmark_id = bookmarks.id);
