DROP TABLE bookmark_search;
DROP INDEX domain_events_user_id;
