-- Each search document carries its bookmark's owner, so that a search of one user's bookmarks
-- keeps that user's matches while it reads the index's matches, before it looks any bookmark
-- up: at a million bookmarks three quarters of the benchmark's search's 1,136 matches were
-- other users', each looked up in `bookmarks` only to be dropped (`store::search::matches`).
-- It is a copy of `bookmarks.user_id`, which never changes; no foreign key, as the bookmark's
-- own key already removes the row with the bookmark. Filled here, in the migration's own
-- transaction, so that an upgrade stopped half-way leaves the documents as they were. The
-- column stays nullable: a search keeps a document without an owner (`coalesce(…, true)`), as
-- every search did before, so no result depends on it.
ALTER TABLE bookmark_search ADD COLUMN user_id BIGINT;
UPDATE bookmark_search AS s SET user_id = b.user_id FROM bookmarks AS b WHERE b.id = s.bookmark_id;
