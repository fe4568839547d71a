ALTER TABLE domain_events DROP COLUMN visible_to_others;
