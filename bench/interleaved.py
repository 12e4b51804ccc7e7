"""corpusbot and bm25s answering the same queries turn about, in one process, several passes.

One ``python -m bench`` run gives one p99 per system, and on a shared 2-core machine a p99 moves
between runs by more than the gap being measured. Here both systems are loaded once and each
query is answered by one and then the other (who goes first alternates), so a noisy moment hits
both; every pass prints both percentiles and their ratio, then the slowest queries.

    .venv/bin/python -m bench.interleaved /tmp/cb-final 1000000 --passes 10

reads what ``python -m bench --work /tmp/cb-final`` saved: ``queries.json``, the corpusbot
snapshot under ``corpusbot-SIZE/`` and the bm25s index ``bm25s-SIZE/``. Both are called exactly
as ``bench/worker.py`` times them. Needs the ``bench`` extra (bm25s). Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.worker import K, bm25s_answer, query_terms
from bot.index import PassageIndex


def corpusbot(store: Path) -> tuple[Callable[[str], Any], PassageIndex]:
    """The snapshot's index (its one cache-key folder under ``store``), warmed up."""
    folders = sorted(meta.parent for meta in store.glob("*/index_meta.npy"))
    if len(folders) != 1:
        raise SystemExit(f"expected one corpusbot snapshot under {store}, found {len(folders)}")
    index = PassageIndex.load(folders[0])
    index.warm_up()
    return (lambda query: index.top(index.known_terms(query_terms(query)), K)), index


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.interleaved",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("work", type=Path, help="the --work folder of python -m bench")
    parser.add_argument("size", type=int, help="corpus size, e.g. 1000000")
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    queries: list[str] = json.loads((args.work / "queries.json").read_text())
    ours, index = corpusbot(args.work / f"corpusbot-{args.size}")
    theirs = bm25s_answer(args.work / f"bm25s-{args.size}")
    ours(queries[0])
    theirs(queries[0])  # bm25s compiles its kernels on its first query
    times = np.zeros((2, args.passes, len(queries)))
    systems = (ours, theirs)
    for number in range(args.passes):
        for i, query in enumerate(queries):
            order = (0, 1) if (i + number) % 2 == 0 else (1, 0)
            for system in order:
                started = time.perf_counter()
                systems[system](query)
                times[system, number, i] = (time.perf_counter() - started) * 1000
    print("pass  corpusbot p50  p99 ms | bm25s p50  p99 ms | p99 corpusbot / bm25s")
    for number in range(args.passes):
        (a50, a99), (b50, b99) = (np.percentile(times[s, number], [50, 99]) for s in (0, 1))
        print(f"{number:>4}  {a50:13.2f} {a99:7.2f} | {b50:9.2f} {b99:7.2f} | {a99 / b99:.2f}")
    print("(pass 0 reads the indexes from disk for the first time)")
    median = np.median(times, axis=1)
    print("\nslowest queries for corpusbot (median ms over the passes):")
    for i in np.argsort(-median[0])[:10]:
        terms = index.known_terms(query_terms(queries[i]))
        print(
            f"{median[0, i]:7.2f}  bm25s {median[1, i]:6.2f}  {len(terms)} terms  {queries[i][:60]}"
        )


if __name__ == "__main__":
    main()
