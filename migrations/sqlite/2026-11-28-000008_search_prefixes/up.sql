-- The search index again, now also indexing every word's first 2, 3, 4 and 5 letters. A search's
-- last word is a prefix (typed as you go); without these, FTS5 answered it by merging the lists
-- of every word it begins (about 400 words for a five-letter prefix of the benchmark's
-- vocabulary), which took most of a search's time at a million bookmarks.
-- `_` counts as part of a word, for the word the store adds to each document to mark its owner
-- (`_17`): no word of a bookmark or a search holds one (they are runs of letters and digits), so
-- only the store's own query for one user's matches finds it.
-- The store fills the new index from the bookmarks the first time it starts after this
-- migration.
DROP TABLE bookmark_search;
CREATE VIRTUAL TABLE bookmark_search USING fts5(
    document,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '2 3 4 5',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''_'''
);
