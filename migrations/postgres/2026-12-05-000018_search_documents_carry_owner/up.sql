-- Each search document carries its bookmark's owner, so that a search of one user's bookmarks
-- keeps that user's matches while it reads the index's matches, before it looks any bookmark
-- up: at a million bookmarks three quarters of the benchmark's search's 1,136 matches were
-- other users', each looked up in `bookmarks` only to be dropped (`store::search::matches`).
-- It is a copy of `bookmarks.user_id`, which never changes; no foreign key, as the bookmark's
-- own key already removes the row with the bookmark. The store fills the index again from the
-- bookmarks the first time it starts (or `commonplace migrate` runs) after this migration.
TRUNCATE bookmark_search;
ALTER TABLE bookmark_search ADD COLUMN user_id BIGINT NOT NULL;
