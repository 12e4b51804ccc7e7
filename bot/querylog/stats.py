"""The log in numbers: questions per day, members, answered share, latency, top lists, votes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.querylog.clock import iso, now_utc
from bot.querylog.dialect import LogConnection, dialect_of
from bot.querylog.records import QUESTION_COMMANDS
from bot.querylog.scope import Scope, both

# Where members ask (QUESTION_COMMANDS); a "Post publicly" reply repeats a "Find in the docs"
# question, so it is counted by place only.
PLACES = (*QUESTION_COMMANDS, "post_publicly")
PLACE_NAMES = {
    "ask": "/ask",
    "find_in_docs": "Find in the docs",
    "post_publicly": "posted publicly",
    "forum": "help forums",
}


@dataclass(frozen=True, slots=True)
class PlaceCount:
    """Questions asked in one place (a command) and how many got an answer."""

    command: str
    queries: int
    answered: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """Questions on one UTC day and how many got an answer."""

    day: str
    queries: int
    answered: int

    @property
    def answered_share(self) -> float | None:
        """Answered / asked, or ``None`` on a day without questions."""
        return self.answered / self.queries if self.queries else None


@dataclass(frozen=True, slots=True)
class Stats:
    """The log over the last ``days`` UTC days (today included)."""

    days: int
    since: str
    per_day: list[DayCount]
    queries: int
    answered: int
    distinct_users: int
    median_latency_ms: float | None
    p95_latency_ms: float | None
    top_queries: list[tuple[str, int]] = field(default_factory=list)
    top_passages: list[tuple[str, int]] = field(default_factory=list)
    votes_up: int = 0
    votes_down: int = 0
    by_place: list[PlaceCount] = field(default_factory=list)

    @property
    def answered_share(self) -> float | None:
        """Answered / asked over the whole window."""
        return self.answered / self.queries if self.queries else None

    def summary_lines(self) -> list[str]:
        """The headline numbers, one per line."""
        share = "–" if self.answered_share is None else f"{self.answered_share:.0%}"
        median = "–" if self.median_latency_ms is None else f"{self.median_latency_ms:.0f} ms"
        p95 = "–" if self.p95_latency_ms is None else f"{self.p95_latency_ms:.0f} ms"
        return [
            f"Questions: {self.queries} from {self.distinct_users} members",
            f"Answered: {self.answered} ({share})",
            f"Latency: median {median}, p95 {p95}",
            f"Votes: 👍 {self.votes_up} 👎 {self.votes_down}",
            *([self.places_line()] if self.by_place else []),
        ]

    def places_line(self) -> str:
        """Where the questions were asked: each place's count, answered in brackets."""
        shown = [
            f"{PLACE_NAMES.get(place.command, place.command)} {place.queries} "
            f"({place.answered} answered)"
            for place in self.by_place
        ]
        return "Where: " + ", ".join(shown)


def _percentile(conn: LogConnection, where: str, params: list[Any], share: float) -> float:
    count = conn.execute(f"SELECT count(*) FROM queries q WHERE {where}", params).fetchone()[0]
    rank = max(0, min(count - 1, math.ceil(share * count) - 1))  # nearest rank
    row = conn.execute(
        f"SELECT q.latency_ms FROM queries q WHERE {where} ORDER BY q.latency_ms LIMIT 1 OFFSET ?",
        [*params, rank],
    ).fetchone()
    return float(row[0])


def compute_stats(
    conn: LogConnection,
    scope: Scope,
    days: int,
    now: datetime | None = None,
    top: int = 5,
) -> Stats:
    """Questions per day, members, answered share, latency, top questions and passages, votes,
    of the questions in ``scope`` and the votes on them."""
    now = now or now_utc()
    dialect = dialect_of(conn)
    first_day = (now.astimezone(UTC) - timedelta(days=days - 1)).date()
    since = iso(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC))
    in_window = both(scope.where(), ("q.created_at >= ?", [since]))
    asked = ", ".join("?" * len(QUESTION_COMMANDS))
    where, params = both(in_window, (f"q.command IN ({asked})", list(QUESTION_COMMANDS)))
    voted, vote_params = both(scope.votes_where(), ("v.updated_at >= ?", [since]))
    counted = {
        row["day"]: DayCount(row["day"], row["queries"], row["answered"])
        for row in conn.execute(
            "SELECT substr(q.created_at, 1, 10) AS day, count(*) AS queries, "
            "sum(CASE WHEN q.outcome = 'answered' THEN 1 ELSE 0 END) AS answered "
            f"FROM queries q WHERE {where} GROUP BY day",
            params,
        )
    }
    per_day = []
    for offset in range(days):
        day = (first_day + timedelta(days=offset)).isoformat()
        per_day.append(counted.get(day, DayCount(day, 0, 0)))
    queries = sum(d.queries for d in per_day)
    users = conn.execute(
        f"SELECT count(DISTINCT q.user_id) FROM queries q WHERE {where}", params
    ).fetchone()[0]
    top_queries = [
        (row[0], row[1])
        for row in conn.execute(
            f"SELECT q.query_key AS nq, count(*) AS n FROM queries q WHERE {where} "
            "GROUP BY nq ORDER BY n DESC, nq LIMIT ?",
            [*params, top],
        )
    ]
    top_passages = [
        (row[0], row[1])
        for row in conn.execute(
            f"SELECT {dialect.json_text('r.value', 'id')} AS pid, count(*) AS n "
            f"FROM queries q, {dialect.json_objects('q.results', 'r')} WHERE {where} "
            "GROUP BY pid ORDER BY n DESC, pid LIMIT ?",
            [*params, top],
        )
    ]
    placed = ", ".join("?" * len(PLACES))
    place_where, place_params = both(in_window, (f"q.command IN ({placed})", list(PLACES)))
    counted_places = {
        row[0]: PlaceCount(row[0], int(row[1]), int(row[2]))
        for row in conn.execute(
            "SELECT q.command, count(*), "
            "sum(CASE WHEN q.outcome = 'answered' THEN 1 ELSE 0 END) FROM queries q "
            f"WHERE {place_where} GROUP BY q.command",
            place_params,
        )
    }
    up, down = conn.execute(
        "SELECT coalesce(sum(CASE WHEN v.vote = 1 THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN v.vote = -1 THEN 1 ELSE 0 END), 0) FROM votes v "
        f"WHERE {voted}",
        vote_params,
    ).fetchone()
    return Stats(
        days=days,
        since=since,
        per_day=per_day,
        queries=queries,
        answered=sum(d.answered for d in per_day),
        distinct_users=int(users),
        median_latency_ms=_percentile(conn, where, params, 0.5) if queries else None,
        p95_latency_ms=_percentile(conn, where, params, 0.95) if queries else None,
        top_queries=top_queries,
        top_passages=top_passages,
        votes_up=int(up),
        votes_down=int(down),
        by_place=[counted_places[place] for place in PLACES if place in counted_places],
    )
