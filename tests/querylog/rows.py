"""Rows for the query log's tests: a fixed now, hostile text, one row added at a time, a lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.querylog.clock import iso
from bot.querylog.connection import connect
from bot.querylog.dialect import LogConnection
from bot.querylog.listings import LoggedQuery, Page
from bot.querylog.records import QueryRecord

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


HOSTILE = [
    "%",
    "_",
    "100%",
    "a_b",
    "'",
    '"',
    "\\",
    "\\%",
    "' OR '1'='1",
    "'; DROP TABLE queries; --",
    "x" * 5000,
    "[a-z]*",
]


async def migrate(path: Path) -> None:
    db = await connect(path)
    await db.close()


def add(conn: LogConnection, **fields: object) -> QueryRecord:
    """Insert one query-log row; ``ago`` (a timedelta before NOW) sets its time."""
    ago = fields.pop("ago", timedelta(0))
    assert isinstance(ago, timedelta)
    defaults: dict[str, object] = {
        "interaction_id": int(conn.execute("SELECT count(*) FROM queries").fetchone()[0]) + 1000,
        "user_id": 1,
        "user_name": "alice",
        "command": "ask",
        "query": "where is the satellite",
        "outcome": "answered",
        "latency_ms": 10.0,
        "results": [("doc#1", 5.0), ("doc#2", 3.0)],
        "total_matches": 2,
        "guild_id": 7,
        "created_at": iso(NOW - ago),
    }
    record = QueryRecord(**{**defaults, **fields})  # type: ignore[arg-type]
    row = record.to_row()
    conn.execute(
        f"INSERT INTO queries ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    return record


def ids(page: Page[LoggedQuery]) -> list[int]:
    return [row.interaction_id for row in page.rows]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the database at ``path``, as another process writing would."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
