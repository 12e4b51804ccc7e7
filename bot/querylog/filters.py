"""What a listing or export is limited to: a member, text, a time, an outcome, the rows so far.

Every value reaches SQLite as a bound parameter; the only text joined into SQL is fixed fragments
chosen here. ``contains`` is matched with ``LIKE … ESCAPE '\\'`` after escaping ``%``, ``_`` and
``\\``, so it finds exactly the text typed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.corpus.text import shorten
from bot.querylog.dialect import SQLITE, Dialect, LogConnection
from bot.querylog.records import OUTCOMES


def like_escape(text: str) -> str:
    """``text`` as a literal inside a ``LIKE … ESCAPE '\\'`` pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class Filters:
    """What a listing or export is limited to; every field optional, all combined with AND."""

    users: tuple[int, ...] = ()  # members' filter keys (Identities.filter_key)
    contains: str | None = None
    since: str | None = None  # the log's time format
    outcome: str | None = None
    until_id: int | None = None  # freezes a listing: rows added later do not shift its pages

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")

    def where(self, dialect: Dialect = SQLITE) -> tuple[str, list[Any]]:
        """The WHERE clause over ``queries q`` and its parameters, in ``dialect``."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.users:  # stored as the key, or under a raw id that hashes to it
            marks = ", ".join("?" for _ in self.users)
            clauses.append(f"(q.user_id IN ({marks}) OR {dialect.salted}(q.user_id) IN ({marks}))")
            params.extend([*self.users, *self.users])
        if self.contains:
            clauses.append(f"q.query {dialect.like} ? ESCAPE '\\'")
            params.append(f"%{like_escape(self.contains)}%")
        if self.since:
            clauses.append("q.created_at >= ?")
            params.append(self.since)
        if self.outcome:
            clauses.append("q.outcome = ?")
            params.append(self.outcome)
        if self.until_id is not None:
            clauses.append("q.id <= ?")
            params.append(self.until_id)
        return (" AND ".join(clauses) or "TRUE"), params

    def to_json(self) -> dict[str, Any]:
        """The filters as stored with a moderator action."""
        return {key: value for key, value in asdict(self).items() if value not in (None, ())}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        """Filters stored with a moderator action."""
        return cls(
            users=tuple(int(u) for u in data.get("users", ())),
            contains=data.get("contains"),
            since=data.get("since"),
            outcome=data.get("outcome"),
            until_id=data.get("until_id"),
        )

    def describe(self) -> str:
        """The filters in words, for a listing's header."""
        parts = []
        if self.users:
            parts.append("one member")
        if self.contains:
            parts.append(f"containing “{shorten(self.contains, 60)}”")
        if self.since:
            parts.append(f"since {self.since[:16].replace('T', ' ')}")
        if self.outcome:
            parts.append(f"outcome {self.outcome}")
        return ", ".join(parts) or "all queries"


def frozen(conn: LogConnection, filters: Filters) -> Filters:
    """``filters`` limited to the rows that exist now, so later pages stay the same rows."""
    top = conn.execute("SELECT coalesce(max(id), 0) FROM queries").fetchone()[0]
    return Filters(filters.users, filters.contains, filters.since, filters.outcome, int(top))
