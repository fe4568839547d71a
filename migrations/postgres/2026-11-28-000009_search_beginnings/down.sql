-- The documents written since keep every word as a lexeme of its own, so the searches of the
-- previous version still find them; the word beginnings are only unused. The documents'
-- statistics go back to the default target.
ALTER TABLE bookmark_search ALTER COLUMN document SET STATISTICS -1;
