"""Reading and pruning the query log: the SQL behind both ``/querylog`` and ``corpusbot log``.

The Discord cog and the CLI both call these functions, so a moderator sees the same rows in either
place. Every value reaches SQLite as a bound parameter; the only text joined into SQL is fixed
fragments chosen here. ``contains`` is matched with ``LIKE … ESCAPE '\\'`` after escaping ``%``,
``_`` and ``\\``, so it finds exactly the text typed.

Functions take a plain :class:`sqlite3.Connection` from :func:`open_db` (read-only for listings)
and are meant to run in a worker thread; each call is short and holds no lock between calls.

Every function that reads or deletes rows takes a :class:`Scope` as its second argument: one
bot serves many servers, and each server's moderators see and change only its rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

from bot.querylog.files import private_database
from bot.querylog.identities import Identities
from bot.querylog.writer import migrations
from bot.text import shorten

T = TypeVar("T")
OUTCOMES = ("answered", "no_results", "rate_limited", "error")
ExportFormat = Literal["csv", "jsonl"]
PAGE_SIZE = 10
QUERY_SHOWN_CHARS = 150

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
_ROW_COLUMNS = ", ".join(f"q.{c}" for c in EXPORT_COLUMNS[:-2]) + ", " + _VOTES


class SchemaError(RuntimeError):
    """The database is older than this code (the bot has not migrated it yet)."""


# --- connections and time ----------------------------------------------------------------------


def latest_version() -> int:
    """The schema version the migrations bring a database to."""
    return max(version for version, _ in migrations())


def open_db(
    path: Path,
    *,
    readonly: bool,
    busy_timeout_ms: int = 5000,
    identities: Identities | None = None,
) -> sqlite3.Connection:
    """A connection that waits for the bot's writer instead of failing; read-only for listings.

    ``identities`` (the salt) lets a member filter, which holds only their hashed key, also find
    their rows stored under their raw id (``salted()`` in :meth:`Filters.where`).
    """
    if readonly:
        if not path.exists():
            raise FileNotFoundError(f"no query log at {path}")
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000)
    else:
        private_database(path)
        conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.create_function("normalise_query", 1, normalise_query, deterministic=True)
    hash_of = lru_cache(maxsize=1 << 16)((identities or Identities()).hash_of)  # few members
    conn.create_function("salted", 1, hash_of, deterministic=True)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version < latest_version():
        conn.close()
        raise SchemaError(
            f"the query log at {path} has schema {version}, this code needs {latest_version()}"
        )
    return conn


def iso(moment: datetime) -> str:
    """The log's time format (ISO 8601 UTC, milliseconds), which sorts as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def now_utc() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


_RELATIVE = re.compile(r"^\s*(\d{1,5})\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> str:
    """``7d``, ``12h``, ``30m``, ``2w``, a date or an ISO time -> the log's time format.

    Raises ``ValueError`` with a message fit to show the person who typed it.
    """
    now = now or now_utc()
    relative = _RELATIVE.match(text)
    try:
        if relative:
            amount, unit = int(relative[1]), _UNITS[relative[2].lower()]
            return iso(now - timedelta(**{unit: amount}))
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return iso(moment)
    except OverflowError:  # "9999-12-31T23:00-05:00" is after year 9999 in UTC
        raise ValueError("`since` is too far in the past or the future for a date") from None
    except ValueError:
        raise ValueError(
            "`since` takes a span such as 7d, 12h, 30m or 2w, or a date such as 2025-01-31"
        ) from None


def cutoff(days: float, now: datetime | None = None) -> str:
    """The time ``days`` ago, in the log's format (``ValueError`` before year 1)."""
    try:
        return iso((now or now_utc()) - timedelta(days=days))
    except OverflowError:
        raise ValueError(f"{days} days ago is before the first date there is") from None


_PUNCTUATION_EDGES = re.compile(r"^[\s\"'“”‘’¿¡.,;:!?]+|[\s\"'“”‘’.,;:!?]+$")


def normalise_query(query: str | None) -> str:
    """A question as grouped for counting: case-folded, spaces collapsed, edge punctuation off.

    NFKC first, as keyboards differ: é typed as one code point or as e + a combining accent, and
    CJK full-width letters and ``？``, are the same question.
    """
    if query is None:
        return ""
    # NFKC before casefold, or it brings capitals back ("㎒" is "MHz", "ℌ" is "H"); and after
    # it, as casefold can decompose ("ǰ" folds to j + a combining caron).
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", query).casefold())
    folded = " ".join(folded.split())
    return _PUNCTUATION_EDGES.sub("", folded)


def like_escape(text: str) -> str:
    """``text`` as a literal inside a ``LIKE … ESCAPE '\\'`` pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- scope -------------------------------------------------------------------------------------

ScopeKind = Literal["server", "direct_messages", "everything"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose rows a review function sees and changes: one server's, direct messages', or all.

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
        return "1", []

    def votes_where(self, table: str = "v") -> tuple[str, list[Any]]:
        """The condition on a row of ``votes`` named ``table``: its answer is in scope."""
        if self.kind == "everything":
            return "1", []  # votes on answers no longer logged too
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


def _both(first: tuple[str, list[Any]], second: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    """Two conditions joined with AND, their parameters in order."""
    return f"({first[0]}) AND ({second[0]})", [*first[1], *second[1]]


# --- filters -----------------------------------------------------------------------------------


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

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause over ``queries q`` and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.users:  # stored as the key, or under a raw id that hashes to it
            marks = ", ".join("?" for _ in self.users)
            clauses.append(f"(q.user_id IN ({marks}) OR salted(q.user_id) IN ({marks}))")
            params.extend([*self.users, *self.users])
        if self.contains:
            clauses.append("q.query LIKE ? ESCAPE '\\'")
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
        return (" AND ".join(clauses) or "1"), params

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


def frozen(conn: sqlite3.Connection, filters: Filters) -> Filters:
    """``filters`` limited to the rows that exist now, so later pages stay the same rows."""
    top = conn.execute("SELECT coalesce(max(id), 0) FROM queries").fetchone()[0]
    return Filters(filters.users, filters.contains, filters.since, filters.outcome, int(top))


# --- listings ----------------------------------------------------------------------------------


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
    conn: sqlite3.Connection,
    scope: Scope,
    filters: Filters,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page[LoggedQuery]:
    """Logged queries in ``scope`` matching ``filters``, newest first."""
    where, params = _both(scope.where(), filters.where())
    total = conn.execute(f"SELECT count(*) FROM queries q WHERE {where}", params).fetchone()[0]
    limit, offset, page = _page_bounds(page, page_size, int(total))
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM queries q WHERE {where} "
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
    conn: sqlite3.Connection,
    scope: Scope,
    *,
    weak_score: float,
    since: str | None = None,
    until_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page[Unanswered]:
    """/ask questions with no result or only ones scoring below ``weak_score``; most asked first."""
    in_scope, params = scope.where()
    clauses = [
        in_scope,
        "q.command = 'ask'",
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
        "SELECT normalise_query(q.query) AS query, count(*) AS asked, "
        "max(q.created_at) AS last_asked, max(q.top_score) AS best_score "
        f"FROM queries q WHERE {where} GROUP BY normalise_query(q.query)"
    )
    total = conn.execute(f"SELECT count(*) FROM ({grouped})", params).fetchone()[0]
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
    conn: sqlite3.Connection,
    scope: Scope,
    *,
    since: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page[PassageFeedback]:
    """Passages cited by answers in ``scope`` voted unhelpful, most down-votes first."""
    when = ("v.updated_at >= ?", [since]) if since else ("1", [])
    where, params = _both(scope.votes_where(), when)
    grouped = (
        "SELECT p.value AS passage_id, sum(v.vote = -1) AS down, sum(v.vote = 1) AS up "
        f"FROM votes v, json_each(v.passages) p WHERE {where} "
        "GROUP BY p.value HAVING sum(v.vote = -1) > 0"
    )
    total = conn.execute(f"SELECT count(*) FROM ({grouped})", params).fetchone()[0]
    limit, offset, page = _page_bounds(page, page_size, int(total))
    rows = conn.execute(
        f"{grouped} ORDER BY down DESC, up ASC, passage_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return Page([PassageFeedback(**dict(row)) for row in rows], page, int(total), page_size)


# --- stats -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayCount:
    """/ask questions on one UTC day and how many got an answer."""

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
        ]


def _percentile(conn: sqlite3.Connection, where: str, params: list[Any], share: float) -> float:
    count = conn.execute(f"SELECT count(*) FROM queries q WHERE {where}", params).fetchone()[0]
    rank = max(0, min(count - 1, math.ceil(share * count) - 1))  # nearest rank
    row = conn.execute(
        f"SELECT q.latency_ms FROM queries q WHERE {where} ORDER BY q.latency_ms LIMIT 1 OFFSET ?",
        [*params, rank],
    ).fetchone()
    return float(row[0])


def stats(
    conn: sqlite3.Connection,
    scope: Scope,
    days: int,
    now: datetime | None = None,
    top: int = 5,
) -> Stats:
    """Questions per day, members, answered share, latency, top questions and passages, votes,
    of the questions in ``scope`` and the votes on them."""
    now = now or now_utc()
    first_day = (now.astimezone(UTC) - timedelta(days=days - 1)).date()
    since = iso(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC))
    where, params = _both(scope.where(), ("q.command = 'ask' AND q.created_at >= ?", [since]))
    voted, vote_params = _both(scope.votes_where(), ("v.updated_at >= ?", [since]))
    counted = {
        row["day"]: DayCount(row["day"], row["queries"], row["answered"])
        for row in conn.execute(
            "SELECT substr(q.created_at, 1, 10) AS day, count(*) AS queries, "
            f"sum(q.outcome = 'answered') AS answered FROM queries q WHERE {where} GROUP BY day",
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
            f"SELECT normalise_query(q.query) AS nq, count(*) AS n FROM queries q WHERE {where} "
            "GROUP BY nq ORDER BY n DESC, nq LIMIT ?",
            [*params, top],
        )
    ]
    top_passages = [
        (row[0], row[1])
        for row in conn.execute(
            "SELECT json_extract(r.value, '$.id') AS pid, count(*) AS n "
            f"FROM queries q, json_each(q.results) r WHERE {where} "
            "GROUP BY pid ORDER BY n DESC, pid LIMIT ?",
            [*params, top],
        )
    ]
    up, down = conn.execute(
        "SELECT coalesce(sum(v.vote = 1), 0), coalesce(sum(v.vote = -1), 0) FROM votes v "
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
    )


# --- export ------------------------------------------------------------------------------------


def export_rows(
    conn: sqlite3.Connection, scope: Scope, filters: Filters
) -> Iterator[tuple[Any, ...]]:
    """Every row in ``scope`` matching ``filters`` as a tuple in ``EXPORT_COLUMNS`` order,
    oldest first.

    Rows are fetched a batch at a time and never built into objects: 100k rows take a second.
    """
    where, params = _both(scope.where(), filters.where())
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(f"SELECT {_ROW_COLUMNS} FROM queries q WHERE {where} ORDER BY q.id", params)
    while batch := cursor.fetchmany(1000):
        yield from batch


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a member's question or name opening with ``=``,
    ``+``, ``-`` or ``@`` would be run as a formula by whoever opens the export, so it gets a
    leading ``'`` (OWASP's advice). Numbers are left alone; JSON lines are for scripts, as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export(
    conn: sqlite3.Connection, scope: Scope, filters: Filters, fmt: ExportFormat, out: IO[bytes]
) -> int:
    """Write the rows in ``scope`` matching ``filters`` to ``out`` as CSV (with a header,
    formulas made inert) or JSON lines; returns how many."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    count = 0
    try:
        if fmt == "csv":
            writer = csv.writer(text)
            writer.writerow(EXPORT_COLUMNS)
            for row in export_rows(conn, scope, filters):
                writer.writerow([_inert_cell(value) for value in row])
                count += 1
        else:
            results = EXPORT_COLUMNS.index("results")
            for row in export_rows(conn, scope, filters):
                values = dict(zip(EXPORT_COLUMNS, row, strict=True))
                values["results"] = json.loads(row[results])
                text.write(json.dumps(values, ensure_ascii=False) + "\n")
                count += 1
        text.flush()
    finally:
        text.detach()
    return count


# --- writes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deleted:
    """How many rows a purge, retention run or forget-me removed."""

    queries: int = 0
    votes: int = 0
    actions: int = 0

    @property
    def total(self) -> int:
        """All rows removed."""
        return self.queries + self.votes + self.actions


def atomically(conn: sqlite3.Connection, work: Callable[[], T]) -> T:
    """``work`` in one write transaction (``BEGIN IMMEDIATE``: other writers wait), or inside
    the caller's when one is already open, so a check and the change it allows cannot be split
    by another connection."""
    if conn.in_transaction:
        return work()
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def count_before(conn: sqlite3.Connection, scope: Scope, before: str) -> int:
    """How many logged queries a purge of ``scope`` with this cutoff would delete."""
    where, params = _both(scope.where("queries"), ("queries.created_at < ?", [before]))
    row = conn.execute(f"SELECT count(*) FROM queries WHERE {where}", params).fetchone()
    return int(row[0])


def purge(conn: sqlite3.Connection, scope: Scope, before: str) -> Deleted:
    """Delete the logged queries in ``scope`` older than ``before`` with every vote on them, and
    the votes in ``scope`` older than ``before`` (moderator actions are kept)."""
    old_queries = _both(scope.where("queries"), ("queries.created_at < ?", [before]))
    old_votes = _both(scope.votes_where("votes"), ("votes.updated_at < ?", [before]))
    # Votes first: whether a vote is in scope is read from the question it is on.
    votes_sql = (
        f"DELETE FROM votes WHERE ({old_votes[0]}) OR votes.answer_id IN "
        f"(SELECT queries.interaction_id FROM queries WHERE {old_queries[0]})"
    )

    def work() -> Deleted:
        votes = conn.execute(votes_sql, [*old_votes[1], *old_queries[1]]).rowcount
        queries = conn.execute(f"DELETE FROM queries WHERE {old_queries[0]}", old_queries[1])
        return Deleted(queries.rowcount, votes)

    return atomically(conn, work)


def expire(conn: sqlite3.Connection, before: str) -> Deleted:
    """The retention rule: queries, votes and moderator actions older than ``before`` go."""

    def work() -> Deleted:
        queries = conn.execute("DELETE FROM queries WHERE created_at < ?", [before]).rowcount
        votes = conn.execute("DELETE FROM votes WHERE updated_at < ?", [before]).rowcount
        actions = conn.execute(
            "DELETE FROM moderation_actions WHERE created_at < ?", [before]
        ).rowcount
        return Deleted(queries, votes, actions)

    return atomically(conn, work)


def forget(conn: sqlite3.Connection, users: tuple[int, ...]) -> Deleted:
    """Delete a member's logged queries and votes (under every id they may be stored as)."""
    marks = ", ".join("?" for _ in users)

    def work() -> Deleted:
        queries = conn.execute(f"DELETE FROM queries WHERE user_id IN ({marks})", users).rowcount
        votes = conn.execute(f"DELETE FROM votes WHERE user_id IN ({marks})", users).rowcount
        return Deleted(queries, votes)

    return atomically(conn, work)


def record_vote(
    conn: sqlite3.Connection,
    scope: Scope,
    answer_id: int,
    user: int,
    vote: int,
    passages: list[str],
    at: str | None = None,
) -> int | None:
    """Store a member's vote on an answer, replacing theirs; returns the vote it replaced.

    Raises :class:`OutOfScope` for an answer logged in another server than ``scope``. An answer
    not logged yet (its row still buffered) takes the vote."""
    if vote not in (-1, 1):
        raise ValueError("a vote is 1 or -1")
    at = at or iso(now_utc())

    def work() -> int | None:
        answer = conn.execute(
            "SELECT guild_id FROM queries WHERE interaction_id = ?", [answer_id]
        ).fetchone()
        if answer is not None and not scope.includes(answer[0]):
            raise OutOfScope("that answer was given in another server")
        row = conn.execute(
            "SELECT vote FROM votes WHERE answer_id = ? AND user_id = ?", [answer_id, user]
        ).fetchone()
        conn.execute(
            "INSERT INTO votes (answer_id, user_id, vote, passages, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id) DO UPDATE SET "
            "vote = excluded.vote, passages = excluded.passages, updated_at = excluded.updated_at",
            [answer_id, user, vote, json.dumps(passages), at, at],
        )
        return None if row is None else int(row[0])

    return atomically(conn, work)


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
    created_at: str = field(default_factory=lambda: iso(now_utc()))
    id: int | None = None


def record_action(conn: sqlite3.Connection, action: Action) -> int:
    """Append a moderator action; returns its id (page buttons carry it)."""
    cursor = conn.execute(
        "INSERT INTO moderation_actions "
        "(created_at, source, guild_id, user_id, user_name, action, arguments, affected) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
    return int(cursor.lastrowid or 0)


def get_action(conn: sqlite3.Connection, scope: Scope, action_id: int) -> Action | None:
    """A recorded action by id, or ``None`` (unknown, recorded in another server than
    ``scope``, or removed by retention)."""
    where, params = _both(scope.where("a"), ("a.id = ?", [action_id]))
    row = conn.execute(f"SELECT * FROM moderation_actions a WHERE {where}", params).fetchone()
    if row is None:
        return None
    values = dict(row)
    values["arguments"] = json.loads(values["arguments"])
    return Action(**values)


def follow_up_of(
    conn: sqlite3.Connection, scope: Scope, action_id: int, actions: tuple[str, ...]
) -> bool:
    """Whether an action in ``scope`` already answered the one with ``action_id`` (e.g. a purge
    confirmed)."""
    marks = ", ".join("?" for _ in actions)
    in_scope, params = scope.where("a")
    row = conn.execute(
        f"SELECT 1 FROM moderation_actions a WHERE {in_scope} AND a.action IN ({marks}) "
        "AND json_extract(a.arguments, '$.request') = ? LIMIT 1",
        [*params, *actions, action_id],
    ).fetchone()
    return row is not None
