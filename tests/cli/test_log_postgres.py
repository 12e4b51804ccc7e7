"""``corpusbot log`` on PostgreSQL: ``log copy`` moves a SQLite log across, and every other
subcommand, reading ``QUERY_LOG_URL``, shows what it showed of the SQLite log."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from tests.cli.test_log_commands import database  # noqa: F401 - the SQLite log fixture
from tests.pg import pg_cluster, pg_url  # noqa: F401 - fixtures


def without_ids(lines: str) -> list[dict[str, object]]:
    """JSON lines without the row ids, which PostgreSQL gives anew."""
    rows = [json.loads(line) for line in lines.splitlines()]
    for row in rows:
        row.pop("id")
    return rows


def test_copy_moves_every_row_once_however_often_it_runs(
    database: Path,  # noqa: F811
    pg_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["log", "--db", str(database), "copy", "--to", pg_url, "--batch-size", "2"]) == 0
    first = capsys.readouterr().out
    assert "4 of 4 questions, 1 of 1 votes" in first
    assert "postgresql://127.0.0.1" in first
    assert main(["log", "--db", str(database), "copy", "--to", pg_url]) == 0
    assert "0 of 4 questions, 0 of 1 votes" in capsys.readouterr().out
    with psycopg.connect(pg_url) as conn:
        [(questions, distinct)] = conn.execute(
            "SELECT count(*), count(DISTINCT interaction_id) FROM queries"
        ).fetchall()
    assert questions == distinct == 4


def test_copy_refuses_a_url_that_is_not_postgresql(
    database: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["log", "--db", str(database), "copy", "--to", "mysql://x/y"]) == 2
    assert "postgresql://" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["recent", "--json", "--page-size", "50"],
        ["recent", "--contains", "SATELLITE", "--json"],
        ["export", "--format", "jsonl"],
        ["export", "--format", "jsonl", "--user", "12", "--outcome", "answered"],
    ],
)
def test_listings_on_postgresql_equal_those_of_the_sqlite_log(
    database: Path,  # noqa: F811
    pg_url: str,  # noqa: F811
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["log", "--db", str(database), "copy", "--to", pg_url]) == 0
    capsys.readouterr()
    assert main(["log", "--db", str(database), *command]) == 0
    on_sqlite = capsys.readouterr().out
    monkeypatch.setenv("QUERY_LOG_URL", pg_url)
    assert main(["log", *command]) == 0
    on_postgres = capsys.readouterr().out
    assert without_ids(on_postgres) == without_ids(on_sqlite) != []


def test_stats_and_purge_on_postgresql(
    database: Path,  # noqa: F811
    pg_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["log", "--db", str(database), "copy", "--to", pg_url]) == 0
    capsys.readouterr()
    assert main(["log", "--db", str(database), "stats", "--json"]) == 0
    on_sqlite = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("QUERY_LOG_URL", pg_url)
    assert main(["log", "stats", "--json"]) == 0
    on_postgres = json.loads(capsys.readouterr().out)
    assert on_postgres == on_sqlite
    assert on_postgres["queries"] == 3 and on_postgres["votes_down"] == 1
    assert main(["log", "purge", "--older-than-days", "30", "--yes"]) == 0
    assert "deleted 1 logged questions" in capsys.readouterr().out
    with psycopg.connect(pg_url) as conn:
        [(action, affected)] = conn.execute(
            "SELECT action, affected FROM moderation_actions"
        ).fetchall()
    assert (action, affected) == ("purge", 1)


def test_a_server_that_cannot_be_reached_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUERY_LOG_URL", "postgresql://corpusbot:s3cret@127.0.0.1:1/none")
    assert main(["log", "recent"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("corpusbot log: the query log at postgresql://127.0.0.1:1/none")
    assert "s3cret" not in error


@pytest.mark.parametrize(
    "url", ["postgresql://bot:s3cret@[bad", "postgresql://bot:s3cret@h/db?x=1"]
)
def test_a_malformed_url_is_refused_without_repeating_it(
    database: Path,  # noqa: F811
    url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libpq's own message for a URL it cannot parse quotes it whole, password included."""
    assert main(["log", "--db", str(database), "copy", "--to", url]) == 2
    monkeypatch.setenv("QUERY_LOG_URL", url)
    assert main(["log", "recent"]) == 2
    output = capsys.readouterr()
    assert "s3cret" not in output.out + output.err
    assert "QUERY_LOG_URL: is not a valid postgresql://" in output.err
