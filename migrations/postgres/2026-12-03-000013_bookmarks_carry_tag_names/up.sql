-- Each bookmark carries its tags' names, in their order, separated by single spaces (a tag
-- never holds a space or a comma), so that a listed page reads its tags with its rows: one
-- round trip fewer per page than reading them from the tag links. The links stay the source
-- for filtering and counting by tag; both are written in the same transaction. The default
-- only fills the existing rows: a bookmark written without its tags' names is refused.
ALTER TABLE bookmarks ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';

UPDATE bookmarks SET tag_names = named.tag_names
FROM (
    SELECT bookmark_id, string_agg(tag_name, ' ' ORDER BY position) AS tag_names
    FROM bookmark_tags GROUP BY bookmark_id
) AS named
WHERE named.bookmark_id = bookmarks.id;

ALTER TABLE bookmarks ALTER COLUMN tag_names DROP DEFAULT;
