"""What a layered load costs, phase by phase, and how fast its queries are beside the saved index.

Edits files of a corpus folder one after another (appending a new word to a record) and times
each phase of the load that lays them over a saved snapshot: the walk, the manifest, comparing
them, opening the snapshot, laying the changes over it, the service. Then times the bench
queries on the layered index and on the saved one, alternately, in one process.

    .venv/bin/python -m bench.layered /tmp/corpusbot-bench-reload/corpus-1000000-100 \\
        --snapshot /tmp/corpusbot-bench-reload/store-corpusbot/<key> \\
        --corpus ../shared/eval-data/reuters21578/corpus.jsonl.gz \\
        --corpus ../shared/eval-data/enwiki-slice/corpus.jsonl.gz

The snapshot is one ``SearchService.from_folder`` saved for that folder (``--language`` must be
the one it was built with). The edited files are left edited.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.run import _queries
from bench.worker import query_terms
from bot.corpus import list_corpus
from bot.corpus.languages import AUTO
from bot.search.service import SearchService
from bot.snapshot import PassageSettings, Snapshot, open_snapshot
from bot.snapshot.layers import layer_changes
from bot.snapshot.manifest import Manifest, changes


def main(argv: Sequence[str] | None = None) -> int:
    """Edit, lay over, time; then compare query latency."""
    parser = argparse.ArgumentParser(prog="python -m bench.layered", description=__doc__)
    parser.add_argument("folder", type=Path, help="a corpus folder of JSONL files")
    parser.add_argument("--snapshot", type=Path, required=True, help="its saved snapshot")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="for queries")
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--language", default=AUTO)
    args = parser.parse_args(argv)
    settings = PassageSettings(language=args.language)
    saved = open_snapshot(args.snapshot)
    SearchService((), snapshot=saved).search("warm up the analyzer")
    files = sorted(args.folder.glob("*.jsonl"))
    print("edit  walk s  manifest s  compare s  open s  layer s  service s  total s  files")
    layered: Snapshot | None = None
    for edit in range(args.edits):
        word = f"zyzzyva{time.time_ns()}"
        _append_word(files[(edit * 7919) % len(files)], word)
        started = time.perf_counter()
        listing = list_corpus(args.folder, settings.files)
        walked = time.perf_counter()
        manifest = Manifest.load(args.snapshot)
        read = time.perf_counter()
        found = changes(manifest, listing.files)
        compared = time.perf_counter()
        base = open_snapshot(args.snapshot, "numpy")
        opened = time.perf_counter()
        layered = layer_changes(base, manifest, listing, found, settings)
        laid = time.perf_counter()
        if layered is None:
            raise SystemExit("the changes could not be laid over this snapshot")
        service = SearchService((), snapshot=layered)
        if not service.search(word).hits:
            raise SystemExit(f"{word} not found after the edit")
        done = time.perf_counter()
        phases = (
            *(walked - started, read - walked, compared - read, opened - compared),
            *(laid - opened, done - laid, done - started),
        )
        shown = "  ".join(f"{seconds:.3f}" for seconds in phases)
        print(f"{edit + 1:4d}  {shown}  {len(found.reread)}", flush=True)
    assert layered is not None
    queries = _queries(args.corpus, args.queries)
    saved.index.warm_up()
    print(f"\n{len(queries)} queries, top 10, every query after the first of each pass")
    print("pass  index    backend        p50 ms  p99 ms  max ms")
    for number in (1, 2):
        for name, snapshot in (("saved", saved), ("layered", layered)):
            p50, p99, worst = _latency(snapshot, queries)
            backend = snapshot.index.backend
            print(f"{number:4d}  {name:8s} {backend:13s} {p50:7.2f} {p99:7.2f} {worst:7.2f}")
    return 0


def _append_word(path: Path, word: str) -> None:
    """``word`` at the end of the file's first record's text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["text"] += f" {word}"
    lines[0] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _latency(snapshot: Snapshot, queries: Sequence[str]) -> tuple[float, float, float]:
    index = snapshot.index
    timings = []
    for query in queries:
        terms = query_terms(query)
        started = time.perf_counter()
        index.top(index.known_terms(terms), 10)
        timings.append((time.perf_counter() - started) * 1000)
    kept = np.array(timings[1:])
    return float(np.percentile(kept, 50)), float(np.percentile(kept, 99)), float(kept.max())


if __name__ == "__main__":
    raise SystemExit(main())
