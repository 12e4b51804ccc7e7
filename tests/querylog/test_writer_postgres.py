"""The bot's writer on a real PostgreSQL: rows once, and a server that is down or restarting
only delays them. These tests stop and start their own cluster, so they do not share the
session's."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.querylog.backends.postgres import PostgresBackend
from bot.querylog.writer import QueryLog
from tests.pg import PostgresCluster, running_cluster
from tests.querylog.test_writer import record

LOAD = 500


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of this module's own, which its tests stop and start."""
    with running_cluster() as started:
        yield started


@pytest.fixture
def url(cluster: PostgresCluster) -> Iterator[str]:
    """An empty database; the cluster is running again after the test."""
    yield cluster.new_database()
    if not cluster.is_running():
        cluster.start()


def logged(url: str) -> list[int]:
    """Every logged interaction id, repeats included."""
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT interaction_id FROM queries ORDER BY 1")]


def writer(url: str, tmp_path: Path) -> QueryLog:
    """A writer to ``url`` with its side file in ``tmp_path``, retrying quickly."""
    return QueryLog(tmp_path / "log.db", backend=PostgresBackend(url), max_backoff=0.2)


async def test_rows_are_written_once_even_by_two_processes(url: str, tmp_path: Path) -> None:
    """Two bots (two writers) seeing the same interactions, one of them twice: one row each."""
    first, second = writer(url, tmp_path / "a"), writer(url, tmp_path / "b")
    for log in (first, second):
        (log.path.parent).mkdir()
        await log.start()
    for n in range(50):
        first.record(record(n))
        second.record(record(n))
        second.record(record(n))
    await first.close()
    await second.close()
    assert logged(url) == list(range(50))
    assert first.written == 50 and second.written == 100  # attempted; stored once


async def test_meta_values_are_remembered(url: str, tmp_path: Path) -> None:
    log = writer(url, tmp_path)
    await log.start()
    assert await log.get_meta("commands") is None
    assert await log.set_meta("commands", "abc")
    assert await log.set_meta("commands", "def")
    assert await log.get_meta("commands") == "def"
    await log.close()


async def test_a_restart_in_the_middle_of_a_load_loses_and_repeats_nothing(
    url: str, tmp_path: Path, cluster: PostgresCluster
) -> None:
    """``pg_ctl stop -m fast`` (connections cut mid-batch) and start again while 500 rows
    arrive: rows come before, during and after the restart, and afterwards every row is in the
    log, once."""
    log = writer(url, tmp_path)
    await log.start()
    restarted = threading.Event()

    def restart() -> None:
        cluster.stop()
        cluster.start()
        restarted.set()

    restarter: threading.Thread | None = None
    for n in range(LOAD):
        log.record(record(n))
        if n == LOAD // 3:
            restarter = threading.Thread(target=restart)
            restarter.start()
        if n == 2 * LOAD // 3:
            assert await asyncio.to_thread(restarted.wait, 60)
        await asyncio.sleep(0.002)
    assert restarter is not None
    restarter.join()
    await log.close()  # retries with back-off until the server takes the rows
    assert logged(url) == list(range(LOAD))
    assert log.spilled == 0 and log.lost == 0


async def test_a_server_down_when_the_writer_starts_only_delays_the_rows(
    url: str, tmp_path: Path, cluster: PostgresCluster, caplog: pytest.LogCaptureFixture
) -> None:
    cluster.stop()
    # The test server trusts every local connection, so any password does; it must never show.
    log = writer(url.replace("postgres@", "postgres:pa55word-in-url@"), tmp_path)
    await log.start()
    for n in range(100):
        log.record(record(n))
    assert not await log.flush()
    assert log.pending == 100
    assert f"query log {PostgresBackend(url).describe()} not writable" in caplog.text
    assert "pa55word" not in caplog.text
    cluster.start()
    await log.close()
    assert logged(url) == list(range(100))
    assert log.spilled == 0


async def test_rows_still_unwritten_at_shutdown_are_written_by_the_next_start(
    url: str, tmp_path: Path, cluster: PostgresCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    log = writer(url, tmp_path)
    await log.start()
    cluster.stop()
    for n in range(20):
        log.record(record(n))
    await log.close(grace_seconds=0.5)
    assert log.spilled == 20 and log.spill_path.exists()
    cluster.start()
    again = writer(url, tmp_path)
    await again.start()
    await again.close()
    assert logged(url) == list(range(20))
    assert not again.spill_path.exists()
