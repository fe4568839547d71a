-- A secret per user for their private feed URL; NULL until they ask for one.
ALTER TABLE users ADD COLUMN feed_token TEXT;
CREATE UNIQUE INDEX users_feed_token ON users (feed_token);
CREATE INDEX domain_events_user_created ON domain_events (user_id, created_at);
