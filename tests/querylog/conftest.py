"""Query-log fixtures: an empty, migrated log (``path``) and a connection to it (``db``)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.querylog.connection import open_db
from tests.querylog.rows import migrate


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """An empty, migrated query log."""
    database = tmp_path / "log.db"
    asyncio.run(migrate(database))
    return database


@pytest.fixture
def db(path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_db(path, readonly=False)
    yield conn
    conn.close()
