-- Full-text search over each bookmark's title, notes, address and tags: one tsvector per
-- bookmark with a GIN index. The store writes each bookmark's document (its words, lower-cased)
-- whenever the bookmark changes, and fills the index for bookmarks saved before this migration
-- the first time it starts.
CREATE TABLE bookmark_search (
    bookmark_id BIGINT PRIMARY KEY REFERENCES bookmarks(id) ON DELETE CASCADE,
    document TSVECTOR NOT NULL
);
CREATE INDEX bookmark_search_document ON bookmark_search USING GIN (document);

-- The newest change of a user's bookmarks (its event id) in one index lookup: tag clouds are
-- cached until it moves.
CREATE INDEX domain_events_user_id ON domain_events (user_id, id);
