"""Query-log fixtures: ``db``, a connection to an empty, migrated log on SQLite AND on a real
PostgreSQL (every test taking it runs on both), and ``path``, a migrated SQLite file for the
tests of what only SQLite has (its writer's file handling, locks)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.querylog.backends import LogBackend
from bot.querylog.backends.postgres import PostgresBackend
from bot.querylog.backends.sqlite import SqliteBackend
from bot.querylog.dialect import LogConnection
from tests.pg import pg_cluster, pg_url  # noqa: F401 - fixtures
from tests.querylog.rows import migrate


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """An empty, migrated SQLite query log."""
    database = tmp_path / "log.db"
    asyncio.run(migrate(database))
    return database


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> LogBackend:
    """An empty, migrated query log: a SQLite file, then a PostgreSQL database."""
    log: LogBackend
    if request.param == "sqlite":
        log = SqliteBackend(tmp_path / "log.db")
    else:
        log = PostgresBackend(request.getfixturevalue("pg_url"))
    log.migrate()
    return log


@pytest.fixture
def db(backend: LogBackend) -> Iterator[LogConnection]:
    """A writable connection to ``backend``."""
    with backend.connect(readonly=False) as conn:
        yield conn
