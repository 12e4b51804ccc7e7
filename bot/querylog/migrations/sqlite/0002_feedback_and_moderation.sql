-- Members' votes on answers, and what moderators did with the log.

-- One vote per member per answer; a second press replaces it.
CREATE TABLE votes (
    answer_id   INTEGER NOT NULL,             -- queries.interaction_id of the answer voted on
    user_id     INTEGER NOT NULL,             -- the voter (a salted hash with QUERY_LOG_HASH_USERS)
    vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    passages    TEXT    NOT NULL DEFAULT '[]',-- JSON list of the passage ids the message cited
    created_at  TEXT    NOT NULL,             -- first vote, ISO 8601 UTC
    updated_at  TEXT    NOT NULL,             -- last change
    PRIMARY KEY (answer_id, user_id)
) WITHOUT ROWID;
CREATE INDEX votes_by_user ON votes (user_id);
CREATE INDEX votes_by_time ON votes (updated_at);

-- Every moderator action (and the daily retention run): who, what, with which arguments.
-- Listings keep their filters here, so their page buttons need only this row's id.
CREATE TABLE moderation_actions (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('discord', 'cli', 'system')),
    guild_id    INTEGER,
    user_id     INTEGER NOT NULL,             -- the moderator (hashed like members), 0 for system
    user_name   TEXT    NOT NULL,
    action      TEXT    NOT NULL,             -- recent, unanswered, stats, export, purge, ...
    arguments   TEXT    NOT NULL DEFAULT '{}',-- JSON: the filters as the database sees them
    affected    INTEGER                       -- rows listed, exported or deleted
);
CREATE INDEX moderation_actions_by_time ON moderation_actions (created_at);

CREATE INDEX queries_by_command ON queries (command, outcome, created_at);
