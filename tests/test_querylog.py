"""The query log on a real SQLite file: migrations, batching, retries, and the side file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.querylog import QueryLog, QueryRecord, migrations


def record(interaction_id: int, **overrides: object) -> QueryRecord:
    fields: dict[str, object] = {
        "interaction_id": interaction_id,
        "user_id": 42,
        "user_name": "Ada",
        "command": "ask",
        "query": "north korea",
        "outcome": "answered",
        "latency_ms": 3.5,
        "results": [("doc#1", 2.5), ("doc#2", 1.25)],
        "total_matches": 7,
    }
    fields.update(overrides)
    return QueryRecord(**fields)  # type: ignore[arg-type]


def table(path: Path) -> list[sqlite3.Row]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute("SELECT * FROM queries ORDER BY id").fetchall()
    finally:
        connection.close()


async def test_rows_are_written_in_wal_mode_with_the_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log.db"
    log = QueryLog(path)
    await log.start()
    log.record(record(1))
    await log.close()
    [row] = table(path)
    assert row["query"] == "north korea" and row["result_count"] == 2 and row["total_matches"] == 7
    assert row["top_passage_id"] == "doc#1" and row["top_score"] == 2.5
    assert row["results"] == '[{"id": "doc#1", "score": 2.5}, {"id": "doc#2", "score": 1.25}]'
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]


async def test_a_replayed_interaction_is_stored_once(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "log.db")
    await log.start()
    log.record(record(7))
    log.record(record(7, query="replayed"))
    await log.close()
    assert [row["query"] for row in table(tmp_path / "log.db")] == ["north korea"]


async def test_a_locked_database_keeps_rows_until_it_frees(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = QueryLog(path, busy_timeout_ms=50)
    await log.start()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    log.record(record(1))
    assert await log.flush() is False
    assert log.pending == 1
    holder.execute("ROLLBACK")
    holder.close()
    assert await log.flush() is True
    assert log.pending == 0 and len(table(path)) == 1
    await log.close()


async def test_rows_that_cannot_be_written_at_shutdown_go_to_a_side_file(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = QueryLog(path, busy_timeout_ms=20)
    await log.start()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    log.record(record(1))
    log.record(record(2, results=[]))
    await log.close(grace_seconds=0.2)
    assert log.spill_path.exists() and log.pending == 0
    holder.execute("ROLLBACK")
    holder.close()
    # The next start imports them, and they are written.
    again = QueryLog(path)
    await again.start()
    await again.close()
    assert [row["interaction_id"] for row in table(path)] == [1, 2]
    assert table(path)[1]["top_passage_id"] is None
    assert not again.spill_path.exists()


async def test_an_unopenable_database_does_not_stop_start_up(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log's folder should be")
    log = QueryLog(blocker / "log.db", busy_timeout_ms=20)
    await log.start()
    log.record(record(1))
    assert await log.flush() is False
    assert await log.get_meta("commands:global") is None
    assert await log.set_meta("commands:global", "x") is False
    await log.close(grace_seconds=0.1)
    assert log.pending == 1  # nowhere to spill either; logged as an error, kept in memory


async def test_meta_round_trip(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "log.db")
    await log.start()
    assert await log.get_meta("k") is None
    assert await log.set_meta("k", "one") and await log.set_meta("k", "two")
    assert await log.get_meta("k") == "two"
    await log.close()
