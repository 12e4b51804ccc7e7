"""Opening the log on a real SQLite file: read-only, missing, too old; one write transaction."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.querylog.actions import Action, follow_up_of, record_action
from bot.querylog.backends import LogBackend
from bot.querylog.clock import cutoff
from bot.querylog.connection import atomically, open_db
from bot.querylog.dialect import LogConnection
from bot.querylog.retention import purge
from bot.querylog.schema import SchemaError
from bot.querylog.scope import EVERYTHING
from tests.querylog.rows import NOW


def test_read_only_connection_cannot_write(path: Path) -> None:
    conn = open_db(path, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM queries")
    conn.close()


def test_missing_database_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_db(tmp_path / "none.db", readonly=True)


def test_old_schema_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    sqlite3.connect(old).execute("PRAGMA user_version = 1").connection.close()
    with pytest.raises(SchemaError):
        open_db(old, readonly=True)


def test_a_check_and_the_change_it_allows_are_one_transaction(
    db: LogConnection, backend: LogBackend
) -> None:
    """What settles a purge request: a second connection checking meanwhile waits for the
    first to commit, then sees its change (so two presses at once purge and log once)."""
    request = record_action(db, Action("discord", 1, "admin", "purge_requested"))
    checked = threading.Event()
    outcomes: list[str] = []

    def first_press() -> None:  # its own connection: SQLite's are per thread
        with backend.connect(readonly=False) as conn:
            settle(conn, True)

    def settle(conn: LogConnection, pause: bool) -> None:
        def work() -> str:
            if follow_up_of(conn, EVERYTHING, request, ("purge",)):
                return "already answered"
            if pause:
                checked.set()
                time.sleep(0.3)  # the other press arrives now
            purge(conn, EVERYTHING, cutoff(30, NOW))  # nested: runs in this transaction
            done = Action("discord", 1, "admin", "purge", arguments={"request": request})
            record_action(conn, done)
            return "purged"

        outcomes.append(atomically(conn, work))

    first = threading.Thread(target=first_press)
    first.start()
    assert checked.wait(5)
    settle(db, False)
    first.join()
    # Either may append first: the waiting press resumes the moment the other commits.
    assert sorted(outcomes) == ["already answered", "purged"]
    actions = db.execute("SELECT count(*) FROM moderation_actions WHERE action = 'purge'")
    assert actions.fetchone()[0] == 1
