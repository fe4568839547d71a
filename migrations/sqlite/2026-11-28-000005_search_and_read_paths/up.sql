-- Full-text search over each bookmark's title, notes, address and tags. Contentless: the table
-- holds only the index; rowid is bookmarks.id. The store writes each bookmark's document (its
-- words, lower-cased) whenever the bookmark changes, and fills the index for bookmarks saved
-- before this migration the first time it starts.
CREATE VIRTUAL TABLE bookmark_search USING fts5(
    document,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The newest change of a user's bookmarks (its event id) in one index lookup: tag clouds are
-- cached until it moves.
CREATE INDEX domain_events_user_id ON domain_events (user_id, id);
