-- The question as grouped for counting (normalise_query), stored with the row: every row on
-- PostgreSQL is written by code that fills it in.
ALTER TABLE queries ADD COLUMN query_key TEXT NOT NULL DEFAULT '';
