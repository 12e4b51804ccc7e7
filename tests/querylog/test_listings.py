"""Listings and their filters on a real SQLite file: recent, unanswered, frozen pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.querylog.backends import LogBackend
from bot.querylog.clock import iso, parse_since
from bot.querylog.dialect import LogConnection
from bot.querylog.filters import Filters, frozen
from bot.querylog.identities import Identities
from bot.querylog.listings import recent, unanswered
from bot.querylog.scope import EVERYTHING
from bot.querylog.stats import compute_stats
from bot.querylog.votes import record_vote
from tests.querylog.rows import HOSTILE, NOW, add, ids


def test_recent_is_newest_first_and_paged(db: LogConnection) -> None:
    for n in range(23):
        add(db, interaction_id=n, ago=timedelta(minutes=100 - n))
    first = recent(db, EVERYTHING, Filters(), page=0)
    assert ids(first) == list(range(22, 12, -1))
    assert (first.total, first.pages, first.has_previous, first.has_next) == (23, 3, False, True)
    last = recent(db, EVERYTHING, Filters(), page=2)
    assert ids(last) == [2, 1, 0] and last.has_previous and not last.has_next


def test_recent_row_summary_shows_everything_asked_for(db: LogConnection) -> None:
    add(db, interaction_id=5, user_name="bob", user_id=42, query="north korea")
    record_vote(db, EVERYTHING, 5, 99, 1, ["doc#1"])
    record_vote(db, EVERYTHING, 5, 98, -1, ["doc#1"])
    [row] = recent(db, EVERYTHING, Filters()).rows
    assert row.summary() == (
        "2025-03-10 12:00:00 · bob (42) · /ask “north korea” → answered · top doc#1 (5.00)"
        " · 👍 1 👎 1"
    )


def test_filters_combine(db: LogConnection) -> None:
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
def test_contains_matches_hostile_text_literally(db: LogConnection, needle: str) -> None:
    queries = [*HOSTILE, "plain question", "100 percent", "ab", "a-b", "x" * 4999]
    for n, text in enumerate(queries):
        add(db, interaction_id=n, query=text)
    found = {row.query for row in recent(db, EVERYTHING, Filters(contains=needle), 0, 100).rows}
    assert found == {q for q in queries if needle.lower() in q.lower()}
    assert db.execute("SELECT count(*) FROM queries").fetchone()[0] == len(queries)


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        Filters(outcome="answered' OR 1=1 --")


def test_frozen_filters_keep_pages_stable(db: LogConnection) -> None:
    add(db, interaction_id=1)
    filters = frozen(db, Filters())
    add(db, interaction_id=2)
    assert ids(recent(db, EVERYTHING, filters)) == [1]
    assert Filters.from_json(json.loads(json.dumps(filters.to_json()))) == filters


def test_unanswered_groups_weak_and_missing_answers(db: LogConnection) -> None:
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
    # Asked on a message or in a help forum, a question is a question too.
    add(db, query="weak one", command="find_in_docs", results=[("doc#3", 0.5)])
    add(db, query="Where do quokkas live?", command="forum", outcome="no_results", results=[])
    add(db, query="where do quokkas live", command="post_publicly", outcome="no_results")
    everywhere = unanswered(db, EVERYTHING, weak_score=1.0)
    assert [(u.query, u.asked) for u in everywhere.rows] == [
        ("where do quokkas live", 3),
        ("weak one", 2),
    ]
    assert page.rows[0].summary().startswith("2× “where do quokkas live” · last 2025-03-10 12:00")
    recent_only = unanswered(db, EVERYTHING, weak_score=1.0, since=parse_since("1h", NOW))
    assert [(u.query, u.asked) for u in recent_only.rows] == [
        ("weak one", 2),
        ("where do quokkas live", 2),  # equal counts and times: alphabetical
    ]


def test_unanswered_groups_one_question_however_its_unicode_was_typed(
    db: LogConnection,
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


@pytest.mark.parametrize("hashing_on", [True, False])
def test_a_member_filter_holds_no_raw_id_and_finds_rows_stored_either_way(
    backend: LogBackend, hashing_on: bool
) -> None:
    identities = Identities(b"a-salt-of-sixteen-plus", hashing_on=hashing_on)
    member = 123456789012345678
    with backend.connect(readonly=False, identities=identities) as conn:
        check_member_filter(conn, identities, member)


def check_member_filter(conn: LogConnection, identities: Identities, member: int) -> None:
    add(conn, interaction_id=1, user_id=member)  # stored unhashed
    add(conn, interaction_id=2, user_id=identities.key(member))
    add(conn, interaction_id=3, user_id=Identities(b"a-salt-of-sixteen-plus").key(member))
    add(conn, interaction_id=4, user_id=555)
    filters = frozen(conn, Filters(users=(identities.filter_key(member),)))
    assert ids(recent(conn, EVERYTHING, filters)) == [3, 2, 1]
    assert str(member) not in json.dumps(filters.to_json())
