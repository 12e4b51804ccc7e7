"""Building a snapshot: worker processes give the serial result, the corpus is streamed with a
bounded number of chunks in flight, and slow builds report progress."""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import bot.snapshot.build as snapshot_build
import bot.snapshot.progress as snapshot_progress
from bot.analysis.languages import analyzer_for
from bot.corpus import Document, Section, load_corpus
from bot.snapshot import PassageSettings, Snapshot, build_snapshot, load_snapshot
from bot.snapshot.progress import Progress
from bot.snapshot.worker_pool import WORKER_NICENESS, BuildWorkerLost, worker_pool

TOPICS = ["river delta", "coffee harvest", "railway strike", "gold price", "island birds"]


def documents(count: int) -> list[Document]:
    rng = np.random.default_rng(5)
    words = [f"word{i}" for i in range(300)]
    made = []
    for number in range(count):
        sentences = [
            " ".join(rng.choice(words, size=12)).capitalize() + f" {TOPICS[number % 5]}."
            for _ in range(int(rng.integers(3, 40)))
        ]
        made.append(Document(f"d{number}", f"Title {number}", " ".join(sentences), "x.jsonl"))
    return made


def snapshot_contents(snapshot: Snapshot) -> tuple[object, ...]:
    index = snapshot.index
    answers = [index.top(query.split(), 10) for query in [*TOPICS, "word7 word8 word9"]]
    return ([p.id for p in snapshot.store], [p.text for p in snapshot.store], answers)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few documents, and "large" from 10k characters, so workers are used."""
    monkeypatch.setattr(snapshot_build, "CHUNK_CHARS", 5_000)
    monkeypatch.setattr(snapshot_build, "PARALLEL_CHARS", 10_000)


def test_worker_processes_build_exactly_what_one_process_builds(
    small_chunks: None, tmp_path: Path
) -> None:
    docs = documents(120)
    serial = build_snapshot(docs, PassageSettings(), tmp_path / "serial", workers=1)
    parallel = build_snapshot(docs, PassageSettings(), tmp_path / "parallel", workers=2)
    assert snapshot_contents(parallel) == snapshot_contents(serial)
    in_memory = build_snapshot(docs, PassageSettings(), None, workers=1)
    assert snapshot_contents(in_memory) == snapshot_contents(serial)


@pytest.mark.timeout(60)
def test_a_killed_worker_fails_the_build_at_once(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-build (by the kernel for lack of memory, say) fails the build with
    an error that says so, where the parent would wait forever for the chunk it held."""
    counting = snapshot_build.split_and_count

    def killed_at_title_20(
        docs: list[snapshot_build.DocumentText], settings: PassageSettings
    ) -> snapshot_build.SplitChunk:
        if any(document.title == "Title 20" for document in docs):
            os.kill(os.getpid(), signal.SIGKILL)
        return counting(docs, settings)

    # Workers are forked from this process, so they run the patched function.
    monkeypatch.setattr(snapshot_build, "split_and_count", killed_at_title_20)
    with pytest.raises(BuildWorkerLost, match="stopped before it finished"):
        build_snapshot(documents(120), PassageSettings(), tmp_path / "s", workers=2)


def test_a_worker_s_error_is_the_build_s(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = snapshot_build.split_and_count

    def failing(
        docs: list[snapshot_build.DocumentText], settings: PassageSettings
    ) -> snapshot_build.SplitChunk:
        raise MemoryError("no room for this chunk")

    monkeypatch.setattr(snapshot_build, "split_and_count", failing)
    with pytest.raises(MemoryError, match="no room for this chunk"):
        build_snapshot(documents(120), PassageSettings(), tmp_path / "s", workers=2)
    # The failed build's pool is gone; the next build, in workers again, is whole.
    monkeypatch.setattr(snapshot_build, "split_and_count", counting)
    rebuilt = build_snapshot(documents(120), PassageSettings(), tmp_path / "t", workers=2)
    serial = build_snapshot(documents(120), PassageSettings(), tmp_path / "u", workers=1)
    assert snapshot_contents(rebuilt) == snapshot_contents(serial)


def _worker_and_niceness() -> tuple[int, int]:
    time.sleep(0.2)  # long enough that the other task goes to the other worker
    return os.getpid(), os.nice(0)


def test_workers_run_at_a_lower_priority_than_their_parent() -> None:
    """The parent reads the documents every worker waits for, and a bot answers questions
    beside its build: where they share a core with a worker, they go first."""
    with worker_pool(2) as pool:
        answers = [task.result() for task in [pool.submit(_worker_and_niceness) for _ in "ab"]]
    assert len({worker for worker, _ in answers}) == 2  # each worker asked
    # 19: the lowest priority there is.
    assert {niceness for _, niceness in answers} == {min(os.nice(0) + WORKER_NICENESS, 19)}


def test_workers_refused_a_lower_priority_still_build(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system that refuses the change (a container's seccomp profile, say) still builds."""

    def refused(increment: int) -> int:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "nice", refused)  # the workers are forked from this process
    parallel = build_snapshot(documents(120), PassageSettings(), tmp_path / "p", workers=2)
    serial = build_snapshot(documents(120), PassageSettings(), tmp_path / "s", workers=1)
    assert snapshot_contents(parallel) == snapshot_contents(serial)


def test_workers_see_each_document_s_sections_and_declared_language(
    small_chunks: None, tmp_path: Path
) -> None:
    """Workers get a document's title, text, sections and declared language (not the whole
    document): passages still stop at section starts and a declared language still counts."""
    docs = [
        replace(
            document,
            sections=(Section(0, "Intro"), Section(len(document.text) // 2, "Later")),
            language="de" if number % 3 == 0 else None,
        )
        if number % 2 == 0
        else document
        for number, document in enumerate(documents(60))
    ]
    serial = build_snapshot(docs, PassageSettings(), tmp_path / "serial", workers=1)
    parallel = build_snapshot(docs, PassageSettings(), tmp_path / "parallel", workers=2)
    assert snapshot_contents(parallel) == snapshot_contents(serial)
    sections = [passage.section_number for passage in parallel.store]
    assert sections == [passage.section_number for passage in serial.store]
    assert {0, 1, -1} <= set(sections)
    declared = [parallel.store.document(n).language for n in range(0, 60, 6)]
    assert declared == ["de"] * 10


def test_stream_is_read_only_a_few_chunks_ahead(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = documents(300)
    read = 0
    lags: list[int] = []

    def stream() -> Iterator[Document]:
        nonlocal read
        for document in docs:
            read += 1
            yield document

    added = 0
    original_add = snapshot_build._add

    def counting_add(store, builder, chunk, split, bar, *term_ids):  # type: ignore[no-untyped-def]
        nonlocal added
        added += len(chunk)
        lags.append(read - added)
        original_add(store, builder, chunk, split, bar, *term_ids)

    monkeypatch.setattr(snapshot_build, "_add", counting_add)
    total = sum(len(d.text) for d in docs)
    snapshot = build_snapshot(
        stream(), PassageSettings(), tmp_path / "s", workers=2, expected_chars=total
    )
    assert added == read == 300 and len(snapshot.store.documents) == 300
    chunk_documents = max(1, snapshot_build.CHUNK_CHARS // min(len(d.text) for d in docs) + 1)
    assert max(lags) <= (2 * 2 + 1) * chunk_documents  # never the whole corpus ahead
    assert max(lags) < 300 // 2


def test_streamed_load_reports_skips_like_load_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": "a", "text": "Alpha beta."}, {"id": "a", "text": "Dup."}, {"id": "b"}]
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (corpus / "empty.txt").write_text("")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 au lait is served.".encode("latin-1"))
    expected = load_corpus(corpus)
    snapshot = load_snapshot(corpus, PassageSettings(), tmp_path / "cache")
    assert [d.id for d in snapshot.store.documents] == [d.id for d in expected.documents]
    assert list(snapshot.skipped) == [(s.path, s.reason) for s in expected.skipped]
    assert list(snapshot.repaired) == [(s.path, s.reason) for s in expected.repaired]
    assert len(snapshot.skipped) == 3 and len(snapshot.repaired) == 1


def test_progress_reports_documents_passages_rate_and_eta(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter([100.0, 100.5, 102.0, 104.0, 106.0])
    monkeypatch.setattr(snapshot_progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    progress = Progress(1000, enabled=True, stream=out)
    progress.update(10, 40, 100)  # within the first second: silent
    assert out.getvalue() == ""
    progress.update(10, 40, 150)  # at 2 s: a quarter of the text, 40 passages/s
    progress.update(30, 120, 250)  # at 4 s: under 10 s since the last line (not a terminal)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "indexing: 20 documents, 80 passages, 40 passages/s, 25%, ETA 6 s"
    assert lines[1] == "indexing: 50 documents, 200 passages, 33 passages/s, done in 6 s"


def test_small_builds_print_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_snapshot(documents(5), PassageSettings(), tmp_path / "s", progress=True)
    assert capsys.readouterr().err == ""


def test_the_collector_is_off_while_building_and_in_workers_and_back_on_after(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build pauses Python's cyclic garbage collector (it walked every object numba's import
    made, again and again): in the parent as it reads documents and in the workers as they
    count, and turns it back on when done."""
    parent_states: list[bool] = []

    def watched() -> Iterator[Document]:
        for document in documents(60):
            parent_states.append(gc.isenabled())
            yield document

    counting = snapshot_build.split_and_count

    def counted_with_the_collector_off(
        docs: list[snapshot_build.DocumentText], settings: PassageSettings
    ) -> snapshot_build.SplitChunk:
        assert not gc.isenabled(), "a worker counted with the collector on"
        return counting(docs, settings)

    # Workers are forked from this process, so they run the patched function.
    monkeypatch.setattr(snapshot_build, "split_and_count", counted_with_the_collector_off)
    assert gc.isenabled()
    build_snapshot(watched(), PassageSettings(), tmp_path / "s", workers=2, expected_chars=10**6)
    assert parent_states and not any(parent_states)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off_and_nested_pauses_end_with_the_last() -> None:
    gc.disable()
    try:
        build_snapshot(documents(3), PassageSettings(), None, workers=1)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with snapshot_build.collection_paused():
        with snapshot_build.collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_what_a_paused_block_keeps_joins_the_oldest_generation() -> None:
    """Objects made while the collector is off and kept (numba's, when a build loads the
    detector) go to the oldest generation when it comes back on, so no young collection
    walks them all at the end of a build."""
    with snapshot_build.collection_paused():
        kept = [[number] for number in range(20_000)]
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert all(id(obj) in oldest for obj in (kept, kept[0], kept[-1]))


def test_objects_the_program_froze_stay_frozen_through_a_build() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with snapshot_build.collection_paused():
            pass
        assert gc.get_freeze_count() == frozen > 0
    finally:
        gc.unfreeze()


def test_workers_whose_numberings_forget_build_what_one_process_builds(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers send a term's string once until their numbering forgets it (see
    :mod:`bot.snapshot.transfer`): with two languages in most chunks and numberings that forget
    every chunk, the index is still the one a single process builds, term for term."""
    for language in ("en", "de"):
        monkeypatch.setattr(analyzer_for(language)._numbering, "_remembered", 40)
    docs = [
        replace(document, language="de") if number % 3 == 0 else document
        for number, document in enumerate(documents(120))
    ]
    serial = build_snapshot(docs, PassageSettings(), tmp_path / "serial", workers=1)
    parallel = build_snapshot(docs, PassageSettings(), tmp_path / "parallel", workers=2)
    assert snapshot_contents(parallel) == snapshot_contents(serial)
    assert list(parallel.index.arrays.terms) == list(serial.index.arrays.terms)
    for name in ("indptr", "docs", "tfs", "idf"):
        assert np.array_equal(
            getattr(parallel.index.arrays, name), getattr(serial.index.arrays, name)
        )


@pytest.mark.parametrize("remembered", [250_000, 3])
def test_a_chunk_counts_each_passage_s_own_terms_whatever_languages_share_it(
    monkeypatch: pytest.MonkeyPatch, remembered: int
) -> None:
    """A chunk's counts, against each passage's terms from its own language's analyzer: each
    term once in the chunk's vocabulary, however often the numberings forget (after every
    call, at 3 pieces) and whatever words the languages share."""
    for language in ("en", "de", "fr"):
        monkeypatch.setattr(analyzer_for(language)._numbering, "_remembered", remembered)
    languages_used = ["en", "de", "fr", "en", "en", "de"]
    docs = [
        replace(document, language=languages_used[number % len(languages_used)])
        for number, document in enumerate(documents(30))
    ]
    for first in range(0, len(docs), 10):
        chunk = docs[first : first + 10]
        split = snapshot_build.split_and_count(chunk, PassageSettings())
        counted = split.counted
        assert len(set(counted.terms)) == len(counted.terms)
        found: list[Counter[str]] = [Counter() for _ in counted.lengths]
        for passage, term, tf in zip(counted.passage, counted.term, counted.tf, strict=True):
            found[passage][counted.terms[term]] += int(tf)
        expected = []
        rows = split.spans.spans.tolist()
        for document, count in zip(chunk, split.spans.counts.tolist(), strict=True):
            spans, rows = rows[:count], rows[count:]
            analyzer = analyzer_for(document.language or "en")
            weight = analyzer.title_weight(document.title, document.text)
            for start, end, _ in spans:
                expected.append(
                    Counter(
                        analyzer.passage_terms(document.title, document.text[start:end], weight)
                    )
                )
        assert not rows and found == expected


def test_the_first_chunks_are_smaller_so_workers_start_sooner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(snapshot_build, "FIRST_CHUNK_CHARS", 2_000)
    monkeypatch.setattr(snapshot_build, "CHUNK_CHARS", 10_000)
    thousands = [Document(f"d{n}", "T", "x" * 1_000, "f.txt") for n in range(50)]
    sizes = [len(chunk) for chunk in snapshot_build._by_chars(thousands)]
    assert sizes == [2, 4, 8, 10, 10, 10, 6]
