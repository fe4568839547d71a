-- Whether an event changed something other people can see (a public or unlisted bookmark, before
-- or after). Public feeds date themselves by these only, so they reveal nothing private.
ALTER TABLE domain_events ADD COLUMN visible_to_others BOOLEAN NOT NULL DEFAULT FALSE;
