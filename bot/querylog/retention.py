"""Rows leaving the log: a moderator's purge, the retention rule and a member's forget-me."""

from __future__ import annotations

from dataclasses import dataclass

from bot.querylog.connection import atomically
from bot.querylog.dialect import LogConnection
from bot.querylog.scope import Scope, both


@dataclass(frozen=True, slots=True)
class Deleted:
    """How many rows a purge, retention run or forget-me removed."""

    queries: int = 0
    votes: int = 0
    actions: int = 0

    @property
    def total(self) -> int:
        """All rows removed."""
        return self.queries + self.votes + self.actions


def count_before(conn: LogConnection, scope: Scope, before: str) -> int:
    """How many logged queries a purge of ``scope`` with this cutoff would delete."""
    where, params = both(scope.where("queries"), ("queries.created_at < ?", [before]))
    row = conn.execute(f"SELECT count(*) FROM queries WHERE {where}", params).fetchone()
    return int(row[0])


def purge(conn: LogConnection, scope: Scope, before: str) -> Deleted:
    """Delete the logged queries in ``scope`` older than ``before`` with every vote on them, and
    the votes in ``scope`` older than ``before`` (moderator actions are kept)."""
    old_queries = both(scope.where("queries"), ("queries.created_at < ?", [before]))
    old_votes = both(scope.votes_where("votes"), ("votes.updated_at < ?", [before]))
    # Votes first: whether a vote is in scope is read from the question it is on.
    votes_sql = (
        f"DELETE FROM votes WHERE ({old_votes[0]}) OR votes.answer_id IN "
        f"(SELECT queries.interaction_id FROM queries WHERE {old_queries[0]})"
    )

    def work() -> Deleted:
        votes = conn.execute(votes_sql, [*old_votes[1], *old_queries[1]]).rowcount
        queries = conn.execute(f"DELETE FROM queries WHERE {old_queries[0]}", old_queries[1])
        return Deleted(queries.rowcount, votes)

    return atomically(conn, work)


def expire(conn: LogConnection, before: str) -> Deleted:
    """The retention rule: queries, votes and moderator actions older than ``before`` go."""

    def work() -> Deleted:
        queries = conn.execute("DELETE FROM queries WHERE created_at < ?", [before]).rowcount
        votes = conn.execute("DELETE FROM votes WHERE updated_at < ?", [before]).rowcount
        actions = conn.execute(
            "DELETE FROM moderation_actions WHERE created_at < ?", [before]
        ).rowcount
        return Deleted(queries, votes, actions)

    return atomically(conn, work)


def forget(conn: LogConnection, users: tuple[int, ...]) -> Deleted:
    """Delete a member's logged queries and votes (under every id they may be stored as), and
    forget them as the administrator who added a help forum (the forum stays)."""
    marks = ", ".join("?" for _ in users)

    def work() -> Deleted:
        queries = conn.execute(f"DELETE FROM queries WHERE user_id IN ({marks})", users).rowcount
        votes = conn.execute(f"DELETE FROM votes WHERE user_id IN ({marks})", users).rowcount
        conn.execute(f"UPDATE help_forums SET enabled_by = 0 WHERE enabled_by IN ({marks})", users)
        return Deleted(queries, votes)

    return atomically(conn, work)
