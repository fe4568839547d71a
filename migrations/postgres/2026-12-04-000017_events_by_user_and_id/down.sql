-- The index belongs to migration 000005; going back past this one keeps it.
SELECT 1;
