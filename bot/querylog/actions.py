"""Moderator actions: every ``/querylog`` use, CLI purge and retention run, as a row of its own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.querylog.clock import timestamp
from bot.querylog.dialect import LogConnection, dialect_of
from bot.querylog.scope import Scope, both


@dataclass(frozen=True, slots=True)
class Action:
    """One recorded moderator action."""

    source: Literal["discord", "cli", "system"]
    user_id: int
    user_name: str
    action: str
    arguments: dict[str, Any] = field(default_factory=dict)
    guild_id: int | None = None
    affected: int | None = None
    created_at: str = field(default_factory=timestamp)
    id: int | None = None


def record_action(conn: LogConnection, action: Action) -> int:
    """Append a moderator action; returns its id (page buttons carry it)."""
    cursor = conn.execute(
        "INSERT INTO moderation_actions "
        "(created_at, source, guild_id, user_id, user_name, action, arguments, affected) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            action.created_at,
            action.source,
            action.guild_id,
            action.user_id,
            action.user_name,
            action.action,
            json.dumps(action.arguments, ensure_ascii=False),
            action.affected,
        ],
    )
    return int(cursor.fetchone()[0])


def get_action(conn: LogConnection, scope: Scope, action_id: int) -> Action | None:
    """A recorded action by id, or ``None`` (unknown, recorded in another server than
    ``scope``, or removed by retention)."""
    where, params = both(scope.where("a"), ("a.id = ?", [action_id]))
    row = conn.execute(f"SELECT * FROM moderation_actions a WHERE {where}", params).fetchone()
    if row is None:
        return None
    values = dict(row)
    values["arguments"] = json.loads(values["arguments"])
    return Action(**values)


def follow_up_of(
    conn: LogConnection, scope: Scope, action_id: int, actions: tuple[str, ...]
) -> bool:
    """Whether an action in ``scope`` already answered the one with ``action_id`` (e.g. a purge
    confirmed)."""
    marks = ", ".join("?" for _ in actions)
    in_scope, params = scope.where("a")
    row = conn.execute(
        f"SELECT 1 FROM moderation_actions a WHERE {in_scope} AND a.action IN ({marks}) "
        f"AND {dialect_of(conn).json_integer('a.arguments', 'request')} = ? LIMIT 1",
        [*params, *actions, action_id],
    ).fetchone()
    return row is not None
