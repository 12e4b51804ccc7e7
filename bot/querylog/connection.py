"""The one way to open a SQLite query log: async for the bot's writer, sync for everything else.

Every connection waits for another writer (``busy_timeout``) rather than failing at once, and the
database's files are private (:mod:`bot.querylog.files`). Synchronous connections are short and
meant for a worker thread; each call holds no lock between calls.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.querylog.dialect import LogConnection, dialect_of
from bot.querylog.files import private_database
from bot.querylog.identities import Identities
from bot.querylog.normalise import normalise_query
from bot.querylog.schema import SchemaError, latest_version, migrate

T = TypeVar("T")

# The writer gives up on a locked database after a second and retries with back-off by itself:
# waiting longer would hold its flush, and with it every moderator command flushing first.
WRITER_BUSY_TIMEOUT_MS = 1000
# Readers and one-off changes have no retry of their own: they wait out a writer's batch or a
# purge in another process rather than fail.
BUSY_TIMEOUT_MS = 5000


async def connect(
    path: Path, busy_timeout_ms: int = WRITER_BUSY_TIMEOUT_MS
) -> aiosqlite.Connection:
    """Open the database in WAL mode and bring its schema up to date; its files are private
    (:mod:`bot.querylog.files`)."""
    private_database(path)
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db


def open_db(
    path: Path,
    *,
    readonly: bool,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    identities: Identities | None = None,
) -> sqlite3.Connection:
    """A connection that waits for the bot's writer instead of failing; read-only for listings.

    ``identities`` (the salt) lets a member filter, which holds only their hashed key, also find
    their rows stored under their raw id (``salted()`` in :meth:`Filters.where`).
    """
    if readonly:
        if not path.exists():
            raise FileNotFoundError(f"no query log at {path}")
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000)
    else:
        private_database(path)
        conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.create_function("normalise_query", 1, normalise_query, deterministic=True)
    hash_of = lru_cache(maxsize=1 << 16)((identities or Identities()).hash_of)  # few members
    conn.create_function("salted", 1, hash_of, deterministic=True)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version < latest_version():
        conn.close()
        raise SchemaError(
            f"the query log at {path} has schema {version}, this code needs {latest_version()}"
        )
    return conn


def atomically(conn: LogConnection, work: Callable[[], T]) -> T:
    """``work`` in one write transaction (other writers wait: ``Dialect.begin_write``), or
    inside the caller's when one is already open, so a check and the change it allows cannot be
    split by another connection."""
    if conn.in_transaction:
        return work()
    for statement in dialect_of(conn).begin_write:
        conn.execute(statement)
    try:
        result = work()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
