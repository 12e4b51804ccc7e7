-- Help forums: which forum channels a server's administrators chose, the posts answered there,
-- and the permission notices already given. The PostgreSQL version is the same SQL.

-- A forum channel the bot answers new posts in; off unless an administrator adds it.
CREATE TABLE help_forums (
    guild_id    BIGINT  NOT NULL,
    channel_id  BIGINT  NOT NULL,
    enabled_by  BIGINT  NOT NULL,             -- the administrator's Discord id: told of problems
    created_at  TEXT    NOT NULL,             -- ISO 8601, UTC
    PRIMARY KEY (guild_id, channel_id)
);

-- One row per forum post the bot has taken up, so no post is answered twice, whatever the
-- Gateway replays and however often the bot restarts.
CREATE TABLE help_forum_posts (
    thread_id   BIGINT  NOT NULL PRIMARY KEY, -- the post (a thread in the forum)
    guild_id    BIGINT  NOT NULL,
    channel_id  BIGINT  NOT NULL,             -- the forum
    claimed_at  TEXT    NOT NULL
);
CREATE INDEX help_forum_posts_by_guild ON help_forum_posts (guild_id, claimed_at);

-- A missing permission the administrators were told of: once per channel and problem.
CREATE TABLE permission_notices (
    guild_id    BIGINT  NOT NULL,
    channel_id  BIGINT  NOT NULL,
    problem     TEXT    NOT NULL,             -- cannot_send, cannot_read_history
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (channel_id, problem)
);
