-- The question as grouped for counting (normalise_query), stored with the row: listings and stats
-- group by it on either database, and PostgreSQL cannot call the Python function.
ALTER TABLE queries ADD COLUMN query_key TEXT NOT NULL DEFAULT '';
UPDATE queries SET query_key = normalise_query(query);
