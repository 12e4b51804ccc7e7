"""The query log in a SQLite file (``QUERY_LOG_PATH``): the default, nothing to set up.

The writer's connection watches its file: one deleted, replaced or with its ``-shm`` cut short
by another program is let go of and a new log opened at the path (:mod:`bot.querylog.files`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite

from bot.querylog.connection import connect, open_db
from bot.querylog.dialect import SQLITE, LogConnection
from bot.querylog.files import file_identity, restore_shm, shm_size
from bot.querylog.identities import Identities
from bot.querylog.records import STORED_COLUMNS
from bot.querylog.transactions import write_transaction

log = logging.getLogger(__name__)

INSERT = (
    f"INSERT INTO queries ({', '.join(STORED_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in STORED_COLUMNS)}) "
    "ON CONFLICT (interaction_id) DO NOTHING"
)


class SqliteBackend:
    """The query log in one SQLite file."""

    dialect = SQLITE
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    failures: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    def writer_store(self, busy_timeout_ms: int) -> SqliteStore:
        """The writer's connection to the file."""
        return SqliteStore(self.path, busy_timeout_ms)

    @contextlib.contextmanager
    def connect(
        self, *, readonly: bool, identities: Identities | None = None
    ) -> Iterator[LogConnection]:
        """A connection to the file (:func:`~bot.querylog.connection.open_db`)."""
        conn = open_db(self.path, readonly=readonly, identities=identities)
        try:
            yield conn
        finally:
            conn.close()

    def migrate(self) -> None:
        """Create the file or bring its schema up to date."""
        asyncio.run(_migrate(self.path))


async def _migrate(path: Path) -> None:
    db = await connect(path)
    await db.close()


class SqliteStore:
    """The writer's one connection to the file, reopened when the file is replaced."""

    failures: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._db: aiosqlite.Connection | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the open database
        self._shm_seen: int | None = None  # size of its -shm when last looked at

    async def open(self) -> None:
        """Open the file now if it is not open."""
        await self._ensure_open()

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` in one write transaction."""
        db = await self._ensure_open()
        async with write_transaction(db):
            await db.executemany(INSERT, rows)
        self._shm_seen = shm_size(self.path)

    async def get_meta(self, key: str) -> str | None:
        """A remembered value, or ``None``."""
        db = await self._ensure_open()
        async with db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        """Remember a value."""
        db = await self._ensure_open()
        await db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def close(self) -> None:
        """Close the connection, if open."""
        if self._db is not None:
            db, self._db = self._db, None
            with contextlib.suppress(sqlite3.Error, OSError, ValueError):
                await db.close()

    async def _ensure_open(self) -> aiosqlite.Connection:
        if self._db is not None and self._file_was_replaced():
            log.warning(
                "query log %s was deleted or replaced while open: closing the old file and "
                "writing to a new log at that path from now on",
                self.path,
            )
            await self._let_go_of_moved_file()
        elif self._db is not None and self._shm_was_cut_short():
            await self._let_go_of_moved_file()
        if self._db is None:
            self._db = await connect(self.path, self.busy_timeout_ms)
            self._identity = file_identity(self.path)
            self._shm_seen = shm_size(self.path)
        return self._db

    def _shm_was_cut_short(self) -> bool:
        """Whether another program shrank or deleted the ``-shm`` this process has mapped
        (SQLite itself only grows it while a connection is open); a shrunk one is given its
        length back first, or the next use of the connection, even closing it, dies of
        SIGBUS. Raises ``OSError`` if it cannot be."""
        seen, now = self._shm_seen, shm_size(self.path)
        if seen is None or (now is not None and now >= seen):
            self._shm_seen = now
            return False
        log.warning(
            "query log: %s-shm was %s by another program while open; reopening the log",
            self.path,
            "deleted" if now is None else f"cut from {seen} to {now} bytes",
        )
        if now is not None:
            restore_shm(self.path, seen)
        return True

    def _file_was_replaced(self) -> bool:
        """Whether the path no longer names the file the connection has open: rows written
        through it would go to a deleted file, or one that is no longer the log. One ``stat``
        a batch."""
        try:
            return file_identity(self.path) != self._identity
        except OSError:
            return True

    async def _let_go_of_moved_file(self) -> None:
        """Close the connection to a file no longer at the path. SQLite does not delete the
        ``-wal`` of a file moved or deleted while open, and would replay it into the next
        database at that path: the old file takes its pages first and the ``-wal`` is left
        empty."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await self.close()
