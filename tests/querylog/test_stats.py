"""The log in numbers on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

from bot.querylog.dialect import LogConnection
from bot.querylog.scope import EVERYTHING
from bot.querylog.stats import compute_stats
from bot.querylog.votes import record_vote
from tests.querylog.rows import NOW, add


def test_stats(db: LogConnection) -> None:
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


def test_stats_of_an_empty_log(db: LogConnection) -> None:
    stats = compute_stats(db, EVERYTHING, days=3, now=NOW)
    assert stats.queries == 0 and stats.median_latency_ms is None and stats.answered_share is None


def test_stats_count_questions_by_where_they_were_asked(db: LogConnection) -> None:
    add(db, command="ask")
    add(db, command="ask", outcome="no_results", results=[])
    add(db, command="find_in_docs")
    add(db, command="post_publicly")  # repeats the find_in_docs question: by place only
    add(db, command="forum")
    add(db, command="forum", outcome="no_results", results=[])
    add(db, command="forum", outcome="rate_limited", results=[])
    add(db, command="more")  # a page of an answer, not a question
    stats = compute_stats(db, EVERYTHING, days=7, now=NOW)
    assert (stats.queries, stats.answered) == (6, 3)
    assert [(p.command, p.queries, p.answered) for p in stats.by_place] == [
        ("ask", 2, 1),
        ("find_in_docs", 1, 1),
        ("forum", 3, 1),
        ("post_publicly", 1, 1),
    ]
    assert stats.summary_lines()[-1] == (
        "Where: /ask 2 (1 answered), Find in the docs 1 (1 answered), "
        "help forums 3 (1 answered), posted publicly 1 (1 answered)"
    )
