-- The documents stay; searches before this migration never read their owner.
ALTER TABLE bookmark_search DROP COLUMN user_id;
