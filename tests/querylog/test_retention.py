"""Rows leaving the log: purge, retention, forget-me."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Settings
from bot.querylog.actions import Action, get_action, record_action
from bot.querylog.clock import cutoff, iso
from bot.querylog.dialect import LogConnection
from bot.querylog.filters import Filters
from bot.querylog.identities import Identities
from bot.querylog.listings import recent
from bot.querylog.retention import expire, forget, purge
from bot.querylog.scope import EVERYTHING
from bot.querylog.votes import record_vote
from tests.querylog.rows import NOW, add, ids


def test_purge_deletes_old_queries_and_votes_but_keeps_actions(db: LogConnection) -> None:
    add(db, interaction_id=1, ago=timedelta(days=40))
    add(db, interaction_id=2, ago=timedelta(days=2))
    record_vote(db, EVERYTHING, 1, 5, 1, [], at=iso(NOW - timedelta(days=40)))
    record_vote(db, EVERYTHING, 2, 5, 1, [], at=iso(NOW - timedelta(days=2)))
    record_action(db, Action("cli", 0, "op", "stats", created_at=iso(NOW - timedelta(400))))
    deleted = purge(db, EVERYTHING, cutoff(30, NOW))
    assert (deleted.queries, deleted.votes, deleted.actions) == (1, 1, 0)
    assert ids(recent(db, EVERYTHING, Filters())) == [2]
    assert db.execute("SELECT count(*) FROM moderation_actions").fetchone()[0] == 1


def test_retention_also_expires_moderator_actions(db: LogConnection) -> None:
    add(db, ago=timedelta(days=100))
    old = iso(NOW - timedelta(days=100))
    record_action(db, Action("discord", 1, "mod", "recent", created_at=old))
    kept = record_action(db, Action("discord", 1, "mod", "recent"))
    assert expire(db, cutoff(90, NOW)).total == 2
    assert get_action(db, EVERYTHING, kept) is not None


def test_forget_removes_rows_under_raw_and_hashed_ids(db: LogConnection) -> None:
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
    db: LogConnection,
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
