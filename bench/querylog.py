"""The query log's write rate and review latency, on SQLite and on PostgreSQL.

Records ``--rows`` interactions through the bot's writer (``QueryLog``: buffered, a transaction
a batch) as fast as they come, then times ``recent``, ``unanswered`` and ``stats`` over them.
Figures are printed, never asserted.

    .venv/bin/python -m bench.querylog --rows 100000 --url postgresql://user@localhost/bench

Without ``--url`` only SQLite is measured. The PostgreSQL database should be empty: its rows are
deleted first.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.querylog.backends import LogBackend
from bot.querylog.backends.postgres import PostgresBackend
from bot.querylog.backends.sqlite import SqliteBackend
from bot.querylog.filters import Filters
from bot.querylog.listings import recent, unanswered
from bot.querylog.records import QueryRecord
from bot.querylog.scope import Scope
from bot.querylog.stats import compute_stats
from bot.querylog.writer import QueryLog

WORDS = ("north", "korea", "russia", "satellite", "treaty", "launch", "missile", "troops")


def records(count: int) -> list[QueryRecord]:
    """``count`` varied interactions in ten servers."""
    rng = random.Random(7)
    return [
        QueryRecord(
            interaction_id=10_000_000 + n,
            user_id=rng.randint(1, 2000),
            user_name="member",
            command="ask",
            query=" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))),
            outcome=rng.choice(("answered", "answered", "no_results")),
            latency_ms=rng.uniform(1, 40),
            guild_id=rng.randint(1, 10),
            results=[(f"doc{rng.randint(1, 500)}#1", rng.uniform(0, 9))],
        )
        for n in range(count)
    ]


async def write(backend: LogBackend, side: Path, rows: list[QueryRecord]) -> float:
    """Seconds to record and write every row."""
    log = QueryLog(side / "log.db", backend=backend, max_buffered=len(rows))
    await log.start()
    started = time.perf_counter()
    for n, row in enumerate(rows):
        log.record(row)
        if n % 1000 == 999:
            await asyncio.sleep(0)  # let the writer run, as replies would
    await log.flush()
    seconds = time.perf_counter() - started
    await log.close()
    assert log.written == len(rows), log.summary()
    return seconds


def review_ms(backend: LogBackend) -> dict[str, float]:
    """Milliseconds for each review in one server."""
    timings: dict[str, float] = {}
    scope = Scope.server(3)
    with backend.connect(readonly=True) as conn:
        for name, work in (
            ("recent", lambda: recent(conn, scope, Filters(contains="korea"))),
            ("unanswered", lambda: unanswered(conn, scope, weak_score=1.0)),
            ("stats", lambda: compute_stats(conn, scope, days=14)),
        ):
            started = time.perf_counter()
            work()
            timings[name] = (time.perf_counter() - started) * 1000
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each backend and print one line each."""
    parser = argparse.ArgumentParser(prog="python -m bench.querylog", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--url", help="an empty PostgreSQL database to measure too")
    args = parser.parse_args(argv)
    rows = records(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        side = Path(folder)
        backends: list[tuple[str, LogBackend]] = [("sqlite", SqliteBackend(side / "log.db"))]
        if args.url:
            postgres = PostgresBackend(args.url)
            postgres.migrate()
            with postgres.connect(readonly=False) as conn:
                conn.execute("DELETE FROM queries")
            backends.append(("postgres", postgres))
        for name, backend in backends:
            seconds = asyncio.run(write(backend, side, rows))
            reviews = review_ms(backend)
            shown = ", ".join(f"{k} {v:.0f} ms" for k, v in reviews.items())
            print(
                f"{name}: {args.rows:,} rows written in {seconds:.2f} s "
                f"({args.rows / seconds:,.0f} rows/s); one server's {shown}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
