-- The query log: one row per /ask, /source or button use.
CREATE TABLE queries (
    id              INTEGER PRIMARY KEY,
    interaction_id  INTEGER NOT NULL UNIQUE,      -- a replayed event is not logged twice
    created_at      TEXT    NOT NULL,             -- ISO 8601, UTC
    guild_id        INTEGER,                      -- NULL in direct messages
    channel_id      INTEGER,
    user_id         INTEGER NOT NULL,
    user_name       TEXT    NOT NULL,             -- display name at the time
    command         TEXT    NOT NULL,             -- ask, source, more, open, source_nav
    query           TEXT    NOT NULL,             -- the question, or the id opened
    results         TEXT    NOT NULL DEFAULT '[]',-- JSON [{"id": passage id, "score": float}, ...]
    result_count    INTEGER NOT NULL DEFAULT 0,   -- results shown
    total_matches   INTEGER NOT NULL DEFAULT 0,   -- passages that matched at all
    top_passage_id  TEXT,
    top_score       REAL,
    latency_ms      REAL    NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('answered', 'no_results', 'rate_limited', 'error')),
    error_id        TEXT
);
CREATE INDEX queries_by_time ON queries (created_at);
CREATE INDEX queries_by_user ON queries (user_id, created_at);

-- Small facts the bot keeps between runs, such as the hash of the last synced command set.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
