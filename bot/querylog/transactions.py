"""The async write transaction the bot's writer and the schema migrations share."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator

import aiosqlite


@contextlib.asynccontextmanager
async def write_transaction(db: aiosqlite.Connection) -> AsyncIterator[None]:
    """Hold the write lock (``BEGIN IMMEDIATE``: other writers wait) for the block and commit
    when it ends; roll back if the block or the commit raises, without hiding that error."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            await db.execute("ROLLBACK")
        raise
