-- A user's page lists their newest 50 followers and follows (and how many there are in all),
-- read by these indexes rather than by reading all of them: a user followed from across the
-- fediverse may have thousands.
CREATE INDEX followers_user_newest ON followers (user_id, id);
CREATE INDEX follows_user_newest ON follows (user_id, id);
