-- Each bookmark's search document is rewritten by the store: its words and their first 2, 3, 4
-- and 5 letters (`rus*` for "rust"), given to the index as they are rather than parsed by
-- `to_tsvector`. A search's last word (typed as you go) is then one entry of the GIN index
-- instead of a merge of every word it begins. The store fills the index again from the
-- bookmarks the first time it starts after this migration.
TRUNCATE bookmark_search;
