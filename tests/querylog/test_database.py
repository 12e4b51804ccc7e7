"""LogDatabase: the bot's cogs reach the log through it, off the event loop, after a flush."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.querylog.connection import connect
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.identities import Identities
from bot.querylog.schema import SchemaError
from bot.querylog.writer import QueryLog
from tests.querylog.rows import locked
from tests.querylog.test_writer import record


async def test_a_flushed_write_does_nothing_while_rows_cannot_be_written(tmp_path: Path) -> None:
    """/forget-me's delete runs only once every buffered row is on disk: run with a row still
    waiting, the row would be written after the delete and survive it."""
    path = tmp_path / "log.db"
    log = QueryLog(path, busy_timeout_ms=50)
    await log.start()
    database = LogDatabase(log, Identities())
    ran: list[int] = []

    def work(conn: sqlite3.Connection) -> int:
        ran.append(1)
        return int(conn.execute("SELECT count(*) FROM queries").fetchone()[0])

    with locked(path):
        log.record(record(1))
        assert await database.write_flushed(work) is None
        assert ran == [] and log.pending == 1
    assert await database.write_flushed(work) == 1  # the row is written first, then seen
    await log.close()


async def test_a_log_of_an_older_schema_is_unavailable_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    sqlite3.connect(path).close()  # schema 0: no migration has run on it
    log = QueryLog(path, busy_timeout_ms=20)  # never started: nothing migrates it
    with pytest.raises(LogUnavailable, match="has schema 0") as raised:
        await LogDatabase(log, Identities()).read(lambda conn: 1)
    assert isinstance(raised.value.__cause__, SchemaError)


async def test_a_locked_log_is_unavailable_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    await (await connect(path)).close()
    log = QueryLog(path, busy_timeout_ms=20)

    def delete_all(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA busy_timeout = 10")  # not the 5 s a moderator command waits
        conn.execute("DELETE FROM queries")

    with locked(path), pytest.raises(LogUnavailable, match="locked") as raised:
        await LogDatabase(log, Identities()).write(delete_all)
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
