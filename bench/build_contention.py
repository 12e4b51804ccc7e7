"""What a full build costs the questions answered meanwhile in the same bot: a loop of searches
timed while the process is idle, while a full build runs in one of its threads (as the
background merge ran before) and while one runs in a child process (``corpusbot index
--full``, as it runs now).

    .venv/bin/python -m bench.build_contention /tmp/cb21/corpus-100000 /tmp/cb21/queries.json

The corpus is any folder (``python -m bench`` writes them), the queries a JSON list of strings
(``python -m bench`` writes ``queries.json``). Each phase searches one query after another with
a 5 ms pause, for as long as the build takes (at least ``--seconds``), and prints p50, p99 and
the slowest search in milliseconds as a Markdown table. Figures are wall time: run it on an
otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.discord_bot.full_build import lower_priority
from bot.search.service import SearchService

PAUSE_SECONDS = 0.005  # between searches: a busy server, not a flood


def search_times(
    service: SearchService, queries: Sequence[str], until: Callable[[], bool]
) -> list[float]:
    """Milliseconds of each search made until ``until()``, sorted."""
    times: list[float] = []
    number = 0
    while not until():
        started = time.perf_counter()
        service.search(queries[number % len(queries)])
        times.append((time.perf_counter() - started) * 1000)
        number += 1
        time.sleep(PAUSE_SECONDS)
    return sorted(times)


def row(name: str, times: Sequence[float]) -> str:
    """One table row: the phase, how many searches, p50, p99 and the slowest."""
    p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
    return f"| {name} | {len(times)} | {p50:.2f} | {p99:.2f} | {times[-1]:.1f} |"


def after(seconds: float) -> Callable[[], bool]:
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.build_contention")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0, help="least time a phase runs")
    args = parser.parse_args(argv)
    queries = [str(query) for query in json.loads(args.queries.read_text())]
    with tempfile.TemporaryDirectory(prefix="corpusbot-contention-") as work:
        caches = [Path(work) / name for name in ("answering", "thread", "child")]
        service = SearchService.from_folder(args.corpus, cache_dir=caches[0], progress=False)
        service.index.warm_up()
        print("| while | searches | p50 ms | p99 ms | slowest ms |")
        print("|---|---:|---:|---:|---:|")
        print(row("idle", search_times(service, queries, after(args.seconds))))

        build = threading.Thread(
            target=SearchService.from_folder,
            args=(args.corpus,),
            kwargs={"cache_dir": caches[1], "progress": False, "layered": False},
            daemon=True,
        )
        build.start()
        least = after(args.seconds)
        times = search_times(service, queries, lambda: least() and not build.is_alive())
        print(row("a full build in a thread", times))

        environment = {
            **os.environ,
            "CORPUS_DIR": str(args.corpus),
            "INDEX_CACHE_DIR": str(caches[2]),
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "index", "--full"],
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        lower_priority(child.pid)  # as the bot runs its child's build
        least = after(args.seconds)
        times = search_times(service, queries, lambda: least() and child.poll() is not None)
        print(row("a full build in a child process", times))
        if child.returncode:
            print(f"the child's build failed with status {child.returncode}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
