"""👍 / 👎 on answers: one vote per member per answer, a second press replaces it."""

from __future__ import annotations

import json

from bot.querylog.clock import timestamp
from bot.querylog.connection import atomically
from bot.querylog.dialect import LogConnection
from bot.querylog.scope import OutOfScope, Scope


def record_vote(
    conn: LogConnection,
    scope: Scope,
    answer_id: int,
    user: int,
    vote: int,
    passages: list[str],
    at: str | None = None,
) -> int | None:
    """Store a member's vote on an answer, replacing theirs; returns the vote it replaced.

    Raises :class:`OutOfScope` for an answer logged in another server than ``scope``. An answer
    not logged yet (its row still buffered) takes the vote."""
    if vote not in (-1, 1):
        raise ValueError("a vote is 1 or -1")
    at = at or timestamp()

    def work() -> int | None:
        answer = conn.execute(
            "SELECT guild_id FROM queries WHERE interaction_id = ?", [answer_id]
        ).fetchone()
        if answer is not None and not scope.includes(answer[0]):
            raise OutOfScope("that answer was given in another server")
        row = conn.execute(
            "SELECT vote FROM votes WHERE answer_id = ? AND user_id = ?", [answer_id, user]
        ).fetchone()
        conn.execute(
            "INSERT INTO votes (answer_id, user_id, vote, passages, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id) DO UPDATE SET "
            "vote = excluded.vote, passages = excluded.passages, updated_at = excluded.updated_at",
            [answer_id, user, vote, json.dumps(passages), at, at],
        )
        return None if row is None else int(row[0])

    return atomically(conn, work)
