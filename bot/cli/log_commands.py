"""``corpusbot log …``: the moderators' query-log review in the terminal.

The same :mod:`bot.querylog` SQL and the same row summaries as ``/querylog``, on the same
database: PostgreSQL with ``QUERY_LOG_URL``, else the SQLite file (``--db`` names another file).
Safe while the bot runs: listings use a read-only connection, every connection waits for the
bot's writer instead of failing, and SQLite's log is in WAL mode, so readers never block the
writer. ``log copy`` copies a SQLite log into PostgreSQL.

The operator sees every server's rows and direct messages' unless a subcommand is given
``--guild ID`` (one server's, as its ``/querylog`` shows them) or ``--dm`` (direct messages').
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.querylog.actions import Action, record_action
from bot.querylog.backends import LogBackend, connect_migrated
from bot.querylog.backends.copy import copy_log
from bot.querylog.backends.postgres import PostgresBackend, is_valid_url
from bot.querylog.backends.sqlite import SqliteBackend
from bot.querylog.clock import cutoff, parse_since
from bot.querylog.dialect import LogConnection
from bot.querylog.export import export
from bot.querylog.filters import Filters
from bot.querylog.identities import Identities
from bot.querylog.listings import PAGE_SIZE, Page, feedback, recent, unanswered
from bot.querylog.records import OUTCOMES
from bot.querylog.retention import count_before, purge
from bot.querylog.scope import DIRECT_MESSAGES, EVERYTHING, Scope
from bot.querylog.stats import compute_stats


def add_log_commands(commands: Any) -> None:
    """Register ``log`` and its subcommands on the ``corpusbot`` subparsers."""
    log = commands.add_parser("log", help="review the query log (same as /querylog in Discord)")
    log.add_argument(
        "--db", type=Path, help="a SQLite query log (default: QUERY_LOG_URL, else QUERY_LOG_PATH)"
    )
    sub = log.add_subparsers(dest="log_command", required=True)

    recent = sub.add_parser("recent", help="logged questions, newest first")
    _scope(recent)
    _filters(recent)
    _paging(recent)
    recent.add_argument("--json", action="store_true", help="one JSON object per row")
    recent.set_defaults(handler=_recent)

    unanswered = sub.add_parser("unanswered", help="questions with no or only weak answers")
    _scope(unanswered)
    unanswered.add_argument("--since", help="7d, 12h, 30m, 2w or a date such as 2025-01-31")
    unanswered.add_argument("--below", type=float, help="weak below this score (default: setting)")
    _paging(unanswered)
    unanswered.set_defaults(handler=_unanswered)

    feedback = sub.add_parser("feedback", help="passages most often in answers voted unhelpful")
    _scope(feedback)
    feedback.add_argument("--since", help="only votes since then")
    _paging(feedback)
    feedback.set_defaults(handler=_feedback)

    stats = sub.add_parser("stats", help="questions per day, answered share, latency, top lists")
    _scope(stats)
    stats.add_argument("--days", type=int, default=14, help="days back, today included")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(handler=_stats)

    export = sub.add_parser("export", help="the matching rows as CSV or JSON lines")
    _scope(export)
    _filters(export)
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_export)

    purge = sub.add_parser("purge", help="delete questions and votes older than N days")
    _scope(purge)
    purge.add_argument("--older-than-days", type=int, required=True, metavar="N")
    purge.add_argument("--yes", action="store_true", help="do not ask to confirm")
    purge.set_defaults(handler=_purge)

    copy = sub.add_parser("copy", help="copy a SQLite log into PostgreSQL (again: only new rows)")
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    copy.add_argument("--batch-size", type=_positive, default=1000, help="rows a transaction")
    copy.set_defaults(handler=_copy)


def _scope(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--guild", type=int, metavar="ID", help="only this server's rows (default: every server)"
    )
    where.add_argument("--dm", action="store_true", help="only rows from direct messages")


def _scope_of(args: argparse.Namespace) -> Scope:
    if args.guild is not None:
        return Scope.server(args.guild)
    return DIRECT_MESSAGES if args.dm else EVERYTHING


def _described(text: str, scope: Scope) -> str:
    """A listing's footer text, naming the scope when it is not everything."""
    return text if scope == EVERYTHING else f"{text} · {scope.describe()}"


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", type=int, help="only this member (Discord user id)")
    parser.add_argument("--contains", help="only questions containing this text")
    parser.add_argument("--since", help="7d, 12h, 30m, 2w or a date such as 2025-01-31")
    parser.add_argument("--outcome", choices=OUTCOMES)


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--page", type=_positive, default=1, help="which page (1 is the first)")
    parser.add_argument("--page-size", type=_positive, default=PAGE_SIZE)


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


class _Refused(Exception):
    """A message for the operator, exit status 2."""


def _backend(args: argparse.Namespace, settings: Settings) -> LogBackend:
    """``--db``'s file, else the bot's log (``QUERY_LOG_URL`` or ``QUERY_LOG_PATH``)."""
    return SqliteBackend(args.db) if args.db else settings.log_backend


def _run(args: argparse.Namespace, settings: Settings, work: Any, *, readonly: bool = True) -> int:
    backend = _backend(args, settings)
    errors: tuple[type[BaseException], ...] = backend.errors  # OS errors: main() tells them
    try:
        with _open(backend, readonly, settings.identities) as conn:
            return int(work(conn))
    except (_Refused, ValueError, FileNotFoundError) as error:
        print(f"corpusbot log: {error}", file=sys.stderr)
        return 2
    except errors as error:
        print(
            f"corpusbot log: the query log at {backend.describe()} cannot be used: {error}",
            file=sys.stderr,
        )
        return 1


@contextlib.contextmanager
def _open(backend: LogBackend, readonly: bool, identities: Identities) -> Iterator[LogConnection]:
    """A connection; a log the bot has not migrated yet is brought up to date first."""
    if isinstance(backend, SqliteBackend) and not backend.path.exists():
        raise _Refused(f"no query log at {backend.path} (set QUERY_LOG_PATH or pass --db)")
    with connect_migrated(backend, readonly=readonly, identities=identities) as conn:
        yield conn


def _filters_of(args: argparse.Namespace, settings: Settings) -> Filters:
    users = (settings.identities.filter_key(args.user),) if args.user else ()
    since = parse_since(args.since) if args.since else None
    return Filters(users=users, contains=args.contains, since=since, outcome=args.outcome)


def _print_page(page: Page[Any], lines: list[str], scope: str) -> None:
    for line in lines:
        print(line)
    if not lines:
        print("Nothing matches.")
    print(f"-- page {page.page + 1} of {page.pages} · {page.total} in all · {scope}")


def _recent(args: argparse.Namespace, settings: Settings) -> int:
    def work(conn: LogConnection) -> int:
        filters, scope = _filters_of(args, settings), _scope_of(args)
        page = recent(conn, scope, filters, args.page - 1, args.page_size)
        if args.json:
            for row in page.rows:
                print(json.dumps(asdict(row), ensure_ascii=False))
        else:
            lines = [row.summary() for row in page.rows]
            _print_page(page, lines, _described(filters.describe(), scope))
        return 0

    return _run(args, settings, work)


def _unanswered(args: argparse.Namespace, settings: Settings) -> int:
    below = settings.unanswered_below_score if args.below is None else args.below

    def work(conn: LogConnection) -> int:
        since = parse_since(args.since) if args.since else None
        scope = _scope_of(args)
        page = unanswered(
            conn,
            scope,
            weak_score=below,
            since=since,
            page=args.page - 1,
            page_size=args.page_size,
        )
        weak = f"no result or best score below {below}"
        _print_page(page, [row.summary() for row in page.rows], _described(weak, scope))
        return 0

    return _run(args, settings, work)


def _feedback(args: argparse.Namespace, settings: Settings) -> int:
    def work(conn: LogConnection) -> int:
        since = parse_since(args.since) if args.since else None
        scope = _scope_of(args)
        page = feedback(conn, scope, since=since, page=args.page - 1, page_size=args.page_size)
        lines = [row.summary() for row in page.rows]
        _print_page(page, lines, _described("passages voted 👎", scope))
        return 0

    return _run(args, settings, work)


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.days <= 3660:
        print("corpusbot log: --days must be between 1 and 3660", file=sys.stderr)
        return 2

    def work(conn: LogConnection) -> int:
        scope = _scope_of(args)
        result = compute_stats(conn, scope, args.days)
        if args.json:
            print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
            return 0
        heading = f"Query log — last {result.days} days (since {result.since[:10]})"
        print(_described(heading, scope))
        for line in result.summary_lines():
            print(line)
        print("Per day (questions, answered):")
        for day in result.per_day:
            print(f"  {day.day}  {day.queries:6d}  {day.answered:6d}")
        print("Most asked:")
        for query, count in result.top_queries:
            print(f"  {count}× “{query}”")
        print("Most cited passages:")
        for passage, count in result.top_passages:
            print(f"  {count}× {passage}")
        return 0

    return _run(args, settings, work)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    def work(conn: LogConnection) -> int:
        filters, scope = _filters_of(args, settings), _scope_of(args)
        if args.output is None:
            count = export(conn, scope, filters, args.format, sys.stdout.buffer)
        else:
            with args.output.open("wb") as out:
                count = export(conn, scope, filters, args.format, out)
        print(f"exported {count} rows", file=sys.stderr)
        return 0

    return _run(args, settings, work)


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    if args.older_than_days < 0:
        print("corpusbot log: --older-than-days cannot be negative", file=sys.stderr)
        return 2

    def work(conn: LogConnection) -> int:
        before = cutoff(args.older_than_days)  # a ValueError is explained by _run
        scope = _scope_of(args)
        count = count_before(conn, scope, before)
        if not args.yes:
            answer = input(
                f"Delete {count} logged questions (and votes) older than "
                f"{args.older_than_days} days, of {scope.describe()}? [y/N] "
            )
            if answer.strip().lower() not in {"y", "yes"}:
                print("nothing deleted")
                return 1
        deleted = purge(conn, scope, before)
        operator = getpass.getuser()
        arguments = {"older_than_days": args.older_than_days, "before": before, **scope.to_json()}
        action = Action(
            "cli", 0, operator, "purge", arguments, guild_id=scope.guild_id, affected=deleted.total
        )
        record_action(conn, action)
        print(f"deleted {deleted.queries} logged questions and {deleted.votes} votes")
        return 0

    return _run(args, settings, work, readonly=False)


def _copy(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the SQLite log into the PostgreSQL database at ``--to``."""
    source = SqliteBackend(args.db or settings.query_log_path)
    if not is_valid_url(args.to):
        print("corpusbot log copy: --to takes a postgresql://user@host/db URL", file=sys.stderr)
        return 2
    target = PostgresBackend(args.to)
    if not source.path.exists():
        print(f"corpusbot log copy: no query log at {source.path}", file=sys.stderr)
        return 2
    try:
        copied = copy_log(source, target, batch_size=args.batch_size)
    except (*source.errors, *target.errors) as error:
        print(f"corpusbot log copy: {error}", file=sys.stderr)
        return 1
    print(f"copied to {target.describe()}: {copied.summary()}")
    return 0
