"""What the readers need of a database connection, and the few SQL fragments that differ between
SQLite and PostgreSQL.

Every reader and change (listings, stats, export, votes, actions, retention) writes one SQL text
with ``?`` placeholders and takes its differing fragments from the connection's :class:`Dialect`;
the PostgreSQL connection turns ``?`` into its own placeholders. Everything else is SQL both
understand: ``TRUE``, ``CASE``, ``ON CONFLICT``, ``RETURNING``, subqueries with an alias.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

DialectName = Literal["sqlite", "postgres"]


@dataclass(frozen=True, slots=True)
class Dialect:
    """The SQL fragments one database spells its own way."""

    name: DialectName
    like: str  # case-insensitive LIKE, as SQLite's LIKE is for ASCII
    salted: str  # the function hashing a stored id with the salt (Identities.hash_of)
    # Starts a transaction that other writers wait for, so a check and the change it allows
    # cannot be split by another process: SQLite's write lock, or a PostgreSQL advisory lock.
    begin_write: tuple[str, ...]

    def json_texts(self, column: str, alias: str) -> str:
        """A FROM item: one row per string of the JSON array in ``column``, as ``alias.value``."""
        if self.name == "sqlite":
            return f"json_each({column}) {alias}"
        return f"jsonb_array_elements_text({column}::jsonb) AS {alias}(value)"

    def json_objects(self, column: str, alias: str) -> str:
        """A FROM item: one row per object of the JSON array in ``column``, as ``alias.value``."""
        if self.name == "sqlite":
            return f"json_each({column}) {alias}"
        return f"jsonb_array_elements({column}::jsonb) AS {alias}(value)"

    def json_text(self, value: str, key: str) -> str:
        """The text field ``key`` of a JSON object (a ``json_objects`` value)."""
        if self.name == "sqlite":
            return f"json_extract({value}, '$.{key}')"
        return f"({value}->>'{key}')"

    def json_integer(self, column: str, key: str) -> str:
        """The integer field ``key`` of the JSON object text in ``column``."""
        if self.name == "sqlite":
            return f"json_extract({column}, '$.{key}')"
        return f"(({column})::jsonb->>'{key}')::bigint"


WRITE_LOCK = 0x636F7270  # "corp": the advisory lock key of the log's write transactions
SQLITE = Dialect("sqlite", like="LIKE", salted="salted", begin_write=("BEGIN IMMEDIATE",))
POSTGRES = Dialect(
    "postgres",
    like="ILIKE",
    salted="pg_temp.salted",
    begin_write=("BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"),
)


class LogCursor(Protocol):
    """The part of a DB-API cursor the readers use."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class LogConnection(Protocol):
    """A connection to the query log: ``sqlite3.Connection`` or the PostgreSQL one.

    Rows read through it give their columns by index and by name (``dict(row)`` works)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...


def dialect_of(conn: LogConnection) -> Dialect:
    """The dialect of a connection."""
    if isinstance(conn, sqlite3.Connection):
        return SQLITE
    dialect = getattr(conn, "dialect", None)
    if not isinstance(dialect, Dialect):
        raise TypeError(f"not a query-log connection: {type(conn).__name__}")
    return dialect
