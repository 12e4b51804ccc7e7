-- The question as grouped for counting (normalise_query), stored with the row: every row on
-- PostgreSQL is written by code that fills it in.
ALTER TABLE queries ADD COLUMN query_key TEXT NOT NULL DEFAULT '';

-- A member filter also finds rows stored under a raw id that hashes to the member's key
-- (Identities.hash_of): HMAC-SHA256(salt, id), its first 8 bytes as an unsigned number >> 1.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION corpusbot_salted(id BIGINT, salt BYTEA) RETURNS BIGINT
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    RETURN ((('x' || encode(substring(hmac(convert_to(id::text, 'UTF8'), salt, 'sha256')
        FROM 1 FOR 8), 'hex'))::bit(64)::bigint >> 1) & 9223372036854775807);
