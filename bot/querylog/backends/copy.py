"""``corpusbot log copy``: a SQLite log's rows into PostgreSQL, in batches, as often as wanted.

Copying again copies only what is not there yet: a question is known by its ``interaction_id``,
a vote by its answer and voter, a moderator action by its time, source, moderator, action and
arguments, a remembered value by its key. Questions get new ids in PostgreSQL (a bot may already
be writing there), so an old listing's page buttons, which name the last id they showed, no longer
match; everything else means the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from bot.querylog.backends import connect_migrated
from bot.querylog.backends.postgres import CONNECT_TIMEOUT_SECONDS, PostgresBackend
from bot.querylog.backends.sqlite import SqliteBackend
from bot.querylog.dialect import LogConnection
from bot.querylog.records import STORED_COLUMNS

QUESTION_COLUMNS = ", ".join(STORED_COLUMNS)
_QUESTIONS = (
    f"INSERT INTO queries ({QUESTION_COLUMNS}) VALUES ({', '.join(['%s'] * len(STORED_COLUMNS))}) "
    "ON CONFLICT (interaction_id) DO NOTHING"
)
_VOTES = (
    "INSERT INTO votes (answer_id, user_id, vote, passages, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (answer_id, user_id) DO NOTHING"
)
_ACTIONS = (
    "INSERT INTO moderation_actions "
    "(created_at, source, guild_id, user_id, user_name, action, arguments, affected) "
    "SELECT %(created_at)s, %(source)s, %(guild_id)s, %(user_id)s, %(user_name)s, %(action)s, "
    "%(arguments)s, %(affected)s WHERE NOT EXISTS (SELECT 1 FROM moderation_actions a "
    "WHERE a.created_at = %(created_at)s AND a.source = %(source)s "
    "AND a.user_id = %(user_id)s AND a.action = %(action)s AND a.arguments = %(arguments)s)"
)
_META = "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING"


@dataclass(slots=True)
class Copied:
    """Rows read from the SQLite log, and how many of them were new in PostgreSQL."""

    questions: int = 0
    new_questions: int = 0
    votes: int = 0
    new_votes: int = 0
    actions: int = 0
    new_actions: int = 0

    def summary(self) -> str:
        """One line for the operator."""
        return (
            f"{self.new_questions} of {self.questions} questions, {self.new_votes} of "
            f"{self.votes} votes, {self.new_actions} of {self.actions} moderator actions "
            "were new (the rest were there already)"
        )


def copy_log(source: SqliteBackend, target: PostgresBackend, *, batch_size: int = 1000) -> Copied:
    """Copy every row of ``source`` into ``target`` (migrated first), one transaction a batch."""
    target.migrate()
    copied = Copied()
    with (
        connect_migrated(source, readonly=True) as reader,
        psycopg.connect(
            target.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as writer,
    ):
        for batch in _batches(
            reader, f"SELECT {QUESTION_COLUMNS} FROM queries ORDER BY id", batch_size
        ):
            copied.questions += len(batch)
            copied.new_questions += _insert(writer, _QUESTIONS, [tuple(row) for row in batch])
        votes_sql = (
            "SELECT answer_id, user_id, vote, passages, created_at, updated_at FROM votes "
            "ORDER BY answer_id, user_id"
        )
        for batch in _batches(reader, votes_sql, batch_size):
            copied.votes += len(batch)
            copied.new_votes += _insert(writer, _VOTES, [tuple(row) for row in batch])
        actions_sql = (
            "SELECT created_at, source, guild_id, user_id, user_name, action, arguments, "
            "affected FROM moderation_actions ORDER BY id"
        )
        for batch in _batches(reader, actions_sql, batch_size):
            copied.actions += len(batch)
            copied.new_actions += _insert(writer, _ACTIONS, [dict(row) for row in batch])
        meta = [tuple(row) for row in reader.execute("SELECT key, value FROM meta").fetchall()]
        if meta:
            _insert(writer, _META, meta)
    return copied


def _batches(conn: LogConnection, sql: str, size: int) -> Iterator[list[Any]]:
    """The rows of ``sql``, ``size`` at a time."""
    cursor = conn.execute(sql)
    while batch := cursor.fetchmany(size):
        yield batch


def _insert(conn: psycopg.Connection[Any], sql: str, rows: list[Any]) -> int:
    """Insert ``rows`` in one transaction; how many were new."""
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)
