"""Help forums in the log: enabled per server, each post taken up once, each problem told once."""

from __future__ import annotations

from bot.querylog.backends import LogBackend
from bot.querylog.dialect import LogConnection
from bot.querylog.forums import (
    add_forum,
    claim_notice,
    claim_post,
    enabled_forums,
    forum_enabler,
    remove_forum,
)
from bot.querylog.retention import forget

GUILD, OTHER_GUILD, FORUM, ADMIN = 10, 20, 100, 7


def test_forums_are_enabled_per_server(db: LogConnection) -> None:
    assert enabled_forums(db, GUILD) == []
    assert add_forum(db, GUILD, FORUM, ADMIN)
    assert not add_forum(db, GUILD, FORUM, ADMIN + 1)  # already: the first enabler is kept
    assert add_forum(db, GUILD, FORUM + 1, ADMIN)
    assert enabled_forums(db, GUILD) == [FORUM, FORUM + 1]
    assert enabled_forums(db, OTHER_GUILD) == []
    assert forum_enabler(db, GUILD, FORUM) == ADMIN
    assert forum_enabler(db, OTHER_GUILD, FORUM) is None
    assert not remove_forum(db, OTHER_GUILD, FORUM)  # another server cannot turn it off
    assert remove_forum(db, GUILD, FORUM)
    assert not remove_forum(db, GUILD, FORUM)
    assert enabled_forums(db, GUILD) == [FORUM + 1]


def test_a_post_is_taken_up_once_and_only_in_an_enabled_forum(db: LogConnection) -> None:
    assert not claim_post(db, GUILD, FORUM, 1000)  # not enabled
    add_forum(db, GUILD, FORUM, ADMIN)
    assert not claim_post(db, OTHER_GUILD, FORUM, 1001)  # enabled in another server only
    assert claim_post(db, GUILD, FORUM, 1000)
    assert not claim_post(db, GUILD, FORUM, 1000)
    assert claim_post(db, GUILD, FORUM, 1002)


def test_a_claim_survives_a_new_connection(backend: LogBackend) -> None:
    with backend.connect(readonly=False) as first:
        add_forum(first, GUILD, FORUM, ADMIN)
        assert claim_post(first, GUILD, FORUM, 1000)
    with backend.connect(readonly=False) as second:
        assert not claim_post(second, GUILD, FORUM, 1000)


def test_a_problem_is_told_once_per_channel(db: LogConnection) -> None:
    assert claim_notice(db, GUILD, FORUM, "cannot_send")
    assert not claim_notice(db, GUILD, FORUM, "cannot_send")
    assert claim_notice(db, GUILD, FORUM, "cannot_read_history")
    assert claim_notice(db, GUILD, FORUM + 1, "cannot_send")


def test_an_administrator_who_is_forgotten_leaves_the_forum_enabled(db: LogConnection) -> None:
    add_forum(db, GUILD, FORUM, ADMIN)
    add_forum(db, GUILD, FORUM + 1, ADMIN + 1)
    forget(db, (ADMIN,))
    assert enabled_forums(db, GUILD) == [FORUM, FORUM + 1]
    assert forum_enabler(db, GUILD, FORUM) == 0  # no one to tell privately any more
    assert forum_enabler(db, GUILD, FORUM + 1) == ADMIN + 1
