-- The code before this migration reads tag_totals alone: fold what is pending into it first.
INSERT INTO tag_totals (user_id, tag_id, visibility, bookmarks)
SELECT changes.user_id, added.tag_id, changes.visibility, count(*)
  FROM tag_total_changes AS changes, unnest(changes.tag_ids) AS added(tag_id)
 GROUP BY changes.user_id, added.tag_id, changes.visibility
ON CONFLICT (user_id, tag_id, visibility)
DO UPDATE SET bookmarks = tag_totals.bookmarks + excluded.bookmarks;
DROP TABLE tag_total_changes;
