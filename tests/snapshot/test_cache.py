"""Saved snapshots: round-trip, memory-mapped load, cache keys, and the lazy passage store."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.corpus import Document, load_corpus
from bot.corpus.passages import split_corpus
from bot.index import BM25Parameters, PassageIndex
from bot.present.answers import hit_quote
from bot.search.service import SearchService
from bot.snapshot import PassageSettings, load_snapshot
from bot.snapshot import cache as cache_module
from bot.snapshot.cache import BUILD_LOCK, corpus_key
from tests.conftest import DATA, SEED_DIR


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "apples.md").write_text(
        "# Apples\n\nApples are red or green. Orchards grow apples in autumn.\n\n"
        + "Cider is pressed from apples. " * 30
    )
    (folder / "pears.txt").write_text("Pears ripen after picking. Pear trees live long. " * 20)
    (folder / "feed.jsonl").write_text(
        '{"id": "x1", "title": "Plums", "text": "Plums are stone fruit.", "url": "https://p.example"}\n'
    )
    return folder


def test_cached_service_answers_exactly_like_an_in_memory_one(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    fresh = SearchService.from_folder(corpus)
    built = SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    cached = SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert not built.snapshot.cached and cached.snapshot.cached
    for query in ("apples cider", "pear trees", "plums", "nothing here"):
        expected = fresh.search(query, limit=5)
        for service in (built, cached):
            got = service.search(query, limit=5)
            assert [(h.passage.id, h.score, hit_quote(h)) for h in got.hits] == [
                (h.passage.id, h.score, hit_quote(h)) for h in expected.hits
            ]
            assert got.total_matches == expected.total_matches
    assert [p.id for p in cached.passages] == [p.id for p in fresh.passages]
    assert cached.passage("feed/x1#1") == fresh.passage("feed/x1#1")
    assert cached.passage("feed/x1#1").document.url == "https://p.example"  # type: ignore[union-attr]
    assert cached.summary.describe() == fresh.summary.describe()


def test_saved_arrays_are_memory_mapped(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    service = SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    directory = service.snapshot.directory
    assert directory is not None and (directory / "docs.npy").is_file()
    loaded = PassageIndex.load(directory)
    # Views of the maps, not copies: the service's own index as much as a fresh load.
    assert isinstance(service.index.arrays.docs.base, np.memmap)
    assert isinstance(loaded.arrays.docs.base, np.memmap)
    assert loaded.top(["appl"], 3) == service.index.top(["appl"], 3)


def test_index_save_and_load_round_trip(tmp_path: Path) -> None:
    corpus = [["a", "b", "a"], ["b", "c"], ["c"] * 300, []]
    index = PassageIndex.build(corpus, BM25Parameters(k1=0.9, b=0.4))
    index.save(tmp_path / "idx")
    loaded = PassageIndex.load(tmp_path / "idx")
    assert loaded.params == BM25Parameters(k1=0.9, b=0.4)
    assert (loaded.size, loaded.vocabulary_size) == (4, 3)
    for query in (["a"], ["c", "b"], ["zzz"]):
        np.testing.assert_array_equal(loaded.scores(query), index.scores(query))
        assert loaded.top(query, 2) == index.top(query, 2)
    assert loaded.idf("c") == index.idf("c") and loaded.idf("zzz") == 0.0


def test_cache_key_changes_with_files_and_settings(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    settings = PassageSettings()
    key = corpus_key(corpus, settings)
    assert corpus_key(corpus, settings) == key
    assert corpus_key(corpus, PassageSettings(BM25Parameters(k1=1.5))) != key
    assert corpus_key(corpus, PassageSettings(max_words=80)) != key
    (corpus / ".hidden.txt").write_text("ignored")
    (corpus / "notes.bin").write_text("unsupported")
    assert corpus_key(corpus, settings) == key
    (corpus / "new.txt").write_text("Quinces are fragrant.")
    assert corpus_key(corpus, settings) != key


def test_edited_corpus_is_rebuilt_and_old_entries_pruned(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    cache = tmp_path / "cache"
    first = load_snapshot(corpus, PassageSettings(), cache)
    assert load_snapshot(corpus, PassageSettings(), cache).cached
    pears = corpus / "pears.txt"
    pears.write_text("Quinces replaced the pears. " * 20)
    later = time.time() + 5
    os.utime(pears, (later, later))
    second = load_snapshot(corpus, PassageSettings(), cache)
    assert not second.cached and second.directory != first.directory
    service = SearchService((), snapshot=second)
    assert service.search("quinces").hits and not service.search("ripen").hits
    for edit in range(3):
        (corpus / f"extra{edit}.txt").write_text(f"Extra fruit number {edit}.")
        load_snapshot(corpus, PassageSettings(), cache)
    entries = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 2  # KEEP_SNAPSHOTS


def test_store_makes_passages_on_demand(tmp_path: Path) -> None:
    service = SearchService.from_folder(SEED_DIR, cache_dir=tmp_path / "cache")
    store = service.snapshot.store
    expected = split_corpus(SearchService.from_folder(SEED_DIR).documents)
    assert len(store) == len(expected) == 3
    assert store[1] == expected[1] and store[-1] == expected[-1]
    assert store[1:3] == expected[1:3]
    assert list(store) == expected
    with pytest.raises(IndexError):
        store[3]
    assert store.find_passage("000_fe06235f8a2d5290#3") == 2
    for missing in ("000_fe06235f8a2d5290#5", "000_fe06235f8a2d5290#03", "nope#1", "x"):
        assert store.find_passage(missing) == -1
    assert service.documents[0].text.startswith(expected[0].text)
    assert store.document(0) is store.document(0)  # decoded once, then cached


def test_a_file_rewritten_with_its_size_and_mtime_kept_is_still_rebuilt(tmp_path: Path) -> None:
    """``rsync -t`` or ``touch -r`` can put an edited file's mtime back; its ctime moves."""
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    corpus.mkdir()
    note = corpus / "a.txt"
    note.write_text("The walrus sleeps on ice.")
    before = note.stat()
    load_snapshot(corpus, PassageSettings(), cache)
    time.sleep(0.01)  # a later ctime on file systems with coarse timestamps
    note.write_text("The penguin naps on ice!!")
    assert note.stat().st_size == before.st_size
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = load_snapshot(corpus, PassageSettings(), cache)
    assert not again.cached and "penguin" in again.store[0].text


def test_a_cache_folder_that_cannot_be_written_means_an_in_memory_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    service = SearchService.from_folder(corpus, cache_dir=blocker / "index")
    assert service.search("pears").hits and not service.snapshot.cached
    assert "not writable" in caplog.text


def test_a_killed_build_leaves_nothing_behind_after_the_next_one(tmp_path: Path) -> None:
    corpus, cache = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    dead = _finished_pid()
    abandoned = cache / f".0123456789abcdef01234567.{dead}.tmp"
    (abandoned / "spill").mkdir(parents=True)
    (abandoned / "spill" / "chunk-0.npy").write_bytes(b"x" * 1000)
    alive = cache / f".0123456789abcdef01234567.{os.getppid()}.tmp"  # a build still running
    alive.mkdir()
    load_snapshot(corpus, PassageSettings(), cache)
    assert not abandoned.exists() and alive.exists()


def test_a_build_answers_from_its_own_maps_moved_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build's store and index are used as they are once their folder is moved into place,
    not opened and checked again: the same answers, files and notes as the folder opened."""
    corpus, cache = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    (corpus / "broken.jsonl").write_text('{"text": "Quinces."}\nnot json\n')
    opened: list[Path] = []
    real_open = cache_module.open_snapshot

    def recorded(directory: Path, backend: Any = "auto") -> Any:
        opened.append(directory)
        return real_open(directory, backend)

    monkeypatch.setattr(cache_module, "open_snapshot", recorded)
    built = load_snapshot(corpus, PassageSettings(), cache)
    assert opened == [] and not built.cached
    assert built.directory is not None and built.directory.parent == cache
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == [BUILD_LOCK]
    assert built.skipped and built.files  # the bad line noted; each file's documents
    reopened = real_open(built.directory, "auto")
    assert (built.skipped, built.repaired, built.files) == (
        reopened.skipped,
        reopened.repaired,
        reopened.files,
    )
    assert [(p.id, p.text) for p in built.store] == [(p.id, p.text) for p in reopened.store]
    for query in (["appl", "cider"], ["pear"], ["quinc"]):
        assert built.index.top(query, 5) == reopened.index.top(query, 5)


def test_a_build_stopped_mid_way_gives_its_folder_back_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during a build (or any error but a full disk's) removes its staging folder then
    and there: it bears the id of a process still running, which the clean-up of abandoned
    builds spares, so a bot that goes on running would keep it, spill files and all."""
    corpus, cache = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    real_build = cache_module.build_snapshot
    staged: list[Path] = []

    def interrupted(documents: Iterator[Document], settings: Any, staging: Path, **kw: Any) -> Any:
        def then_stopped() -> Iterator[Document]:
            yield next(iter(documents))
            staged.extend(staging.rglob("*"))  # what the build had written by then
            raise KeyboardInterrupt

        return real_build(then_stopped(), settings, staging, **kw)

    monkeypatch.setattr(cache_module, "build_snapshot", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_snapshot(corpus, PassageSettings(), cache)
    assert staged, "the build wrote nothing before it was stopped"
    assert [p.name for p in cache.iterdir()] == [BUILD_LOCK]
    monkeypatch.undo()
    assert load_snapshot(corpus, PassageSettings(), cache).store  # the next build is whole


def _finished_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# Each process loads the corpus into the shared cache as soon as every one of them is ready.
_LOAD_TOGETHER = """
import sys, time
from pathlib import Path
from bot.snapshot import PassageSettings, load_snapshot
corpus, cache, ready, go = map(Path, sys.argv[1:5])
ready.touch()
while not go.exists():
    time.sleep(0.001)
snapshot = load_snapshot(corpus, PassageSettings(), cache, progress=False)
print(len(snapshot.store), "mapped" if snapshot.cached else "built")
"""


def test_processes_sharing_a_cache_folder_can_build_the_same_corpus_at_once(
    tmp_path: Path,
) -> None:
    """The bot reloading while `corpusbot ask` runs (or two bots on one INDEX_CACHE_DIR) need
    the same snapshot at the same moment: one builds it, under the folder's lock, and the others
    wait and map it; none may delete a finished snapshot to put its own in place (a load would
    fail with "Directory not empty" or a missing file)."""
    cache = tmp_path / "cache"
    for round_ in range(6):
        corpus = tmp_path / f"corpus-{round_}"
        corpus.mkdir()
        for number in range(20):
            (corpus / f"doc-{number}.txt").write_text(
                f"Round {round_}, document {number}. " + "Orchards grow apples. " * 150
            )
        go = tmp_path / f"go-{round_}"
        ready = [tmp_path / f"ready-{round_}-{n}" for n in range(4)]
        loads = [
            subprocess.Popen(
                [sys.executable, "-c", _LOAD_TOGETHER, corpus, cache, flag, go],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for flag in ready
        ]
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        results = [load.communicate(timeout=120) for load in loads]
        for load, (_, err) in zip(loads, results, strict=True):
            assert load.returncode == 0, err
        outcomes = sorted(out.strip() for out, _ in results)  # 20 documents of 2 passages
        assert outcomes == ["40 built", "40 mapped", "40 mapped", "40 mapped"]
    snapshots = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(snapshots) == 2  # KEEP_SNAPSHOTS, and no build left half-placed
    assert not [p for p in cache.iterdir() if p.name.startswith(".") and p.name != BUILD_LOCK]


def test_a_full_disk_under_the_cache_builds_in_memory_and_gives_the_space_back(
    tmp_path: Path,
) -> None:
    # RLIMIT_FSIZE makes every write past 256 kB fail as a full disk does (EFBIG; Python
    # ignores SIGXFSZ), without root or a small file system of its own.
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    corpus.mkdir()
    records = (
        json.dumps({"id": n, "text": f"Record {n} tells of orchard number {n}. " * 8})
        for n in range(3000)
    )
    (corpus / "orchards.jsonl").write_text("\n".join(records))
    script = (
        "import sys; from pathlib import Path; from bot.snapshot import PassageSettings, "
        "load_snapshot; s = load_snapshot(Path(sys.argv[1]), PassageSettings(), Path(sys.argv[2]));"
        " print(len(s.store), s.directory)"
    )

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (256_000, 256_000))

    done = subprocess.run(
        [sys.executable, "-c", script, str(corpus), str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_file_size,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3000", "None"]  # every passage, built in memory
    assert "cannot save the index in" in done.stderr
    assert [p.name for p in cache.iterdir()] == [BUILD_LOCK]  # the half-written build is gone


@pytest.mark.parametrize(
    ("name", "fill"),
    [
        ("docs.npy", 2**30),  # the index: passage numbers past the end
        ("indptr.npy", 0),  # zeros where a power loss left the data unwritten
        ("term_hash_ids.npy", -5),
        ("long_row.npy", 2**20),
        ("passage_doc.npy", 1),  # the store: passages given to the wrong document
        ("doc_first.npy", 0),
        ("doc_language.npy", 200),
        ("doc_ids.offsets.npy", 2**40),  # a string table's offsets past its blob
    ],
)
def test_a_snapshot_file_of_the_right_size_holding_garbage_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, fill: int
) -> None:
    corpus, cache = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    first = load_snapshot(corpus, PassageSettings(), cache)
    assert first.directory is not None
    expected = [
        hit.passage.id for hit in SearchService((), snapshot=first).search("cider apples").hits
    ]
    damaged = np.load(first.directory / name, mmap_mode="r+")
    damaged[...] = fill  # header kept: only the values are wrong
    damaged.flush()
    del damaged, first
    again = load_snapshot(corpus, PassageSettings(), cache)
    assert not again.cached
    assert f"{name} is damaged" in caplog.text
    assert [
        hit.passage.id for hit in SearchService((), snapshot=again).search("cider apples").hits
    ] == expected
    assert load_snapshot(corpus, PassageSettings(), cache).cached  # the rebuilt one is kept


@pytest.mark.parametrize("damage", ["meta gone", "array gone", "meta garbled"])
def test_a_damaged_snapshot_is_rebuilt_in_its_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    corpus, cache = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    first = load_snapshot(corpus, PassageSettings(), cache)
    assert first.directory is not None
    if damage == "meta gone":
        (first.directory / "snapshot.json").unlink()
    elif damage == "array gone":
        next(first.directory.glob("*.npy")).unlink()
    else:
        (first.directory / "snapshot.json").write_text("{not json")
    again = load_snapshot(corpus, PassageSettings(), cache)
    assert not again.cached and again.directory == first.directory
    assert len(again.store) == len(first.store)
    assert "unreadable" in caplog.text
    assert load_snapshot(corpus, PassageSettings(), cache).cached
    assert sorted(p.name for p in cache.iterdir()) == [BUILD_LOCK, first.directory.name]


def test_sections_survive_the_cache_with_every_passage_in_its_own(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "formats", corpus)
    fresh = SearchService.from_folder(corpus)
    SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    cached = SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert cached.snapshot.cached
    # Indexing settles each document's language (detected here: the files declare none).
    documents = [replace(d, language="en") for d in load_corpus(corpus).documents]
    assert list(cached.passages) == list(fresh.passages) == split_corpus(documents)
    linux = cached.passage("install#2")
    assert linux is not None and linux.section is not None
    assert (linux.section.label, linux.link) == (
        "Installation › Linux",
        "https://docs.lantern.example/install.html#linux",
    )
    assert {p.section_number for p in cached.passages if p.document.id == "handbook"} == {
        -1,
        0,
        1,
        2,
    }


def test_a_build_lock_held_too_long_is_built_around(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stuck under the lock (a file whose read never returns) must not keep every other
    process from starting: past the patience they build for themselves."""
    corpus, cache = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(cache_module, "BUILD_LOCK_PATIENCE_SECONDS", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(cache / BUILD_LOCK)], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        snapshot = load_snapshot(corpus, PassageSettings(), cache, progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert not snapshot.cached and len(snapshot.store) > 0
    assert "building without it" in caplog.text


_HOLD_LOCK = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(descriptor, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def test_the_key_holds_the_code_this_process_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code upgraded on disk under a running bot is not the code it builds with: its keys
    stay those of the code it started with, and a new process's follow the new code."""
    cache_module._shaping_sources.cache_clear()
    started_with = cache_module.settings_key(tmp_path, PassageSettings())
    monkeypatch.setattr(cache_module, "_source_of", lambda name: b"upgraded " + name.encode())
    assert cache_module.settings_key(tmp_path, PassageSettings()) == started_with
    cache_module._shaping_sources.cache_clear()  # as in a new process
    assert cache_module.settings_key(tmp_path, PassageSettings()) != started_with
    cache_module._shaping_sources.cache_clear()  # the real sources again for the next tests
