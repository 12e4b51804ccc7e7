"""Build a corpus snapshot (passage store + BM25 index) once, keep it on disk, map it on start.

A snapshot is immutable: the service holds one reference and a rebuild makes a new one, so
swapping corpora is one assignment. Saved snapshots live in ``<cache dir>/<key>/``, where the key
hashes the corpus files (paths, sizes, modification times), the settings and the code that shapes
passages and terms; a restart with an unchanged corpus memory-maps the arrays instead of
re-reading and re-tokenising anything.

A build streams: documents are read file by file, cut, tokenised (by worker processes on a
large corpus, a bounded number of chunks in flight) and written out as they come, so memory
stays near the size of the finished index rather than of the corpus.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bot.analysis import analyzer
from bot.analysis.analyzer import passage_terms, title_weight
from bot.corpus import (
    CorpusLoad,
    Document,
    FileRules,
    decoding,
    documents,
    iter_documents,
    jsonl,
    list_corpus,
    load,
    load_corpus,
    markdown,
    passages,
    plain_text,
    text,
    walk,
)
from bot.corpus.passages import MAX_WORDS, MIN_WORDS, split_passages
from bot.index import arrays as index_arrays
from bot.index import bm25, bounds
from bot.index import build as index_build
from bot.index.backends import Backend
from bot.index.bm25 import BM25Parameters
from bot.index.build import CountedChunk, IndexBuilder, count_terms
from bot.index.passage_index import PassageIndex
from bot.storage import passage_store, string_table
from bot.storage.passage_store import PassageStore, PassageStoreBuilder

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 2  # 2: documents' search entries for /source completion
CHUNK_CHARS = 2_000_000  # document text per tokenising task
PARALLEL_CHARS = 20_000_000  # corpora larger than this are tokenised by worker processes
KEEP_SNAPSHOTS = 2  # older cache entries are removed after a build
_META = "snapshot.json"
_IGNORE_SIGINT = (signal.SIGINT, signal.SIG_IGN)
# Modules whose code decides what a snapshot holds: a change to any of them invalidates it.
_SHAPING_MODULES = (
    walk,
    decoding,
    documents,
    plain_text,
    markdown,
    jsonl,
    load,
    text,
    passages,
    analyzer,
    bm25,
    index_build,
    bounds,
    index_arrays,
    string_table,
    passage_store,
)


@dataclass(frozen=True, slots=True)
class PassageSettings:
    """Everything besides the files that decides a snapshot's content."""

    params: BM25Parameters = field(default_factory=BM25Parameters)
    min_words: int = MIN_WORDS
    max_words: int = MAX_WORDS
    files: FileRules = field(default_factory=FileRules)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Passages and their index, built together from one corpus state; never mutated."""

    store: PassageStore
    index: PassageIndex
    skipped: tuple[tuple[str, str], ...] = ()
    repaired: tuple[tuple[str, str], ...] = ()
    cached: bool = False
    directory: Path | None = None


def corpus_key(root: Path, settings: PassageSettings) -> str:
    """A hash of the corpus files' paths, sizes, mtimes, ctimes and inodes, the settings and the
    shaping code. (A file rewritten at the same size with its mtime put back, as ``rsync -t``
    or ``touch -r`` can leave it, still has a new ctime, which no user can set.)"""
    digest = hashlib.sha256()
    digest.update(f"{SNAPSHOT_FORMAT}|{settings!r}|{root.resolve()}\n".encode())
    for module in _SHAPING_MODULES:
        if module.__file__:
            digest.update(Path(module.__file__).read_bytes())
    listing = list_corpus(root, settings.files)  # the very files a build reads
    for file in listing.files:
        try:
            stat = file.path.stat()
        except OSError:
            digest.update(f"{file.relative}|unreadable\n".encode())
            continue
        identity = f"{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}|{stat.st_ino}"
        digest.update(f"{file.relative}|{identity}\n".encode())
    for refused in listing.skipped:  # a folder that becomes readable changes the corpus
        digest.update(f"{refused.path}|{refused.reason}\n".encode())
    return digest.hexdigest()[:24]


def open_snapshot(directory: Path, backend: Backend = "auto") -> Snapshot:
    """Memory-map a saved snapshot; ``backend`` answers its queries."""
    meta = json.loads((directory / _META).read_text())
    return Snapshot(
        store=PassageStore.open(directory),
        index=PassageIndex.load(directory, backend=backend),
        skipped=tuple((p, r) for p, r in meta["skipped"]),
        repaired=tuple((p, r) for p, r in meta["repaired"]),
        cached=True,
        directory=directory,
    )


def load_snapshot(
    root: Path,
    settings: PassageSettings,
    cache_dir: Path | None,
    *,
    progress: bool | None = None,
    backend: Backend = "auto",
) -> Snapshot:
    """The corpus under ``root``: from the cache when it is unchanged, else built (and saved)."""
    if cache_dir is None:
        load = load_corpus(root, settings.files)
        built = build_snapshot(load.documents, settings, None, progress=progress, backend=backend)
        return _with_load(built, load.skipped, load.repaired)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist or is not a folder")
    key = corpus_key(root, settings)
    target = cache_dir / key
    if target.exists():
        try:
            return open_snapshot(target, backend)
        except (OSError, ValueError, KeyError) as error:
            log.warning("index cache %s unreadable (%s); rebuilding", target, error)
            _set_aside(target)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = cache_dir / f".{key}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as error:
        log.warning(
            "index cache folder %s is not writable (%s); building in memory, "
            "so the next start builds again",
            cache_dir,
            error,
        )
        return load_snapshot(root, settings, None, progress=progress, backend=backend)
    _remove_abandoned_builds(cache_dir)
    load = CorpusLoad()
    build_snapshot(
        iter_documents(root, load, settings.files),
        settings,
        staging,
        progress=progress,
        expected_chars=corpus_bytes(root, settings.files),
        backend=backend,
    )
    meta = {
        "format": SNAPSHOT_FORMAT,
        "corpus": str(root),
        "skipped": [(s.path, s.reason) for s in load.skipped],
        "repaired": [(s.path, s.reason) for s in load.repaired],
    }
    (staging / _META).write_text(json.dumps(meta))
    _place(staging, target)
    _prune(cache_dir, keep=target)
    return dataclasses.replace(open_snapshot(target, backend), cached=False)


def _place(staging: Path, target: Path) -> None:
    """Move a finished build into place without touching one already there.

    The bot and ``corpusbot ask`` (or two bots) may share a cache folder and build the same
    corpus at once. The same key means the same content, so whichever lands first stays: deleting
    it to put ours in its place could pull it from under the other process while it opens it.
    """
    try:
        os.rename(staging, target)  # refuses to replace a folder that has files in it
    except OSError:
        if not (target / _META).is_file():
            raise
        shutil.rmtree(staging, ignore_errors=True)


def _set_aside(target: Path) -> None:
    """Remove an unreadable snapshot so a new build can take its name: renamed first (a
    staging name, so a crash mid-way leaves something the next build cleans up), then deleted."""
    aside = target.with_name(f".{target.name}-unreadable.{os.getpid()}.tmp")
    shutil.rmtree(aside, ignore_errors=True)
    try:
        os.rename(target, aside)
    except OSError:
        return  # already gone, or another process moved it first
    shutil.rmtree(aside, ignore_errors=True)


def corpus_bytes(root: Path, rules: FileRules) -> int:
    """Total size of the corpus files: the text a build will read, roughly, before reading it."""
    total = 0
    for file in list_corpus(root, rules).files:
        try:
            total += file.path.stat().st_size
        except OSError:
            continue
    return total


def _with_load(
    snapshot: Snapshot, skipped: Sequence[object], repaired: Sequence[object]
) -> Snapshot:
    return Snapshot(
        store=snapshot.store,
        index=snapshot.index,
        skipped=tuple((s.path, s.reason) for s in skipped),  # type: ignore[attr-defined]
        repaired=tuple((s.path, s.reason) for s in repaired),  # type: ignore[attr-defined]
        directory=snapshot.directory,
    )


def _remove_abandoned_builds(cache_dir: Path) -> None:
    """Delete staging folders (``.<key>.<pid>.tmp``) of builds whose process is gone: a build
    killed mid-way leaves one, with its spill files, that nothing else would ever remove."""
    for staging in cache_dir.glob(".*.*.tmp"):
        pid = staging.name.rsplit(".", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            log.info("removing %s, left by a build that did not finish", staging)
            shutil.rmtree(staging, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _prune(cache_dir: Path, keep: Path) -> None:
    """Drop all but the newest snapshots (open memory maps of a removed one stay valid)."""
    entries: list[tuple[float, Path]] = []
    for entry in cache_dir.iterdir():
        if entry.name.startswith("."):
            continue  # a build still in progress (its own, or another process's)
        try:
            entries.append(((entry / _META).stat().st_mtime, entry))
        except OSError:
            continue  # not a snapshot, or another process sharing the folder just removed it
    entries.sort(reverse=True)
    for _, old in entries[KEEP_SNAPSHOTS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def build_snapshot(
    documents: Iterable[Document],
    settings: PassageSettings,
    directory: Path | None,
    *,
    progress: bool | None = None,
    workers: int | None = None,
    expected_chars: int | None = None,
    backend: Backend = "auto",
) -> Snapshot:
    """Split, tokenise and index ``documents`` in chunks; written to ``directory`` when given.

    Large corpora (``expected_chars``, else the documents' own text, over
    :data:`PARALLEL_CHARS`) are tokenised by worker processes, one per core, with a few chunks
    in flight; only compact term counts come back. ``documents`` may be a stream: it is read
    once, as the workers keep up.
    """
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "spill").mkdir(exist_ok=True)
    store = PassageStoreBuilder(directory)
    builder = IndexBuilder(
        settings.params, spill=None if directory is None else directory / "spill"
    )
    if expected_chars is None:
        documents = documents if isinstance(documents, Sequence) else list(documents)
        expected_chars = sum(len(d.text) for d in documents)
    workers = workers or (os.cpu_count() or 1)
    parallel = workers > 1 and expected_chars > PARALLEL_CHARS
    bar = Progress(expected_chars, enabled=progress)
    chunks = _by_chars(documents)
    if parallel:
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        # Workers ignore Ctrl-C: the parent stops them, and the terminal shows no traceback
        # from each of them.
        with context.Pool(workers, initializer=signal.signal, initargs=_IGNORE_SIGINT) as pool:
            # apply_async with a bounded queue: Pool.imap would read the whole stream ahead.
            pending: deque[tuple[list[Document], Any]] = deque()
            for chunk in chunks:
                task = (chunk, settings.min_words, settings.max_words)
                pending.append((chunk, pool.apply_async(_split_and_count, (task,))))
                while len(pending) > 2 * workers:
                    done, result = pending.popleft()
                    spans, counted = result.get()
                    _add(store, builder, done, spans, counted, bar)
            while pending:
                done, result = pending.popleft()
                spans, counted = result.get()
                _add(store, builder, done, spans, counted, bar)
    else:
        for chunk in chunks:
            spans, counted = _split_and_count((chunk, settings.min_words, settings.max_words))
            _add(store, builder, chunk, spans, counted, bar)
    bar.close()
    built_store = store.finish()
    built_index = PassageIndex(builder.finish(directory), settings.params, backend=backend)
    if directory is not None:
        shutil.rmtree(directory / "spill", ignore_errors=True)
    return Snapshot(store=built_store, index=built_index, directory=directory)


def _add(
    store: PassageStoreBuilder,
    builder: IndexBuilder,
    chunk: Sequence[Document],
    spans: list[list[tuple[int, int]]],
    counted: CountedChunk,
    bar: Progress,
) -> None:
    for document, document_spans in zip(chunk, spans, strict=True):
        store.add(document, document_spans)
    builder.add_counts(counted)
    bar.update(len(chunk), int(counted.lengths.size), sum(len(d.text) for d in chunk))


def _split_and_count(
    task: tuple[Sequence[Document], int, int],
) -> tuple[list[list[tuple[int, int]]], CountedChunk]:
    """Passage spans of each document and the term counts of all their passages."""
    documents, min_words, max_words = task
    spans: list[list[tuple[int, int]]] = []
    terms: list[list[str]] = []
    for document in documents:
        cut = split_passages(document, min_words, max_words)
        spans.append([(p.start, p.end) for p in cut])
        weight = title_weight(document.title, document.text)
        terms.extend(passage_terms(p.title, p.text, weight) for p in cut)
    return spans, count_terms(terms)


def _by_chars(documents: Iterable[Document]) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    size = 0
    for document in documents:
        chunk.append(document)
        size += len(document.text)
        if size >= CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class Progress:
    """A one-line progress report on stderr (documents, passages, rate, ETA) for slow builds.

    The documents are read as a stream, so progress and ETA are measured in text: characters
    done against ``expected_chars`` (the corpus files' size, so an estimate). Silent for the
    first second, so small corpora print nothing; on a terminal the line is redrawn in place,
    elsewhere (logs) a line is written every ten seconds.
    """

    def __init__(
        self, expected_chars: int, *, enabled: bool | None, stream: IO[str] | None = None
    ) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._enabled = self._tty if enabled is None else enabled
        self._expected = max(expected_chars, 1)
        self._documents = 0
        self._passages = 0
        self._chars = 0
        self._started = time.monotonic()
        self._shown = 0.0

    def update(self, documents: int, passages: int, chars: int) -> None:
        """Count finished documents, passages and characters of text; redraw when due."""
        self._documents += documents
        self._passages += passages
        self._chars += chars
        now = time.monotonic()
        interval = 0.5 if self._tty else 10.0
        if self._enabled and now - self._started > 1.0 and now - self._shown >= interval:
            self._shown = now
            self._draw(now)

    def _draw(self, now: float, final: bool = False) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self._passages / elapsed
        share = min(self._chars / self._expected, 0.99)
        left = elapsed * (1 - share) / max(share, 1e-9)
        eta = f"done in {elapsed:,.0f} s" if final else f"{share:.0%}, ETA {left:,.0f} s"
        line = (
            f"indexing: {self._documents:,} documents, {self._passages:,} passages, "
            f"{rate:,.0f} passages/s, {eta}"
        )
        end = "\n" if final or not self._tty else ""
        self._stream.write(("\r" if self._tty else "") + line + end)
        self._stream.flush()

    def close(self) -> None:
        """Finish the line if anything was shown."""
        if self._shown:
            self._draw(time.monotonic(), final=True)
