"""Whose rows a reader or a change reaches: one server's, direct messages', or all.

One bot serves many servers, and each server's moderators see and change only its rows: every
function that reads or deletes logged questions, votes or moderator actions takes a
:class:`Scope`, and joins its condition to its own with :func:`both`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ScopeKind = Literal["server", "direct_messages", "everything"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose rows a reader or a change of the log reaches: one server's, direct messages', or all.

    Every function that reads or deletes logged questions, votes or moderator actions takes one,
    so no caller can leave it out: ``/querylog`` passes the server it runs in, and only the
    operator's CLI passes :data:`EVERYTHING`. Direct-message rows (``guild_id`` NULL) belong to
    no server. A vote belongs where the answer it is on was asked.
    """

    kind: ScopeKind
    guild_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind == "server") != (self.guild_id is not None):
            raise ValueError("a server scope needs a server id, and only it has one")

    @classmethod
    def server(cls, guild_id: int) -> Scope:
        """One server's rows."""
        return cls("server", guild_id)

    @classmethod
    def where_asked(cls, guild_id: int | None) -> Scope:
        """The server an interaction came from, or direct messages when it has none."""
        return DIRECT_MESSAGES if guild_id is None else cls.server(guild_id)

    def includes(self, guild_id: int | None) -> bool:
        """Whether a row with this ``guild_id`` is in scope."""
        if self.kind == "everything":
            return True
        return guild_id == self.guild_id  # both None for direct messages

    def where(self, table: str = "q") -> tuple[str, list[Any]]:
        """The condition on a row of ``queries`` or ``moderation_actions`` named ``table``."""
        if self.kind == "server":
            return f"{table}.guild_id = ?", [self.guild_id]
        if self.kind == "direct_messages":
            return f"{table}.guild_id IS NULL", []
        return "TRUE", []

    def votes_where(self, table: str = "v") -> tuple[str, list[Any]]:
        """The condition on a row of ``votes`` named ``table``: its answer is in scope."""
        if self.kind == "everything":
            return "TRUE", []  # votes on answers no longer logged too
        answer, params = self.where("answer")
        return (
            "EXISTS (SELECT 1 FROM queries answer "
            f"WHERE answer.interaction_id = {table}.answer_id AND {answer})",
            params,
        )

    def describe(self) -> str:
        """The scope in words, for the CLI."""
        if self.kind == "server":
            return f"server {self.guild_id}"
        return "direct messages" if self.kind == "direct_messages" else "every server and DM"

    def to_json(self) -> dict[str, Any]:
        """The scope as stored with a moderator action."""
        if self.guild_id is None:
            return {"scope": self.kind}
        return {"scope": self.kind, "guild_id": self.guild_id}


EVERYTHING = Scope("everything")


DIRECT_MESSAGES = Scope("direct_messages")


class OutOfScope(ValueError):
    """A change asked for a row of another server (a forged button, say)."""


def both(first: tuple[str, list[Any]], second: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    """Two conditions joined with AND, their parameters in order."""
    return f"({first[0]}) AND ({second[0]})", [*first[1], *second[1]]
