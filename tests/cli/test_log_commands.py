"""``corpusbot log``: the same rows as /querylog, in the terminal, safe beside a running bot."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.querylog.clock import cutoff, iso, now_utc
from bot.querylog.connection import open_db
from bot.querylog.filters import Filters
from bot.querylog.listings import recent
from bot.querylog.schema import latest_version, migrations
from bot.querylog.scope import EVERYTHING
from bot.querylog.votes import record_vote
from tests.querylog.rows import NOW, add, migrate


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """A log with three fresh questions and one from 100 days ago."""
    path = tmp_path / "log.db"
    asyncio.run(migrate(path))
    conn = open_db(path, readonly=False)
    fresh = iso(now_utc())
    old = cutoff(100)
    add(conn, interaction_id=1, query="satellite 100% sure", user_id=11, created_at=fresh)
    add(
        conn,
        interaction_id=2,
        query="rockets",
        user_id=12,
        outcome="no_results",
        results=[],
        created_at=fresh,
    )
    add(conn, interaction_id=3, query="satellite again", user_id=12, created_at=fresh)
    add(conn, interaction_id=4, query="old question", created_at=old)
    record_vote(conn, EVERYTHING, 3, 11, -1, ["doc#1"])
    conn.close()
    yield path


def log(database: Path, *args: str) -> int:
    return main(["log", "--db", str(database), *args])


def test_recent_prints_the_same_lines_as_discord(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert log(database, "recent", "--contains", "satellite", "--user", "12") == 0
    out = capsys.readouterr().out.splitlines()
    conn = open_db(database, readonly=True)
    [row] = recent(conn, EVERYTHING, Filters(users=(12,), contains="satellite")).rows
    conn.close()
    assert out == [row.summary(), "-- page 1 of 1 · 1 in all · one member, containing “satellite”"]
    assert "👎 1" in out[0]


@pytest.mark.parametrize(
    ("needle", "count"), [("%", 1), ("_", 0), ("'; DROP TABLE queries; --", 0)]
)
def test_recent_filters_hostile_text_literally(
    database: Path, capsys: pytest.CaptureFixture[str], needle: str, count: int
) -> None:
    assert log(database, "recent", "--contains", needle, "--json") == 0
    assert len(capsys.readouterr().out.splitlines()) == count


def test_export_jsonl_equals_the_rows(database: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    assert (
        log(database, "export", "--format", "jsonl", "--outcome", "answered", "-o", str(target))
        == 0
    )
    exported = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    stored = [
        dict(r)
        for r in conn.execute("SELECT * FROM queries WHERE outcome = 'answered' ORDER BY id")
    ]
    conn.close()
    for row in stored:
        row["results"] = json.loads(row["results"])
        del row["query_key"]  # the grouping key is not exported
    assert [{k: e[k] for k in row} for e, row in zip(exported, stored, strict=True)] == stored
    assert [(e["interaction_id"], e["votes_down"]) for e in exported] == [(1, 0), (3, 1), (4, 0)]


def test_stats_and_unanswered(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert log(database, "stats", "--days", "7", "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["queries"] == 3 and stats["answered"] == 2 and stats["votes_down"] == 1
    assert log(database, "unanswered") == 0
    assert capsys.readouterr().out.startswith("1× “rockets”")


def test_purge_asks_first_and_is_recorded(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert log(database, "purge", "--older-than-days", "30") == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert log(database, "purge", "--older-than-days", "30") == 0
    assert "deleted 1 logged questions and 0 votes" in capsys.readouterr().out
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT count(*) FROM queries").fetchone()[0] == 3
    assert conn.execute("SELECT source, action, affected FROM moderation_actions").fetchall() == [
        ("cli", "purge", 1)
    ]
    conn.close()


def test_reads_while_the_bot_holds_a_write_transaction(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO queries (interaction_id, created_at, user_id, user_name, command, query,"
        " outcome, latency_ms) VALUES (9, ?, 1, 'a', 'ask', 'uncommitted', 'answered', 1)",
        [iso(NOW)],
    )
    try:
        assert log(database, "recent") == 0
        out = capsys.readouterr().out
        assert "satellite again" in out and "uncommitted" not in out
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_errors_are_explained(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert log(database, "recent", "--since", "yesterday") == 2
    assert "`since` takes a span" in capsys.readouterr().err
    assert log(tmp_path / "missing.db", "recent") == 2
    assert "no query log" in capsys.readouterr().err
    assert log(database, "recent", "--since", "9999-12-31T23:00-05:00") == 2
    assert "`since` is too far" in capsys.readouterr().err
    assert log(database, "purge", "--older-than-days", "1000000000", "--yes") == 2
    assert "before the first date" in capsys.readouterr().err
    for option in ("--page-size", "--page"):
        with pytest.raises(SystemExit) as exited:
            log(database, "recent", option, "0")
        assert exited.value.code == 2 and "less than 1" in capsys.readouterr().err


def test_an_old_log_is_migrated_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.executescript(migrations()[0][1] + "\nPRAGMA user_version = 1;")
    conn.close()
    assert log(path, "feedback") == 0
    assert "Nothing matches." in capsys.readouterr().out
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == latest_version()


@pytest.fixture
def servers(database: Path) -> Path:
    """The log above (all in server 7) plus a question in server 8 and one in a DM, voted on."""
    conn = open_db(database, readonly=False)
    fresh = iso(now_utc())
    add(conn, interaction_id=5, query="eighth server", guild_id=8, created_at=fresh)
    add(conn, interaction_id=6, query="direct message", guild_id=None, created_at=fresh)
    record_vote(conn, EVERYTHING, 5, 11, -1, ["doc#8"])
    conn.close()
    return database


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ((), [1, 2, 3, 4, 5, 6]),
        (("--guild", "7"), [1, 2, 3, 4]),
        (("--guild", "8"), [5]),
        (("--dm",), [6]),
        (("--guild", "9"), []),
    ],
)
def test_guild_and_dm_limit_every_listing(
    servers: Path, capsys: pytest.CaptureFixture[str], where: tuple[str, ...], expected: list[int]
) -> None:
    assert log(servers, "recent", *where, "--json") == 0
    listed = [json.loads(line)["interaction_id"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(listed) == expected
    assert log(servers, "export", *where, "--format", "jsonl") == 0
    exported = [json.loads(line)["interaction_id"] for line in capsys.readouterr().out.splitlines()]
    assert exported == expected
    assert log(servers, "stats", *where, "--days", "7", "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["queries"] == len([n for n in expected if n != 4])  # 4 is 100 days old
    assert stats["votes_down"] == (3 in expected) + (5 in expected)


def test_feedback_and_unanswered_by_guild(
    servers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert log(servers, "feedback", "--guild", "8") == 0
    out = capsys.readouterr().out
    assert out.startswith("doc#8 · 👎 1") and "doc#1" not in out and "server 8" in out
    assert log(servers, "unanswered", "--guild", "8") == 0
    assert capsys.readouterr().out.startswith("Nothing matches.")
    assert log(servers, "unanswered", "--guild", "7") == 0
    assert capsys.readouterr().out.startswith("1× “rockets”")


def test_purge_of_one_guild_keeps_the_rest_and_is_recorded(
    servers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "y")
    assert log(servers, "purge", "--guild", "8", "--older-than-days", "0") == 0
    assert asked == ["Delete 1 logged questions (and votes) older than 0 days, of server 8? [y/N] "]
    assert "deleted 1 logged questions and 1 votes" in capsys.readouterr().out
    conn = sqlite3.connect(servers)
    left = conn.execute("SELECT interaction_id FROM queries ORDER BY interaction_id").fetchall()
    assert [n for (n,) in left] == [1, 2, 3, 4, 6]
    assert conn.execute("SELECT answer_id FROM votes").fetchall() == [(3,)]
    [(guild, arguments)] = conn.execute("SELECT guild_id, arguments FROM moderation_actions")
    assert guild == 8 and json.loads(arguments)["scope"] == "server"
    conn.close()


def test_guild_and_dm_cannot_be_combined(servers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        log(servers, "recent", "--guild", "7", "--dm")
    assert exited.value.code == 2 and "not allowed with" in capsys.readouterr().err
