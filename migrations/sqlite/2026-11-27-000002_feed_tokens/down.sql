DROP INDEX domain_events_user_created;
DROP INDEX users_feed_token;
ALTER TABLE users DROP COLUMN feed_token;
