"""Each server's rows are its own: every reader and change sees only its scope."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from bot.querylog.actions import Action, follow_up_of, get_action, record_action
from bot.querylog.clock import cutoff, iso
from bot.querylog.dialect import LogConnection
from bot.querylog.export import export
from bot.querylog.filters import Filters
from bot.querylog.listings import feedback, recent, unanswered
from bot.querylog.retention import count_before, purge
from bot.querylog.scope import DIRECT_MESSAGES, EVERYTHING, OutOfScope, Scope, ScopeKind
from bot.querylog.stats import compute_stats
from bot.querylog.votes import record_vote
from tests.querylog.rows import NOW, add, ids

A, B = Scope.server(7), Scope.server(8)


DM = DIRECT_MESSAGES


@pytest.fixture
def servers(db: LogConnection) -> LogConnection:
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


def everything_seen(conn: LogConnection, scope: Scope) -> dict[str, object]:
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
    servers: LogConnection, scope: Scope, expected: dict[str, object]
) -> None:
    assert everything_seen(servers, scope) == expected


def test_purging_one_server_leaves_the_others_rows(servers: LogConnection) -> None:
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


def test_purging_direct_messages_leaves_every_server(servers: LogConnection) -> None:
    deleted = purge(servers, DM, cutoff(0, NOW + timedelta(seconds=1)))
    assert (deleted.queries, deleted.votes) == (1, 1)
    assert {row[0] for row in servers.execute("SELECT guild_id FROM queries")} == {7, 8}


def test_a_vote_on_another_servers_answer_is_refused(servers: LogConnection) -> None:
    with pytest.raises(OutOfScope):
        record_vote(servers, B, 1, 102, 1, ["doc7#1"])
    with pytest.raises(OutOfScope):
        record_vote(servers, DM, 11, 102, 1, ["doc8#1"])
    assert record_vote(servers, A, 1, 102, 1, ["doc7#1"]) is None
    assert record_vote(servers, B, 5000, 102, 1, []) is None  # not logged yet: taken
    assert servers.execute("SELECT count(*) FROM votes WHERE user_id = 102").fetchone()[0] == 2


def test_a_moderator_action_is_found_only_in_its_server(db: LogConnection) -> None:
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
