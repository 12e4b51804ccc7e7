"""Help forums in the query-log database: which forums a server enabled, which posts were
taken up, and which permission problems were already reported. Each change is one statement
whose conflict clause decides, so two events for one post cannot both win."""

from __future__ import annotations

from bot.querylog.clock import timestamp
from bot.querylog.dialect import LogConnection, LogCursor


def add_forum(conn: LogConnection, guild_id: int, channel_id: int, enabled_by: int) -> bool:
    """Enable a forum for a server; ``False`` if it already was (the enabler is kept)."""
    cursor: LogCursor = conn.execute(
        "INSERT INTO help_forums (guild_id, channel_id, enabled_by, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, channel_id) DO NOTHING",
        [guild_id, channel_id, enabled_by, timestamp()],
    )
    return cursor.rowcount == 1


def remove_forum(conn: LogConnection, guild_id: int, channel_id: int) -> bool:
    """Disable a forum; ``False`` if it was not enabled in this server."""
    cursor: LogCursor = conn.execute(
        "DELETE FROM help_forums WHERE guild_id = ? AND channel_id = ?", [guild_id, channel_id]
    )
    return cursor.rowcount == 1


def enabled_forums(conn: LogConnection, guild_id: int) -> list[int]:
    """The server's enabled forum channel ids, oldest first."""
    rows = conn.execute(
        "SELECT channel_id FROM help_forums WHERE guild_id = ? ORDER BY created_at, channel_id",
        [guild_id],
    )
    return [int(row[0]) for row in rows]


def forum_enabler(conn: LogConnection, guild_id: int, channel_id: int) -> int | None:
    """Who enabled the forum (to tell of a problem there), or ``None`` if it is not enabled."""
    row = conn.execute(
        "SELECT enabled_by FROM help_forums WHERE guild_id = ? AND channel_id = ?",
        [guild_id, channel_id],
    ).fetchone()
    return None if row is None else int(row[0])


def claim_post(conn: LogConnection, guild_id: int, channel_id: int, thread_id: int) -> bool:
    """Take up a new post of an enabled forum: ``True`` once per post, ``False`` for a post
    already taken up (a replayed event, another process) or a forum not enabled."""
    cursor: LogCursor = conn.execute(
        "INSERT INTO help_forum_posts (thread_id, guild_id, channel_id, claimed_at) "
        "SELECT ?, guild_id, channel_id, ? FROM help_forums WHERE guild_id = ? AND channel_id = ? "
        "ON CONFLICT (thread_id) DO NOTHING",
        [thread_id, timestamp(), guild_id, channel_id],
    )
    return cursor.rowcount == 1


def claim_notice(conn: LogConnection, guild_id: int, channel_id: int, problem: str) -> bool:
    """``True`` the first time a problem in a channel is to be reported, ``False`` after."""
    cursor: LogCursor = conn.execute(
        "INSERT INTO permission_notices (guild_id, channel_id, problem, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (channel_id, problem) DO NOTHING",
        [guild_id, channel_id, problem, timestamp()],
    )
    return cursor.rowcount == 1
