"""Where the query log is stored: a SQLite file (the default) or a PostgreSQL database.

A :class:`LogBackend` gives the two things the rest of :mod:`bot.querylog` needs of a database:
a :class:`WriterStore` for the bot's buffered writer (async, one batch per transaction, each
interaction once), and short synchronous :class:`~bot.querylog.dialect.LogConnection` s for
readers and changes, run in a worker thread. Everything above this seam is the same code on both.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from bot.querylog.backends.postgres import PgConnection
from bot.querylog.dialect import Dialect, LogConnection
from bot.querylog.identities import Identities
from bot.querylog.schema import SchemaError


class WriterStore(Protocol):
    """The bot's writer's connection: opened lazily, dropped and reopened after a failure."""

    failures: tuple[type[BaseException], ...]  # the database unreachable, busy or read-only

    async def open(self) -> None:
        """Connect (and migrate) now if not connected; raises one of :attr:`failures`."""

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (``QueryRecord.to_row``) in one transaction; an interaction already
        logged (by this or another process) is skipped."""

    async def get_meta(self, key: str) -> str | None:
        """A remembered value, or ``None``."""

    async def set_meta(self, key: str, value: str) -> None:
        """Remember a value."""

    async def close(self) -> None:
        """Drop the connection; never raises."""


class LogBackend(Protocol):
    """One database holding the query log."""

    dialect: Dialect
    errors: tuple[type[BaseException], ...]  # the database's own errors
    failures: tuple[type[BaseException], ...]  # those and the OS errors reaching it can raise

    def describe(self) -> str:
        """Where the log is, for messages (never a password)."""

    def writer_store(self, busy_timeout_ms: int) -> WriterStore:
        """A new store for the buffered writer."""

    def connect(
        self, *, readonly: bool, identities: Identities | None = None
    ) -> AbstractContextManager[LogConnection]:
        """A short synchronous connection, closed when the block ends; the schema must be up
        to date (``SchemaError`` otherwise)."""

    def migrate(self) -> None:
        """Create the log or bring its schema up to date (synchronously)."""


@contextlib.contextmanager
def connect_migrated(
    backend: LogBackend, *, readonly: bool, identities: Identities | None = None
) -> Iterator[LogConnection]:
    """:meth:`LogBackend.connect`, the log brought up to date first when its schema is behind
    (a log the bot has not opened since an upgrade, read by the command line)."""
    with contextlib.ExitStack() as stack:
        try:
            conn = stack.enter_context(backend.connect(readonly=readonly, identities=identities))
        except SchemaError:
            backend.migrate()
            conn = stack.enter_context(backend.connect(readonly=readonly, identities=identities))
        yield conn


def stream_rows(
    conn: LogConnection, sql: str, parameters: Sequence[Any], size: int = 1000
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` as plain tuples, fetched ``size`` at a time and never built into
    objects; on PostgreSQL through a server-side cursor, so a large export is never held whole."""
    if isinstance(conn, sqlite3.Connection):
        cursor = conn.cursor()
        cursor.row_factory = None
        cursor.execute(sql, parameters)
        while batch := cursor.fetchmany(size):
            yield from batch
        return

    if not isinstance(conn, PgConnection):
        raise TypeError(f"not a query-log connection: {type(conn).__name__}")
    yield from conn.stream(sql, parameters, size)
