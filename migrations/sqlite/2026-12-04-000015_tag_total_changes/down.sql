DROP TABLE tag_total_changes;
