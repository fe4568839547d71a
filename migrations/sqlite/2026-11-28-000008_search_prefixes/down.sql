-- Back to the index without prefixes. It is left empty: searches find nothing until the
-- index is filled again, as the next start after migrating up does.
DROP TABLE bookmark_search;
CREATE VIRTUAL TABLE bookmark_search USING fts5(
    document,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);
