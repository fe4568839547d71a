-- A first version of migration 000016 (in commits 9e8a564 to 8b58614 only) dropped the index of
-- events by user and id, which a user's change generation reads on every user page (the newest
-- event id); a database migrated by such a build gets it back here. Elsewhere it is there
-- already (migration 000005) and nothing happens.
CREATE INDEX IF NOT EXISTS domain_events_user_id ON domain_events (user_id, id);
