INSERT INTO tag_totals (user_id, tag_id, visibility, bookmarks)
SELECT user_id, tag_id, visibility, sum(bookmarks)
  FROM tag_total_changes
 WHERE true
 GROUP BY user_id, tag_id, visibility
ON CONFLICT (user_id, tag_id, visibility)
DO UPDATE SET bookmarks = tag_totals.bookmarks + excluded.bookmarks;
DROP TABLE tag_total_changes;
