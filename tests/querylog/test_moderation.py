"""The rules of moderator buttons on a real SQLite file: a listing's pages are its owner's, and a
purge request is settled by its requester, in its server, once, confirmed within 15 minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.querylog.actions import Action, get_action, record_action
from bot.querylog.clock import iso
from bot.querylog.dialect import LogConnection
from bot.querylog.moderation import (
    CANCELLED,
    CONFIRMED,
    PURGE_CONFIRM_WITHIN,
    owned_listing,
    settle_purge,
)
from bot.querylog.scope import DIRECT_MESSAGES, Scope
from tests.querylog.rows import NOW, add

SERVER = Scope.server(7)
OWNER, OTHER = 1, 2


def request_purge(conn: LogConnection, asked_ago: timedelta = timedelta(0)) -> int:
    """A purge request by OWNER in SERVER of everything older than a day before NOW."""
    arguments = {"older_than_days": 1, "before": iso(NOW - timedelta(days=1))}
    asked = Action(
        "discord", OWNER, "mod", "purge_requested", arguments, 7, created_at=iso(NOW - asked_ago)
    )
    return record_action(conn, asked)


def answer(action: str, request: int) -> Action:
    """OWNER's press of "Delete them" (CONFIRMED) or "Cancel" (CANCELLED) on ``request``."""
    return Action("discord", OWNER, "mod", action, {"request": request}, 7)


def questions(conn: LogConnection) -> int:
    return int(conn.execute("SELECT count(*) FROM queries").fetchone()[0])


def test_a_confirmed_purge_deletes_and_is_recorded_once(db: LogConnection) -> None:
    add(db, ago=timedelta(days=3))
    add(db)
    request = request_purge(db)
    first = settle_purge(db, SERVER, request, OWNER, answer(CONFIRMED, request), now=NOW)
    assert (first.outcome, first.deleted.queries, questions(db)) == ("purged", 1, 1)
    again = settle_purge(db, SERVER, request, OWNER, answer(CONFIRMED, request), now=NOW)
    assert again.outcome == "answered"
    recorded = db.execute("SELECT action, affected FROM moderation_actions ORDER BY id").fetchall()
    assert [tuple(row) for row in recorded] == [("purge_requested", None), ("purge", 1)]


def test_a_confirmation_too_late_expires_but_a_cancel_does_not(db: LogConnection) -> None:
    add(db, ago=timedelta(days=3))
    late = PURGE_CONFIRM_WITHIN + timedelta(seconds=1)
    request = request_purge(db, asked_ago=late)
    assert settle_purge(
        db, SERVER, request, OWNER, answer(CONFIRMED, request), now=NOW
    ).outcome == ("expired")
    assert questions(db) == 1
    cancelled = settle_purge(db, SERVER, request, OWNER, answer(CANCELLED, request), now=NOW)
    assert (cancelled.outcome, questions(db)) == ("cancelled", 1)
    in_time = request_purge(db, asked_ago=PURGE_CONFIRM_WITHIN)
    assert settle_purge(
        db, SERVER, in_time, OWNER, answer(CONFIRMED, in_time), now=NOW
    ).outcome == ("purged")


@pytest.mark.parametrize(
    ("scope", "owner", "outcome"),
    [
        (SERVER, OTHER, "not_yours"),
        (Scope.server(8), OWNER, "unknown"),  # a button forged in another server
        (DIRECT_MESSAGES, OWNER, "unknown"),
    ],
)
def test_only_the_requester_in_its_server_settles_a_purge(
    db: LogConnection, scope: Scope, owner: int, outcome: str
) -> None:
    add(db, ago=timedelta(days=3))
    request = request_purge(db)
    assert (
        settle_purge(db, scope, request, owner, answer(CONFIRMED, request), now=NOW).outcome
        == outcome
    )
    assert questions(db) == 1


def test_a_listing_is_found_only_for_its_owner_in_its_server(db: LogConnection) -> None:
    listing = record_action(db, Action("discord", OWNER, "mod", "recent", {"filters": {}}, 7))
    not_a_listing = request_purge(db)
    assert owned_listing(db, SERVER, listing, OWNER) == get_action(db, SERVER, listing)
    assert owned_listing(db, SERVER, listing, OTHER) is None
    assert owned_listing(db, Scope.server(8), listing, OWNER) is None
    assert owned_listing(db, SERVER, not_a_listing, OWNER) is None
