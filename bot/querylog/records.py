"""What one logged interaction is: the row the writer stores and the columns a reader gets back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from bot.querylog.clock import timestamp
from bot.querylog.normalise import normalise_query

Outcome = Literal["answered", "no_results", "rate_limited", "error"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# The commands whose rows are members' questions: /ask, "Find in the docs" on a message, a new
# help-forum post. (Pages, "Open", /source and a "Post publicly" repeat are not new questions.)
QUESTION_COMMANDS = ("ask", "find_in_docs", "forum")
# The columns a row is stored in (the keys of ``QueryRecord.to_row``), in one order for every
# INSERT: the writer's on either database and ``corpusbot log copy``.
STORED_COLUMNS = (
    "interaction_id",
    "created_at",
    "guild_id",
    "channel_id",
    "user_id",
    "user_name",
    "command",
    "query",
    "query_key",
    "results",
    "result_count",
    "total_matches",
    "top_passage_id",
    "top_score",
    "latency_ms",
    "outcome",
    "error_id",
)


@dataclass(slots=True)
class QueryRecord:
    """One logged interaction."""

    interaction_id: int
    user_id: int
    user_name: str
    command: str
    query: str
    outcome: Outcome
    latency_ms: float
    guild_id: int | None = None
    channel_id: int | None = None
    results: list[tuple[str, float]] = field(default_factory=list)
    total_matches: int = 0
    error_id: str | None = None
    created_at: str = field(default_factory=timestamp)

    def to_row(self) -> dict[str, Any]:
        """Named parameters for the INSERT."""
        # A shallow copy: asdict() deep-copies every result tuple, ten times slower.
        row = {f.name: _storable(getattr(self, f.name)) for f in fields(self)}
        row["results"] = json.dumps([{"id": pid, "score": round(s, 6)} for pid, s in self.results])
        row["result_count"] = len(self.results)
        row["top_passage_id"] = self.results[0][0] if self.results else None
        row["top_score"] = self.results[0][1] if self.results else None
        row["query_key"] = normalise_query(row["query"])
        return row

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueryRecord:
        """Rebuild a record saved to the side file."""
        data = dict(data)
        data["results"] = [tuple(pair) for pair in data.get("results", [])]
        return cls(**data)


def _storable(value: Any) -> Any:
    """Text either database can store. A lone UTF-16 surrogate (which a client can send in a
    question or a name) cannot be encoded as UTF-8 and would fail the whole batch: a split pair
    is joined, a lone one becomes U+FFFD. So does a NUL, which PostgreSQL text cannot hold."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


EXPORT_COLUMNS = (
    "id",
    "interaction_id",
    "created_at",
    "guild_id",
    "channel_id",
    "user_id",
    "user_name",
    "command",
    "query",
    "outcome",
    "result_count",
    "total_matches",
    "top_passage_id",
    "top_score",
    "latency_ms",
    "error_id",
    "results",
    "votes_up",
    "votes_down",
)


_VOTES = (
    "(SELECT count(*) FROM votes v WHERE v.answer_id = q.interaction_id AND v.vote = 1)"
    " AS votes_up,"
    " (SELECT count(*) FROM votes v WHERE v.answer_id = q.interaction_id AND v.vote = -1)"
    " AS votes_down"
)


ROW_COLUMNS = ", ".join(f"q.{c}" for c in EXPORT_COLUMNS[:-2]) + ", " + _VOTES
