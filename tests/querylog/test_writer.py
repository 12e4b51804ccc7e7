"""The query log on a real SQLite file: migrations, batching, retries, and the side file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.querylog.backends.postgres import COLUMN_TYPES
from bot.querylog.backends.sqlite import SqliteBackend, SqliteStore
from bot.querylog.connection import connect, open_db
from bot.querylog.normalise import normalise_query
from bot.querylog.records import STORED_COLUMNS, QueryRecord
from bot.querylog.schema import SchemaError, migrations
from bot.querylog.writer import QueryLog
from tests.querylog.rows import locked


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
    with locked(path):
        log.record(record(1))
        assert await log.flush() is False
        assert log.pending == 1
    assert await log.flush() is True
    assert log.pending == 0 and len(table(path)) == 1
    await log.close()


async def test_rows_that_cannot_be_written_at_shutdown_go_to_a_side_file(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = QueryLog(path, busy_timeout_ms=20)
    await log.start()
    with locked(path):
        log.record(record(1))
        log.record(record(2, results=[]))
        await log.close(grace_seconds=0.2)
        assert log.spill_path.exists() and log.pending == 0
    # The next start imports them, and they are written.
    again = QueryLog(path)
    await again.start()
    await again.close()
    assert [row["interaction_id"] for row in table(path)] == [1, 2]
    assert table(path)[1]["top_passage_id"] is None
    assert not again.spill_path.exists()


async def test_a_line_cut_short_in_the_side_file_loses_no_other_row(tmp_path: Path) -> None:
    """The disk filled up (or the process died) while a row was spilled: its line is cut short.
    Every row saved before and after it is still imported, and the side file does not stay
    behind to be read again at every start."""
    path = tmp_path / "log.db"
    log = QueryLog(path)
    log._closed = True  # as after close(): each row recorded now goes to the side file
    log.record(record(1))
    log.record(record(2))
    whole = log.spill_path.read_text("utf-8")
    log.spill_path.write_text(whole + '{"interaction_id": 3, "user_', "utf-8")  # cut short
    log.record(record(4))
    log.record(record(5))
    again = QueryLog(path)
    await again.start()
    await again.close()
    assert [row["interaction_id"] for row in table(path)] == [1, 2, 4, 5]
    assert not again.spill_path.exists()
    unreadable = again.spill_path.with_name(again.spill_path.name + ".unreadable")
    assert unreadable.read_text("utf-8") == '{"interaction_id": 3, "user_\n'


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


async def test_a_lone_surrogate_is_stored_and_blocks_no_other_row(tmp_path: Path) -> None:
    """A client can send a lone UTF-16 surrogate, which UTF-8 cannot encode; the row is stored
    with U+FFFD there, and the rows after it are written too."""
    path = tmp_path / "log.db"
    log = QueryLog(path)
    await log.start()
    log.record(record(1, query="North Korea \ud83d", user_name="\udc00Ada \ud83d\ude00"))
    log.record(record(2))
    assert await log.flush() is True
    await log.close()
    stored = table(path)
    assert [row["query"] for row in stored] == ["North Korea \ufffd", "north korea"]
    assert stored[0]["user_name"] == "\ufffdAda 😀"  # a split pair is joined


async def test_rows_that_fail_for_another_reason_go_aside_and_logging_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.db"
    log = QueryLog(path)
    await log.start()
    original = QueryRecord.to_row

    def broken(self: QueryRecord) -> dict[str, object]:
        if self.interaction_id == 1:
            raise RuntimeError("a bug in to_row")
        return original(self)

    monkeypatch.setattr(QueryRecord, "to_row", broken)
    log.record(record(1))
    assert await log.flush() is True  # the batch is set aside, not retried forever
    log.record(record(2))
    await log.close()
    assert [row["interaction_id"] for row in table(path)] == [2]
    assert log.spill_path.exists() and log.written == 1
    monkeypatch.setattr(QueryRecord, "to_row", original)
    again = QueryLog(path)  # the next start imports it
    await again.start()
    await again.close()
    assert sorted(row["interaction_id"] for row in table(path)) == [1, 2]


async def test_a_row_recorded_after_close_goes_to_the_side_file(tmp_path: Path) -> None:
    """An interaction that finishes while the bot shuts down still leaves its row."""
    path = tmp_path / "log.db"
    log = QueryLog(path)
    await log.start()
    await log.close()
    log.record(record(9))
    assert log.pending == 0 and log.spill_path.exists()
    again = QueryLog(path)
    await again.start()
    await again.close()
    assert [row["interaction_id"] for row in table(path)] == [9]


async def test_two_processes_migrating_one_log_at_once_both_open_it(tmp_path: Path) -> None:
    """A bot starting while another process (a second bot, ``corpusbot log``) migrates the same
    file: it read the old version before the other committed, and must not run the scripts again
    ("table queries already exists")."""
    path = tmp_path / "log.db"
    holding = threading.Event()

    def other_process() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("PRAGMA journal_mode = WAL")
        other.create_function("holding", 0, holding.set)
        other.create_function("pause", 1, time.sleep)
        other.create_function("normalise_query", 1, normalise_query)
        # One script, so the lock is held throughout: the bot reads user_version 0 during the
        # pause, then waits for the lock.
        scripts = "\n".join(f"{sql};\nPRAGMA user_version = {v};" for v, sql in migrations())
        other.executescript(
            f"BEGIN IMMEDIATE; SELECT holding(); SELECT pause(0.8);\n{scripts}\nCOMMIT;"
        )
        other.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        assert holding.wait(5)
        db = await connect(path, busy_timeout_ms=5000)
        await db.close()
    finally:
        thread.join()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
    connection.close()


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask for one test (the files must be private whatever it is)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def markers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if ".running" in name]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_log_and_its_side_files_are_private_whatever_the_umask(
    tmp_path: Path, umask: int
) -> None:
    path = tmp_path / "data" / "log.db"
    log = QueryLog(path, busy_timeout_ms=20)
    await log.start()
    log.record(record(1))
    assert await log.flush()
    wal, shm = path.with_name("log.db-wal"), path.with_name("log.db-shm")
    assert {p.name: mode_of(p) for p in (path, wal, shm)} == dict.fromkeys(
        ("log.db", "log.db-wal", "log.db-shm"), 0o600
    )
    assert mode_of(path.parent) == 0o700
    with locked(path):
        log.record(record(2))
        await log.close(grace_seconds=0.1)  # the row goes to the side file
    assert mode_of(log.spill_path) == 0o600
    with log.spill_path.open("ab") as file:
        file.write(b'{"cut short\n')
    again = QueryLog(path)
    await again.start()
    await again.close()
    assert mode_of(again.spill_path.with_name("log.db.unsaved.jsonl.unreadable")) == 0o600


async def test_log_files_open_to_others_are_made_private_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    spill = path.with_name("log.db.unsaved.jsonl")
    spill.write_text("")
    spill.chmod(0o666)
    log = QueryLog(path)
    await log.start()
    await log.close()
    assert mode_of(path) == 0o600
    assert "was readable by others (mode 644); now 0600" in caplog.text
    assert "was readable by others (mode 666)" in caplog.text


def test_the_terminal_creates_a_private_log_too(tmp_path: Path, umask: int) -> None:

    path = tmp_path / "new" / "log.db"
    with contextlib.suppress(SchemaError):  # an empty file: the bot migrates it
        open_db(path, readonly=False).close()
    assert (mode_of(path), mode_of(path.parent)) == (0o600, 0o700)


async def test_a_row_is_written_at_once_when_the_writer_is_idle(tmp_path: Path) -> None:
    """Rows do not wait for a timer: a process killed a moment after an answer has its row."""
    path = tmp_path / "log.db"
    log = QueryLog(path)
    await log.start()
    log.record(record(1))
    for _ in range(40):  # 0.2 s at most
        if table(path):
            break
        await asyncio.sleep(0.005)
    assert len(table(path)) == 1 and log.pending == 0
    await log.close()


async def test_rows_recorded_during_a_write_go_in_the_next_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.db"
    log = QueryLog(path)
    await log.start()
    batches: list[int] = []
    original = log._flush

    async def counted() -> bool:
        batches.append(len(log._buffer))
        return await original()

    monkeypatch.setattr(log, "_flush", counted)
    for n in range(1, 201):
        log.record(record(n))
        if n % 50 == 0:
            await asyncio.sleep(0)  # the writer takes what is there
    for _ in range(500):
        if not log.pending:
            break
        await asyncio.sleep(0.01)
    await log.close()
    assert len(table(path)) == 200 and len(batches) < 20  # batched, not a write per row


async def test_the_next_start_says_when_a_run_did_not_stop_cleanly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.db"
    killed = await asyncio.create_subprocess_exec(  # a run that never closes its log, as after
        *[  # kill -9
            sys.executable,
            "-c",
            "import asyncio, os, sys; from pathlib import Path\n"
            "from bot.querylog.writer import QueryLog\n"
            "async def main():\n"
            "    await QueryLog(Path(sys.argv[1])).start()\n"
            "    os._exit(0)\n"
            "asyncio.run(main())",
            str(path),
        ]
    )
    assert await killed.wait() == 0
    running = QueryLog(path)  # a second process sharing the log is no unclean stop
    await running.start()
    again = QueryLog(path)
    with caplog.at_level(logging.WARNING):
        await again.start()
    assert caplog.text.count("the previous run did not stop cleanly") == 1
    await running.close()
    await again.close()
    caplog.clear()
    clean = QueryLog(path)
    await clean.start()
    await clean.close()
    assert "did not stop cleanly" not in caplog.text
    assert markers(tmp_path) == []


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_log_deleted_or_replaced_while_open_gets_the_later_rows(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows written through the old connection would go to an unlinked file (or one moved
    aside), and the shutdown would report them written."""
    path = tmp_path / "log.db"
    log = QueryLog(path)
    await log.start()
    log.record(record(1))
    assert await log.flush()
    if how == "deleted":
        path.unlink()
    else:
        path.rename(tmp_path / "old.db")
        fresh = QueryLog(tmp_path / "new.db")  # another valid log moved into its place
        await fresh.start()
        await fresh.close()
        (tmp_path / "new.db").rename(path)
    log.record(record(2))
    assert await log.flush()
    await log.close()
    assert [row["interaction_id"] for row in table(path)] == [2]
    assert "was deleted or replaced while open" in caplog.text
    if how == "replaced":  # the moved file keeps its rows, and none of them leaks into the new
        assert [row["interaction_id"] for row in table(tmp_path / "old.db")] == [1]


async def test_rows_past_the_buffer_cap_go_to_the_side_file_and_are_counted(
    tmp_path: Path,
) -> None:
    """A log that cannot be written for a long time must not grow memory without bound."""
    path = tmp_path / "log.db"
    log = QueryLog(path, busy_timeout_ms=20, max_buffered=3)
    await log.start()
    with locked(path):
        for n in range(1, 11):
            log.record(record(n))
        assert (log.pending, log.spilled, log.lost) == (3, 7, 0)
        assert len(log.spill_path.read_text("utf-8").splitlines()) == 7
        await log.close(grace_seconds=0.1)
    assert log.summary() == (
        "0 rows written this run, 10 left over (10 kept in log.db.unsaved.jsonl for the next "
        "start, 0 lost)"
    )
    again = QueryLog(path)
    await again.start()
    await again.close()
    assert sorted(row["interaction_id"] for row in table(path)) == list(range(1, 11))


async def test_rows_that_cannot_be_kept_anywhere_are_counted_lost_not_held(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nowhere to write them (the database locked, the side file unwritable as on a full
    disk): memory still holds no more than the cap, and the count of lost rows is true."""
    path = tmp_path / "log.db"
    log = QueryLog(path, busy_timeout_ms=20, max_buffered=2)
    await log.start()
    log.spill_path.mkdir()  # the side file cannot be written
    with locked(path):
        for n in range(1, 6):
            log.record(record(n))
        assert (log.pending, log.spilled, log.lost) == (2, 0, 3)
        await log.close(grace_seconds=0.1)
    assert log.summary().endswith(
        "5 left over (0 kept in log.db.unsaved.jsonl for the next start, 5 lost)"
    )
    assert caplog.text.count("rows could not be saved") == 2  # the first loss, and at close


SHM_CUT_SHORT = """
import asyncio, os, sys
from pathlib import Path
from bot.querylog.writer import QueryLog
from tests.querylog.test_writer import record

async def main() -> None:
    path = Path(sys.argv[1])
    log = QueryLog(path)
    await log.start()
    log.record(record(1))
    assert await log.flush()
    os.truncate(f"{path}-shm", int(sys.argv[2]))  # another program, while SQLite has it mapped
    log.record(record(2))
    assert await log.flush()
    await log.close()

asyncio.run(main())
"""


@pytest.mark.parametrize("cut_to", [0, 100])
async def test_a_shm_cut_short_while_open_does_not_kill_the_process(
    tmp_path: Path, cut_to: int
) -> None:
    """SQLite keeps ``-shm`` memory-mapped; reading past the end of a file another program
    truncated is SIGBUS, which no Python code can catch (so this runs in its own process)."""
    path = tmp_path / "log.db"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SHM_CUT_SHORT, str(path), str(cut_to), stderr=asyncio.subprocess.PIPE
    )
    _, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()
    assert [row["interaction_id"] for row in table(path)] == [1, 2]
    assert b"-shm was cut from 32768 to" in errors


def test_a_shared_folder_is_left_as_it_is_and_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:

    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    for _ in range(3):  # the bot opens the log for each moderator command
        with contextlib.suppress(SchemaError):
            open_db(folder / "log.db", readonly=False).close()
    assert mode_of(folder) == 0o755 and mode_of(folder / "log.db") == 0o600
    assert caplog.text.count("is open to other users (mode 755)") == 1


class SwallowingStore(SqliteStore):
    """A store whose write, like a driver catching a cancel mid-write, never lets the writer's
    CancelledError through."""

    async def write(self, rows: list[dict[str, Any]]) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.5)
        await super().write(rows)


class SwallowingBackend(SqliteBackend):
    def writer_store(self, busy_timeout_ms: int) -> SqliteStore:
        return SwallowingStore(self.path, busy_timeout_ms)


async def test_close_ends_the_writer_even_when_the_driver_swallows_its_cancel(
    tmp_path: Path,
) -> None:
    """psycopg-pool can catch the CancelledError of a write close() interrupts; the writer
    must stop anyway, or close() waits forever."""
    path = tmp_path / "log.db"
    log = QueryLog(path, backend=SwallowingBackend(path))
    await log.start()
    log.record(record(1))
    await asyncio.sleep(0.1)  # the writer is inside its write now
    log.record(record(2))
    closing = asyncio.create_task(log.close())
    done, _ = await asyncio.wait({closing}, timeout=10)  # a hang, not a speed: 10 s is ample
    if not done:
        closing.cancel()
    assert closing in done, "close() waited forever for the writer"
    assert [row["interaction_id"] for row in table(path)] == [1, 2]


SPILL_ROWS = """
import sys
from pathlib import Path
from bot.querylog.writer import QueryLog
from tests.querylog.test_writer import record

log = QueryLog(Path(sys.argv[1]))
first, count = int(sys.argv[2]), int(sys.argv[3])
for n in range(first, first + count):
    log._spill([record(n)], quiet=True)  # as a process whose database is down does
assert log.lost == 0
"""


async def test_processes_sharing_a_side_file_lose_no_row_while_one_imports_it(
    tmp_path: Path,
) -> None:
    """Bot processes of one log (``corpusbot run --processes``) spill to one side file; a
    process that starts imports and removes it while the others may still be appending."""
    path = tmp_path / "log.db"
    per_process = 1500
    errors = [tmp_path / f"writer-{index}.err" for index in range(2)]
    writers = []
    for index, error_file in enumerate(errors):
        # stderr to a file: a pipe no one reads while the test imports would block a writer
        with error_file.open("wb") as stderr:
            writers.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    SPILL_ROWS,
                    str(path),
                    str(1 + index * per_process),
                    str(per_process),
                    stderr=stderr,
                )
            )
    imported: list[int] = []
    imports = 0
    while any(writer.returncode is None for writer in writers):
        importer = QueryLog(path)
        importer._load_spill()  # what each start does first
        imported += [row.interaction_id for row in importer._buffer]
        imports += 1
        await asyncio.sleep(0.005)
    for writer, error_file in zip(writers, errors, strict=True):
        assert await writer.wait() == 0, error_file.read_text()
    last = QueryLog(path)
    last._load_spill()
    imported += [row.interaction_id for row in last._buffer]
    assert imports > 1
    assert sorted(imported) == list(range(1, 2 * per_process + 1))


def test_a_row_is_stored_in_exactly_the_columns_every_insert_names() -> None:
    """The SQLite and PostgreSQL inserts and ``log copy`` all take ``STORED_COLUMNS``."""
    assert set(record(1).to_row()) == set(STORED_COLUMNS)
    assert len(set(STORED_COLUMNS)) == len(STORED_COLUMNS)
    assert set(COLUMN_TYPES) == set(STORED_COLUMNS)
