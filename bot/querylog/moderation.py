"""The rules of moderator buttons: who may turn a listing's pages, and when a purge request may
still be confirmed (by whom, how late, how many times).

The cog only asks Discord who pressed what; these functions decide, on the log itself, so the
rules hold whichever process recorded the request and however often a button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from bot.querylog.actions import Action, follow_up_of, get_action, record_action
from bot.querylog.clock import now_utc
from bot.querylog.connection import atomically
from bot.querylog.dialect import LogConnection
from bot.querylog.retention import Deleted, purge
from bot.querylog.scope import Scope

LISTINGS = ("recent", "unanswered", "feedback")
PURGE_CONFIRM_WITHIN = timedelta(minutes=15)
CONFIRMED, CANCELLED = "purge", "purge_cancelled"

PurgeOutcome = Literal["unknown", "not_yours", "answered", "expired", "cancelled", "purged"]


def owned_listing(
    conn: LogConnection, scope: Scope, action_id: int, owner_key: int
) -> Action | None:
    """The listing recorded as ``action_id``, or ``None`` unless it is a listing, in ``scope``
    (a button forged in another server finds nothing) and run by the member stored as
    ``owner_key``."""
    stored = get_action(conn, scope, action_id)
    if stored is None or stored.action not in LISTINGS or stored.user_id != owner_key:
        return None
    return stored


@dataclass(frozen=True, slots=True)
class PurgeSettled:
    """What became of a press of "Delete them" or "Cancel"."""

    outcome: PurgeOutcome
    deleted: Deleted = field(default_factory=Deleted)


def settle_purge(
    conn: LogConnection,
    scope: Scope,
    request_id: int,
    owner_key: int,
    answer: Action,
    now: datetime | None = None,
) -> PurgeSettled:
    """Confirm (``answer.action`` :data:`CONFIRMED`) or cancel (:data:`CANCELLED`) the purge
    requested as ``request_id`` and record ``answer``: only the requester's own request, in
    ``scope``, once, and a confirmation only within :data:`PURGE_CONFIRM_WITHIN`.

    One transaction: two presses of "Delete them" at once purge and record once."""
    return atomically(conn, lambda: _settle(conn, scope, request_id, owner_key, answer, now))


def _settle(
    conn: LogConnection,
    scope: Scope,
    request_id: int,
    owner_key: int,
    answer: Action,
    now: datetime | None,
) -> PurgeSettled:
    stored = get_action(conn, scope, request_id)  # None from another server
    if stored is None or stored.action != "purge_requested":
        return PurgeSettled("unknown")
    if stored.user_id != owner_key:
        return PurgeSettled("not_yours")
    if follow_up_of(conn, scope, request_id, (CONFIRMED, CANCELLED)):
        return PurgeSettled("answered")
    asked = datetime.fromisoformat(stored.created_at)
    confirm = answer.action == CONFIRMED
    if confirm and (now or now_utc()) - asked > PURGE_CONFIRM_WITHIN:
        return PurgeSettled("expired")
    if not confirm:
        record_action(conn, replace(answer, affected=0))
        return PurgeSettled("cancelled")
    before = str(stored.arguments["before"])
    deleted = purge(conn, scope, before)
    arguments = {**answer.arguments, "before": before}
    record_action(conn, replace(answer, arguments=arguments, affected=deleted.total))
    return PurgeSettled("purged", deleted)
