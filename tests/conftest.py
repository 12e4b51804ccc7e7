"""Shared fixtures: the seed corpus copy under tests/data, small corpora built per test, and an
empty query log (``path``) with a connection to it (``db``)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.index import BM25Parameters, PassageIndex
from bot.querylog.connection import open_db
from bot.search.service import SearchService
from tests.querylog_rows import migrate

DATA = Path(__file__).parent / "data"
SEED_DIR = DATA / "seed"


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the numba kernels into numba's on-disk cache before any test starts a bot.

    A fresh clone has no cache: every bot process would compile them itself (about 15 s on a
    2-core machine) while its first /ask waits, longer than an end-to-end test waits for a
    reply. Once cached, a process loads them in about half a second.
    """
    PassageIndex.build([["a", "b"], ["b", "c"]], BM25Parameters()).warm_up()


@pytest.fixture(scope="session")
def seed_service() -> SearchService:
    """The search service over the seed article (a copy, so editing seeds/ breaks no test)."""
    return SearchService.from_folder(SEED_DIR)


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
