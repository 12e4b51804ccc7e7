"""Moderator actions recorded and found again."""

from __future__ import annotations

from bot.querylog.actions import Action, follow_up_of, get_action, record_action
from bot.querylog.dialect import LogConnection
from bot.querylog.scope import EVERYTHING


def test_actions_round_trip_and_follow_ups(db: LogConnection) -> None:
    action = Action("discord", 1, "mod", "purge_requested", {"older_than_days": 30}, guild_id=7)
    request = record_action(db, action)
    stored = get_action(db, EVERYTHING, request)
    assert stored is not None and stored.arguments == {"older_than_days": 30}
    assert not follow_up_of(db, EVERYTHING, request, ("purge", "purge_cancelled"))
    record_action(db, Action("discord", 1, "mod", "purge", {"request": request}))
    assert follow_up_of(db, EVERYTHING, request, ("purge", "purge_cancelled"))
    assert get_action(db, EVERYTHING, 999) is None
