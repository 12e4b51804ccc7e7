"""How soon a running corpusbot answers from a changed file, beside tantivy, at each size.

    .venv/bin/python -m bench reload --sizes 100000 1000000 \\
        --corpus ../shared/eval-data/reuters21578/corpus.jsonl.gz \\
        --corpus ../shared/eval-data/enwiki-slice/corpus.jsonl.gz

The corpus is ``bench.run``'s passages written as many JSONL files (``--per-file`` passages
each), as a community keeps its documents, so one file is a small part of it. Each system then
runs in a process of its own (``bench.reload_trials``), one after the other on the same files:
it builds the index (the "build" row), watches the folder, and for each trial of each kind
(a new file added, a file edited to hold a fresh word, that edited file deleted) records the
seconds from the change on disk to the first search, polled every 10 ms, that shows it. The
files it changed are put back before the next system starts. Timings are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.run import _source_passages, corpus_texts

SYSTEMS = ("corpusbot", "tantivy")
KINDS = ("add", "edit", "delete")
ADDED_PREFIX = "added-"  # files the add trials write; the corpus's own are part*.jsonl


def main(argv: Sequence[str] | None = None) -> int:
    """Write each size's corpus, time every system's trials on it, print the tables."""
    parser = argparse.ArgumentParser(
        prog="python -m bench reload",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="JSONL(.gz)")
    parser.add_argument("--per-file", type=int, default=100, help="passages a corpus file")
    parser.add_argument("--trials", type=int, default=10, help="changes of each kind")
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds a change may take to show"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpusbot-bench-reload"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    source: list[str] = []
    tables = []
    for size in args.sizes:
        corpus_dir = args.work / f"corpus-{size}-{args.per_file}"
        originals = args.work / f"originals-{size}-{args.per_file}"
        if not _corpus_written(corpus_dir, size, args.per_file):
            source = source or _source_passages(args.corpus)
            write_corpus_files(corpus_dir, source, size, args.per_file)
        results = {}
        for system in args.systems:
            restore_corpus(corpus_dir, originals)
            results[system] = _run_trials(system, corpus_dir, originals, args)
            restore_corpus(corpus_dir, originals)
        tables.append(table(size, args.per_file, results))
        print(tables[-1], flush=True)
    if len(tables) > 1:
        print("\n## All sizes")
        print("\n".join(tables))
    return 0


def _corpus_written(folder: Path, size: int, per_file: int) -> bool:
    marker = folder / ".complete"
    return marker.is_file() and marker.read_text() == f"{size} {per_file}"


def write_corpus_files(folder: Path, source: Sequence[str], size: int, per_file: int) -> None:
    """``size`` one-passage records of ``bench.run``'s corpus, ``per_file`` to a JSONL file."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    digits = len(str(max(0, size - 1) // per_file))
    out = None
    for number, text in enumerate(corpus_texts(source, size)):
        if number % per_file == 0:
            if out:
                out.close()
            out = (folder / f"part{number // per_file:0{digits}d}.jsonl").open(
                "w", encoding="utf-8"
            )
        assert out is not None
        out.write(json.dumps({"id": f"p{number}", "text": text}) + "\n")
    if out:
        out.close()
    (folder / ".complete").write_text(f"{size} {per_file}")


def restore_corpus(folder: Path, originals: Path) -> None:
    """Undo the trials: the edited and deleted files back from ``originals``, the added gone."""
    for added in folder.glob(f"{ADDED_PREFIX}*.jsonl"):
        added.unlink()
    if originals.is_dir():
        for saved in originals.iterdir():
            shutil.copy2(saved, folder / saved.name)


def _run_trials(
    system: str, corpus_dir: Path, originals: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """One system's build and trials in a process of its own; its JSON result line."""
    command = [
        *(sys.executable, "-m", "bench.reload_trials", system, str(corpus_dir)),
        *(str(args.work / f"store-{system}"), str(originals)),
        *("--trials", str(args.trials), "--timeout", str(args.timeout)),
    ]
    output = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _seconds(value: float) -> str:
    return f"{value:.2f}" if not math.isnan(value) else "–"


def table(size: int, per_file: int, results: dict[str, dict[str, Any]]) -> str:
    """One Markdown table: each system's build, then each kind of change, at one size."""
    files = math.ceil(size / per_file)
    lines = [
        f"\n### {size:,} passages, {files:,} files of {per_file:,}\n",
        "| system | change | n | not seen | p50 s | p99 s | max s | answered by |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for system, result in results.items():
        build = _seconds(result["build_s"])
        lines.append(f"| {system} | build at start-up | 1 | 0 | {build} | – | – | – |")
        for kind in KINDS:
            seen = [seconds for seconds, _ in result[kind] if seconds is not None]
            missed = len(result[kind]) - len(seen)
            p50, p99, most = (
                (np.percentile(seen, 50), np.percentile(seen, 99), max(seen))
                if seen
                else (math.nan,) * 3
            )
            answered = Counter(by for seconds, by in result[kind] if seconds is not None)
            by = ", ".join(f"{count} {name}" for name, count in sorted(answered.items()))
            lines.append(
                f"| {system} | {kind} | {len(seen)} | {missed} | {_seconds(p50)} "
                f"| {_seconds(p99)} | {_seconds(most)} | {by or '–'} |"
            )
    return "\n".join([*lines, "", _notes(results)])


def _notes(results: dict[str, dict[str, Any]]) -> str:
    debounce = sorted({result["debounce_ms"] for result in results.values()})
    merge = sorted({r["merge_after_s"] for r in results.values() if r["merge_after_s"]})
    notes = [
        "Seconds from the change on disk (a whole file renamed into place, or unlinked) to the "
        "first search, polled every 10 ms, that shows it; 'not seen': not within the timeout. "
        f"Both systems watch the folder with watchfiles, debounce "
        f"{', '.join(map(str, debounce))} ms (corpusbot's CorpusReloader default; a change is "
        "picked up after 50 ms without another, at most that late)."
    ]
    if merge:
        notes.append(
            f"corpusbot folds laid-over files into a full build after "
            f"{', '.join(f'{m:g}' for m in merge)} s of quiet (INDEX_MERGE_SECONDS' default); "
            "'answered by' says which index first showed each change."
        )
    return " ".join(notes)
