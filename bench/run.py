"""Build corpora of 10k/100k/1M passages and compare search engines on them, side by side.

Every system runs in its own subprocesses (one to build, one to load and query), so each memory
figure is that system's alone. Build peak memory is sampled from ``/proc`` every 0.5 s as the
proportional set size (PSS) of the build process and all its children, so worker processes count
and pages they share are not counted twice; the query process (no children, and not to be
disturbed while timed) reports its own peak RSS. Timings are printed, never asserted.

    .venv/bin/python -m bench --sizes 10000 100000 1000000 \\
        --corpus ../shared/eval-data/reuters21578/corpus.jsonl.gz \\
        --corpus ../shared/eval-data/enwiki-slice/corpus.jsonl.gz

Corpora: the source documents cut into passages of 40-120 words (about 136k from Reuters and
the Wikipedia slice together), shuffled with a fixed seed; a size above that is filled with new
passages made by joining the first half of one source passage to the second half of another, so
a million passages are a million different texts with natural word statistics, not copies.
Queries: a fixed sample of the corpora's titles and headlines and of SciFact's questions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.corpus import Document
from bot.corpus.passages import split_passages

SYSTEMS = ("rank-bm25", "corpusbot", "bm25s", "tantivy")
SOURCE_WORDS = (40, 120)  # passage bounds for cutting the source corpora
_WORDS = (
    *("market", "oil", "price", "bank", "trade", "rate", "company", "share", "profit", "year"),
    *("government", "minister", "election", "river", "city", "history", "music", "science"),
    *("football", "film", "war", "island", "language", "school", "energy", "water", "gold"),
    *("coffee", "grain", "export", "plant", "species", "railway", "church", "university"),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare corpora and queries, run every system on every size, print the tables."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="JSONL(.gz)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpusbot-bench"))
    parser.add_argument(
        "--rank-bm25-max", type=int, default=100_000, help="skip rank-bm25 above this size"
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    queries = _queries(args.corpus, args.queries)
    (args.work / "queries.json").write_text(json.dumps(queries))
    source = _source_passages(args.corpus)
    print(f"{len(source):,} distinct source passages, {len(queries)} queries", flush=True)
    results: dict[int, dict[str, dict[str, float]]] = {}
    for size in args.sizes:
        corpus_dir = args.work / f"corpus-{size}"
        _write_corpus(corpus_dir, source, size)
        results[size] = {}
        for system in args.systems:
            if system == "rank-bm25" and size > args.rank_bm25_max:
                print(f"[{size:,}] rank-bm25 skipped (over --rank-bm25-max)", flush=True)
                continue
            results[size][system] = _run_system(system, corpus_dir, args.work / f"{system}-{size}")
            print(f"[{size:,}] {system}: {json.dumps(results[size][system])}", flush=True)
        print(_table(size, results[size], args), flush=True)
    print("\n## All sizes")
    print("\n".join(_table(size, rows, args) for size, rows in results.items()))
    return 0


def _run_system(system: str, corpus_dir: Path, store: Path) -> dict[str, float]:
    """Build in one process, load and query in another; each with its peak memory."""
    worker = [sys.executable, "-m", "bench.worker", system, str(corpus_dir), str(store)]
    build, build_peak = _measured([*worker, "build"], sample=True)
    queries = corpus_dir.parent / "queries.json"
    query, _ = _measured([*worker, "query", str(queries)], sample=False)
    result = {**build, **query}
    if system == "rank-bm25":  # built in memory by the query process: that is its build
        result["build_peak_mb"] = query["query_peak_mb"]
    else:
        result["build_peak_mb"] = build_peak
    return result


def _measured(command: list[str], *, sample: bool) -> tuple[dict[str, Any], float]:
    """Run ``command``; its last stdout line as JSON, and the peak PSS of its process tree."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    sampler = _PeakSampler(process.pid)
    if sample:
        sampler.start()
    output, _ = process.communicate()
    if sample:
        sampler.stop()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, output)
    return json.loads(output.strip().splitlines()[-1]), sampler.peak_mb


class _PeakSampler(threading.Thread):
    """Polls the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._interval = interval
        self._done = threading.Event()
        self.peak_mb = 0.0

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_mb = max(self.peak_mb, sum(map(_pss_mb, _tree(self._pid))))
            self._done.wait(self._interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    """``pid`` and every descendant, from ``/proc/<pid>/task/<tid>/children``."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _records(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        for line in handle:
            record = json.loads(line)
            if isinstance(record.get("text"), str) and record["text"].strip():
                yield record


def _source_passages(paths: Sequence[Path]) -> list[str]:
    """Passage texts cut from the given corpora, shuffled (generated text when none is given)."""
    rng = random.Random(0)
    if not paths:
        return [" ".join(rng.choices(_WORDS, k=rng.randint(40, 120))) + "." for _ in range(50_000)]
    texts = [
        " ".join(passage.text.split())
        for path in paths
        for record in _records(path)
        for passage in split_passages(Document("d", "", record["text"], "bench"), *SOURCE_WORDS)
    ]
    rng.shuffle(texts)
    return texts


def _queries(paths: Sequence[Path], count: int) -> list[str]:
    """Headlines and titles from the corpora, plus SciFact questions when they are near."""
    candidates: set[str] = set()
    for path in paths:
        candidates.update(" ".join(r["title"].split()) for r in _records(path) if r.get("title"))
        scifact = path.parent.parent / "scifact" / "queries.jsonl"
        if scifact.is_file():
            with scifact.open(encoding="utf-8") as lines:
                candidates.update(json.loads(line)["text"] for line in lines)
    rng = random.Random(2)
    if not candidates:
        return [" ".join(rng.sample(_WORDS, rng.randint(1, 5))) for _ in range(count)]
    return rng.sample(sorted(candidates - {""}), min(count, len(candidates)))


def corpus_texts(source: Sequence[str], size: int) -> Iterator[str]:
    """``size`` passage texts: the source first, then halves of two different sources joined."""
    rng = random.Random(1)
    for number in range(size):
        if number < len(source):
            yield source[number]
            continue
        first = source[number % len(source)].split()
        second = source[rng.randrange(len(source))].split()
        yield " ".join(first[: len(first) // 2] + second[len(second) // 2 :])


def _write_corpus(folder: Path, source: Sequence[str], size: int) -> None:
    """``size`` one-passage records in JSONL files of 100k records, written once."""
    marker = folder / ".complete"
    if marker.is_file() and marker.read_text() == str(size):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jsonl"):
        old.unlink()
    out = None
    for number, text in enumerate(corpus_texts(source, size)):
        if number % 100_000 == 0:
            if out:
                out.close()
            out = (folder / f"part{number // 100_000:02d}.jsonl").open("w", encoding="utf-8")
        assert out is not None
        out.write(json.dumps({"id": f"p{number}", "text": text}) + "\n")
    if out:
        out.close()
    marker.write_text(str(size))


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}×" if base and not math.isnan(value) else "–"


def _table(size: int, rows: dict[str, dict[str, float]], args: argparse.Namespace) -> str:
    """One Markdown table: every system on one corpus size, ratios to corpusbot."""
    base = rows.get("corpusbot", {})
    lines = [
        f"\n### {size:,} passages\n",
        "| system | build s | build peak MB | index on disk MB | load s | loaded RSS MB "
        "| RSS after queries MB | first query ms | p50 ms | p99 ms "
        "| p50 / corpusbot | p99 / corpusbot |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for system in args.systems:
        row = rows.get(system)
        if row is None:
            skipped = f"skipped above {args.rank_bm25_max:,} passages"
            lines.append(f"| {system} | {skipped} |" + " |" * 10)
            continue
        load = "–" if math.isnan(row["load_s"]) else f"{row['load_s']:.2f}"
        lines.append(
            f"| {system} | {row['build_s']:.1f} | {row['build_peak_mb']:.0f} | "
            f"{row['disk_mb']:.0f} | {load} | {row['loaded_rss_mb']:.0f} | "
            f"{row['rss_after_mb']:.0f} | {row['first_query_ms']:.0f} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} | {_ratio(row['p50_ms'], base.get('p50_ms', 0))} | "
            f"{_ratio(row['p99_ms'], base.get('p99_ms', 0))} |"
        )
    return "\n".join(lines)
