"""The benchmark's corpus and table helpers (no timings: those are printed, never asserted)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bench import build_contention, build_phases, formats, querylog, snippets
from bench.run import _table, _write_corpus, corpus_texts
from bot.corpus import load_corpus
from bot.index.arrays import load_arrays
from bot.snapshot.snapshot import PassageSettings

SOURCE = [f"alpha{i} beta{i} gamma{i} delta{i} epsilon{i} zeta{i}" for i in range(200)]


def test_corpus_beyond_the_source_is_new_texts_not_copies(tmp_path: Path) -> None:
    texts = list(corpus_texts(SOURCE, 400))
    assert texts[:200] == SOURCE
    assert len(set(texts)) >= 395  # joined halves of two sources: nearly all distinct
    assert all(len(text.split()) == 6 for text in texts)
    _write_corpus(tmp_path / "c", SOURCE, 400)
    records = [json.loads(line) for line in (tmp_path / "c" / "part00.jsonl").open()]
    assert [r["text"] for r in records] == texts
    assert len({r["id"] for r in records}) == 400


def test_table_shows_ratios_and_skipped_systems() -> None:
    row = {
        "build_s": 2.0,
        "build_peak_mb": 100.0,
        "disk_mb": 10.0,
        "load_s": 0.5,
        "loaded_rss_mb": 50.0,
        "rss_after_mb": 60.0,
        "first_query_ms": 3.0,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
    }
    rows = {"corpusbot": row, "bm25s": {**row, "p50_ms": 3.0, "p99_ms": 3.0}}
    args = argparse.Namespace(systems=["rank-bm25", "corpusbot", "bm25s"], rank_bm25_max=100)
    lines = _table(1000, rows, args).splitlines()
    assert "| rank-bm25 | skipped above 100 passages |" in lines[-3]
    assert lines[-2].endswith("| 1.00 | 2.00 | 1.0× | 1.0× |")
    assert lines[-1].endswith("| 3.00 | 3.00 | 3.0× | 1.5× |")


def test_snippet_benchmark_runs_and_finds_the_same_matches_as_the_full_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": "a", "title": "North Korea satellites", "text": "North Korea's satellite rose."},
        {"id": "b", "title": "Zürich café prices", "text": "A café in Zürich; O'Neil's plants."},
    ]
    (corpus / "docs.jsonl").write_text("\n".join(json.dumps(r) for r in records), "utf-8")
    snippets.main([str(corpus), "--questions", "5", "--passes", "1"])
    printed = capsys.readouterr().out
    assert "2 questions, 2 shown passages; same matches: True" in printed
    assert printed.strip().splitlines()[-1].split()[0] == "1"  # one pass row


def test_format_benchmark_loads_every_format_and_prints_a_row_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    formats.main(["--files", "2", "--repeat", "1", "--work", str(tmp_path), "--pdf-pages", "3"])
    lines = capsys.readouterr().out.splitlines()
    rows, long_pdf = lines[2:8], lines[9:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| txt",
        "| md",
        "| jsonl",
        "| html",
        "| docx",
        "| pdf",
    ]
    assert long_pdf[2].startswith("| report.pdf | 3 | ")
    assert all(row.split(" | ")[1:4:2] == ["2", "2"] for row in rows)  # files, documents
    load = load_corpus(tmp_path / "html")
    # The <h1> with nothing under it folds into the first <h2>'s section: four headed parts.
    assert [len(d.sections) for d in load.documents] == [4, 4]


def test_the_query_log_benchmark_writes_every_row_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert querylog.main(["--rows", "300"]) == 0  # SQLite only: it asserts every row written
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("sqlite: 300 rows written in ") and "stats" in line


def test_the_build_phases_cover_a_build_and_index_every_passage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_corpus(tmp_path / "c", SOURCE, 300)
    work = tmp_path / "work"
    clock = build_phases.time_phases(tmp_path / "c", PassageSettings(), work)
    assert list(clock.seconds) == [
        *("read", "detect", "split", "tokenise + count"),
        *("store add", "index add", "store finish", "index layout + write"),
    ]
    assert all(seconds >= 0 for seconds in clock.seconds.values())
    assert load_arrays(work)[0].doc_len.size == 300
    assert build_phases.main([str(tmp_path / "c")]) == 0
    printed = capsys.readouterr().out
    assert "| detect |" in printed and "| **total** |" in printed


def test_the_layered_benchmark_times_each_phase_and_both_indexes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import layered
    from bot.search.service import SearchService

    folder = tmp_path / "corpus"
    folder.mkdir()
    texts = list(
        corpus_texts([f"passage {n} about rivers and the harvest" for n in range(20)], 400)
    )
    for first in range(0, len(texts), 10):  # small files: one edit is a small part of it
        records = [
            json.dumps({"id": f"p{first + n}", "text": t})
            for n, t in enumerate(texts[first : first + 10])
        ]
        (folder / f"part{first:04d}.jsonl").write_text("\n".join(records) + "\n")
    SearchService.from_folder(folder, cache_dir=tmp_path / "cache", language="en")
    snapshot = next(p for p in (tmp_path / "cache").iterdir() if not p.name.startswith("."))
    arguments = [str(folder), "--snapshot", str(snapshot), "--edits", "2", "--queries", "5"]
    assert layered.main([*arguments, "--language", "en"]) == 0
    printed = capsys.readouterr().out
    assert [line.split()[0] for line in printed.splitlines()[1:3]] == ["1", "2"]
    assert "layered-" in printed and "saved" in printed


def test_the_contention_benchmark_searches_through_both_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_corpus(tmp_path / "c", SOURCE, 300)
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps(["alpha3 beta3", "gamma7", "nothing here"]))
    assert build_contention.main([str(tmp_path / "c"), str(queries), "--seconds", "0.2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in rows[1:]] == [
        "| idle",
        "| a full build in a thread",
        "| a full build in a child process",
    ]
    assert all(int(line.split(" | ")[1]) > 0 for line in rows[1:])  # searches were timed
