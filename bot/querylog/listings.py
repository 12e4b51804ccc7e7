"""Pages of the log: recent questions, what the corpus is missing, passages voted unhelpful."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.corpus.text import shorten
from bot.querylog.dialect import LogConnection, dialect_of
from bot.querylog.filters import Filters
from bot.querylog.records import QUESTION_COMMANDS, ROW_COLUMNS
from bot.querylog.scope import Scope, both

T = TypeVar("T")
PAGE_SIZE = 10
_DOWN = "sum(CASE WHEN v.vote = -1 THEN 1 ELSE 0 END)"
_UP = "sum(CASE WHEN v.vote = 1 THEN 1 ELSE 0 END)"
QUERY_SHOWN_CHARS = 150


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing."""

    rows: list[T]
    page: int  # 0-based
    total: int
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the listing has (at least one)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 0

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page + 1 < self.pages


@dataclass(frozen=True, slots=True)
class LoggedQuery:
    """One row of the query log with its votes, as listed and exported."""

    id: int
    interaction_id: int
    created_at: str
    guild_id: int | None
    channel_id: int | None
    user_id: int
    user_name: str
    command: str
    query: str
    outcome: str
    result_count: int
    total_matches: int
    top_passage_id: str | None
    top_score: float | None
    latency_ms: float
    error_id: str | None
    results: str
    votes_up: int
    votes_down: int

    def summary(self) -> str:
        """One line: time, user, command and query, outcome, top passage and score, votes."""
        when = self.created_at[:19].replace("T", " ")
        top = (
            f"top {self.top_passage_id} ({self.top_score:.2f})"
            if self.top_passage_id is not None and self.top_score is not None
            else "no passage"
        )
        votes = (
            f" · 👍 {self.votes_up} 👎 {self.votes_down}"
            if self.votes_up or self.votes_down
            else ""
        )
        query = shorten(self.query, QUERY_SHOWN_CHARS)
        return (
            f"{when} · {self.user_name} ({self.user_id}) · /{self.command} “{query}” → "
            f"{self.outcome} · {top}{votes}"
        )


def _page_bounds(page: int, page_size: int, total: int) -> tuple[int, int, int]:
    """LIMIT, OFFSET and the page shown: past the last page (rows deleted since the listing
    opened, a ``--page`` too high) is the last page there is, not an empty one."""
    empty: Page[Any] = Page([], 0, total, page_size)
    shown = min(max(0, page), empty.pages - 1)
    return page_size, shown * page_size, shown


def recent(
    conn: LogConnection,
    scope: Scope,
    filters: Filters,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page[LoggedQuery]:
    """Logged queries in ``scope`` matching ``filters``, newest first."""
    where, params = both(scope.where(), filters.where(dialect_of(conn)))
    total = conn.execute(f"SELECT count(*) FROM queries q WHERE {where}", params).fetchone()[0]
    limit, offset, page = _page_bounds(page, page_size, int(total))
    rows = conn.execute(
        f"SELECT {ROW_COLUMNS} FROM queries q WHERE {where} "
        "ORDER BY q.created_at DESC, q.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return Page([LoggedQuery(**dict(row)) for row in rows], page, int(total), page_size)


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A question the corpus could not answer well, grouped by its normalised text."""

    query: str
    asked: int
    last_asked: str
    best_score: float | None

    def summary(self) -> str:
        """One line: count, question, last asked, best score."""
        best = "no result" if self.best_score is None else f"best score {self.best_score:.2f}"
        when = self.last_asked[:16].replace("T", " ")
        return f"{self.asked}× “{shorten(self.query, QUERY_SHOWN_CHARS)}” · last {when} · {best}"


def unanswered(
    conn: LogConnection,
    scope: Scope,
    *,
    weak_score: float,
    since: str | None = None,
    until_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page[Unanswered]:
    """Questions (/ask, "Find in the docs", help-forum posts) with no result or only ones
    scoring below ``weak_score``; most asked first."""
    in_scope, params = scope.where()
    params.extend(QUESTION_COMMANDS)
    clauses = [
        in_scope,
        f"q.command IN ({', '.join('?' * len(QUESTION_COMMANDS))})",
        "(q.outcome = 'no_results' OR (q.outcome = 'answered' AND q.top_score < ?))",
    ]
    params.append(weak_score)
    if since:
        clauses.append("q.created_at >= ?")
        params.append(since)
    if until_id is not None:
        clauses.append("q.id <= ?")
        params.append(until_id)
    where = " AND ".join(clauses)
    grouped = (
        "SELECT q.query_key AS query, count(*) AS asked, "
        "max(q.created_at) AS last_asked, max(q.top_score) AS best_score "
        f"FROM queries q WHERE {where} GROUP BY q.query_key"
    )
    total = conn.execute(f"SELECT count(*) FROM ({grouped}) AS g", params).fetchone()[0]
    limit, offset, page = _page_bounds(page, page_size, int(total))
    rows = conn.execute(
        f"{grouped} ORDER BY asked DESC, last_asked DESC, query LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return Page([Unanswered(**dict(row)) for row in rows], page, int(total), page_size)


@dataclass(frozen=True, slots=True)
class PassageFeedback:
    """How often answers citing a passage were voted down and up."""

    passage_id: str
    down: int
    up: int

    def summary(self) -> str:
        """One line: passage id and its votes."""
        return f"{self.passage_id} · 👎 {self.down} · 👍 {self.up}"


def feedback(
    conn: LogConnection,
    scope: Scope,
    *,
    since: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page[PassageFeedback]:
    """Passages cited by answers in ``scope`` voted unhelpful, most down-votes first."""
    when = ("v.updated_at >= ?", [since]) if since else ("TRUE", [])
    where, params = both(scope.votes_where(), when)
    grouped = (
        f"SELECT p.value AS passage_id, {_DOWN} AS down, {_UP} AS up "
        f"FROM votes v, {dialect_of(conn).json_texts('v.passages', 'p')} WHERE {where} "
        f"GROUP BY p.value HAVING {_DOWN} > 0"
    )
    total = conn.execute(f"SELECT count(*) FROM ({grouped}) AS g", params).fetchone()[0]
    limit, offset, page = _page_bounds(page, page_size, int(total))
    rows = conn.execute(
        f"{grouped} ORDER BY down DESC, up ASC, passage_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return Page([PassageFeedback(**dict(row)) for row in rows], page, int(total), page_size)
