"""``python -m bench reload`` on a tiny corpus: a row per system and change, the corpus put back.

Timings are printed, never asserted; what is asserted is that every change was seen (a system
that never showed one would leave its trial "not seen") and that the corpus is as it was.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path

import pytest

from bench import reload
from bench.run import corpus_texts
from bot.discord_bot.reloader import CorpusReloader

SOURCE = [f"alpha{i} beta{i} gamma{i} delta{i} epsilon{i} zeta{i}" for i in range(200)]
# tantivy is in the optional `bench` extra, which the test environment need not have.
SYSTEMS = ["corpusbot"] + (["tantivy"] if importlib.util.find_spec("tantivy") else [])


def test_the_corpus_is_many_files_of_the_run_benchmarks_passages(tmp_path: Path) -> None:
    reload.write_corpus_files(tmp_path / "c", SOURCE, 250, 100)
    files = sorted((tmp_path / "c").glob("*.jsonl"))
    assert [f.name for f in files] == ["part0.jsonl", "part1.jsonl", "part2.jsonl"]
    records = [json.loads(line) for f in files for line in f.open()]
    assert [len(f.read_text().splitlines()) for f in files] == [100, 100, 50]
    assert [r["text"] for r in records] == list(corpus_texts(SOURCE, 250))
    assert len({r["id"] for r in records}) == 250


def test_every_change_is_seen_by_every_system_and_the_corpus_put_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus-1000-10"
    reload.write_corpus_files(corpus, SOURCE, 1000, 10)
    before = {path.name: path.read_bytes() for path in corpus.iterdir()}
    argv = ["--sizes", "1000", "--per-file", "10", "--trials", "2", "--timeout", "60"]
    assert reload.main([*argv, "--systems", *SYSTEMS, "--work", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in printed.splitlines()
        if line.startswith("| ") and not line.startswith("| system")
    ]
    changes = ["build at start-up", *reload.KINDS]
    assert [row[:2] for row in rows] == [[s, change] for s in SYSTEMS for change in changes]
    for system, change, seen, missed, p50, p99, most, answered_by in rows:
        assert float(p50) > 0
        if change.startswith("build"):
            assert (seen, missed) == ("1", "0")
            continue
        assert (seen, missed) == ("2", "0")
        assert 0 < float(p50) <= float(p99) <= float(most) < 60
        assert answered_by in (
            {"2 segments"}
            if system == "tantivy"
            else {"2 layered", "2 full build", "1 full build, 1 layered"}
        )
    default = inspect.signature(CorpusReloader).parameters["debounce_ms"].default
    assert f"debounce {default} ms" in printed
    assert "1,000 passages, 100 files of 10" in printed
    assert {path.name: path.read_bytes() for path in corpus.iterdir()} == before


def test_a_change_never_seen_is_counted_not_timed() -> None:
    result = {
        **{"build_s": 1.5, "debounce_ms": 1000, "merge_after_s": 60.0, "edit": []},
        **{"add": [[0.5, "layered"], [None, "layered"]], "delete": [[2.0, "full build"]]},
    }
    lines = reload.table(1000, 100, {"corpusbot": result}).splitlines()
    assert "| corpusbot | build at start-up | 1 | 0 | 1.50 | – | – | – |" in lines
    assert "| corpusbot | add | 1 | 1 | 0.50 | 0.50 | 0.50 | 1 layered |" in lines
    assert "| corpusbot | edit | 0 | 0 | – | – | – | – |" in lines
    assert "| corpusbot | delete | 1 | 0 | 2.00 | 2.00 | 2.00 | 1 full build |" in lines
    assert "after 60 s of quiet" in lines[-1]
