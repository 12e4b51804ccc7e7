"""Build a snapshot: documents cut into passages, tokenised and indexed in chunks, written out as
they come so memory stays near the size of the finished index rather than of the corpus.

A large corpus is tokenised by worker processes, a bounded number of chunks in flight.
"""

from __future__ import annotations

import gc
import os
import shutil
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.analysis import languages
from bot.analysis.analyzer import Analyzer
from bot.analysis.numbering import NumberedTerms
from bot.corpus import Document, Section
from bot.corpus.documents import DocumentText
from bot.corpus.languages import AUTO
from bot.corpus.passages import passage_spans
from bot.index.backends import Backend
from bot.index.build import CountedChunk, IndexBuilder, count_numbered
from bot.index.passage_index import PassageIndex
from bot.snapshot.progress import Progress
from bot.snapshot.snapshot import PassageSettings, Snapshot
from bot.snapshot.transfer import SentTerms, TermOrigins, TermReceiver, TermSender
from bot.snapshot.worker_pool import worker_pool
from bot.storage.passage_store import PassageSpans, PassageStoreBuilder

# Document text per tokenising task: a task's fixed costs (its vocabulary, the kernels' calls,
# sending it) are spread over more words than at 2 million (a 1M build 36.7-37.1 s against
# 39.1-40.9), at a few tens of MB more in flight; at 8 million the first task waits too long.
CHUNK_CHARS = 4_000_000
# The first task is this size, each next one twice the last's up to CHUNK_CHARS: the workers
# start on the first while the parent still reads the next (a 100k build's first worker began
# 0.3 s after the parent's first read).
FIRST_CHUNK_CHARS = 1_000_000
PARALLEL_CHARS = 20_000_000  # corpora larger than this are tokenised by worker processes
# A document's language is detected from its opening: enough text to tell, at a bounded cost
# per document however long it is.
DETECT_CHARS = 2_000


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
    with collection_paused():
        return _build(documents, settings, directory, progress, workers, expected_chars, backend)


def _build(
    documents: Iterable[Document],
    settings: PassageSettings,
    directory: Path | None,
    progress: bool | None,
    workers: int | None,
    expected_chars: int | None,
    backend: Backend,
) -> Snapshot:
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
        _tokenise_in_workers(chunks, store, builder, settings, workers, bar)
    else:
        for chunk in chunks:
            _add(store, builder, chunk, split_and_count(chunk, settings), bar)
    bar.close()
    languages.release_build_memory()  # the bot keeps running after its build
    with ThreadPoolExecutor(1) as finishing:
        # The store's writes and checks beside the index's layout, whose kernels and sorts let
        # go of the interpreter lock: the build's last step, with the workers gone.
        store_finished = finishing.submit(store.finish)
        built_index = PassageIndex(builder.finish(directory), settings.params, backend=backend)
        built_store = store_finished.result()
    if directory is not None:
        shutil.rmtree(directory / "spill", ignore_errors=True)
    return Snapshot(store=built_store, index=built_index, directory=directory)


def _tokenise_in_workers(
    chunks: Iterable[list[Document]],
    store: PassageStoreBuilder,
    builder: IndexBuilder,
    settings: PassageSettings,
    workers: int,
    bar: Progress,
) -> None:
    """Add ``chunks`` as ``workers`` worker processes split and count them, a few at a time in
    flight and added in their order
    (:class:`~bot.snapshot.worker_pool.BuildWorkerLost` if a worker is killed)."""
    # Once here, not in each forked worker.
    if settings.language == AUTO:
        languages.load_document_detector()
    languages.analyzer_for(languages.DEFAULT_LANGUAGE).prepare()
    received = TermReceiver()
    with worker_pool(workers) as pool:
        # A bounded queue of tasks: the stream is read only a few chunks ahead.
        pending: deque[tuple[list[Document], Future[tuple[SplitChunk, SentTerms]]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_split_and_count, (_columns(chunk), settings))))
            while len(pending) > 2 * workers:
                done, result = pending.popleft()
                _add_sent(store, builder, done, result.result(), received, bar)
        while pending:
            done, result = pending.popleft()
            _add_sent(store, builder, done, result.result(), received, bar)


# Builds under way in this process, and whether the collector was on when the first began.
_PAUSES = 0
_COLLECTOR_WAS_ON = False
_PAUSES_LOCK = threading.Lock()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (and in workers forked in it), on
    again once the last of the process's builds that paused it is done, if it was on before.

    A build makes millions of short-lived objects and keeps some (documents in chunks waiting
    for workers), and each full collection also walks every object the imports made (numba's
    hundreds of thousands): at a million passages the collector cost the parent about a tenth
    of its time. What a build drops is freed by reference counting but for the worker pool's
    bookkeeping, a few dozen objects a chunk, which the collector's next full collection
    takes: what the block made and kept joins the oldest generation when the collector is back.
    """
    global _PAUSES, _COLLECTOR_WAS_ON
    with _PAUSES_LOCK:
        if _PAUSES == 0:
            _COLLECTOR_WAS_ON = gc.isenabled()
            gc.disable()
        _PAUSES += 1
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _PAUSES -= 1
            if _PAUSES == 0 and _COLLECTOR_WAS_ON:
                # What the block made and kept is all in the youngest generation, which the
                # first collection walks whole: numba's hundred thousand objects, when the build
                # loaded the detector, took 32 ms of a 100k build's tail with one core idle.
                # Frozen and unfrozen, they join the oldest, which only full collections walk;
                # not where the program keeps objects frozen itself, which that would unfreeze.
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


@dataclass(frozen=True, slots=True)
class SplitChunk:
    """What a tokenising task finds: each document's passage spans and language, and the term
    counts of all their passages with where each term comes from."""

    spans: PassageSpans
    languages: list[str]
    counted: CountedChunk
    origins: TermOrigins


def _add(
    store: PassageStoreBuilder,
    builder: IndexBuilder,
    chunk: Sequence[Document],
    split: SplitChunk,
    bar: Progress,
    term_ids: npt.NDArray[np.int64] | None = None,
) -> None:
    add_split(store, builder, chunk, split, term_ids)
    bar.update(len(chunk), int(split.counted.lengths.size), sum(len(d.text) for d in chunk))


def _add_sent(
    store: PassageStoreBuilder,
    builder: IndexBuilder,
    chunk: Sequence[Document],
    sent: tuple[SplitChunk, SentTerms],
    received: TermReceiver,
    bar: Progress,
) -> None:
    """:func:`_add` of a worker's result (:func:`_split_and_count`)."""
    split, terms = sent
    _add(store, builder, chunk, split, bar, received.term_ids(terms, builder))


def add_split(
    store: PassageStoreBuilder,
    builder: IndexBuilder,
    documents: Sequence[Document],
    split: SplitChunk,
    term_ids: npt.NDArray[np.int64] | None = None,
) -> None:
    """Add ``documents`` and their passages to the store, and their term counts to the index
    builder, as :func:`split_and_count` found them (with the builder's numbers of their terms,
    if known: see :meth:`IndexBuilder.add_counts`)."""
    store.add(documents, split.spans, split.languages)
    builder.add_counts(split.counted, term_ids)


class _Text(NamedTuple):
    """The fields of a document a worker reads (:class:`DocumentText`)."""

    title: str
    text: str
    sections: tuple[Section, ...]
    language: str | None


_Columns = tuple[list[str], list[str], list[tuple[Section, ...]], list[str | None]]


def _columns(documents: Sequence[Document]) -> _Columns:
    """What a worker reads of ``documents``, field by field: lists of strings pickle in C,
    where each document pickled is a Python call each way (about four times the time, both
    ways, on the bench corpus)."""
    return (
        [document.title for document in documents],
        [document.text for document in documents],
        [document.sections for document in documents],
        [document.language for document in documents],
    )


# The worker's record of the terms it has sent its parent (made in the worker).
_SENDER: TermSender | None = None


def _split_and_count(task: tuple[_Columns, PassageSettings]) -> tuple[SplitChunk, SentTerms]:
    """:func:`split_and_count` as a worker's task, of documents sent as :func:`_columns`; the
    chunk's terms go back as :class:`~bot.snapshot.transfer.SentTerms`, not as strings."""
    global _SENDER
    columns, settings = task
    split = split_and_count(list(map(_Text._make, zip(*columns, strict=True))), settings)
    if _SENDER is None or _SENDER.pid != os.getpid():
        _SENDER = TermSender()
    sent = _SENDER.send(split.counted.terms, split.origins)
    return replace(split, counted=replace(split.counted, terms=[])), sent


def split_and_count(documents: Sequence[DocumentText], settings: PassageSettings) -> SplitChunk:
    """Passage spans and the language of each document, and the term counts of all their
    passages, each passage's terms from its document's language's analyzer."""
    spans: list[list[tuple[int, int, int]]] = []
    found: list[str] = []
    texts = ChunkTexts()
    for document, language in zip(
        documents, document_languages(documents, settings.language), strict=True
    ):
        cut = passage_spans(document, settings.min_words, settings.max_words)
        texts.add(document, cut, language)
        spans.append(cut)
        found.append(language)
    return SplitChunk(PassageSpans.of(spans), found, *texts.count())


class ChunkTexts:
    """A chunk's passages as their analyzers take them: each passage's text, and its
    document's title where that counts, then counted all together."""

    def __init__(self) -> None:
        self._segments: dict[Analyzer, _Segments] = {}
        self._passages = 0

    def add(
        self, document: DocumentText, spans: Sequence[tuple[int, int, int]], language: str
    ) -> None:
        """Add a document's passages, ``(start, end, section number)`` each, in ``language``."""
        analyzer = languages.analyzer_for(language)
        weight = analyzer.title_weight(document.title, document.text)
        group = self._segments.setdefault(analyzer, _Segments())
        for start, end, _ in spans:
            if weight > 0:
                group.add(document.title, self._passages, weight)
            group.add(document.text[start:end], self._passages, 1)
            self._passages += 1

    def count(self) -> tuple[CountedChunk, TermOrigins]:
        """The term counts of every passage added, in order, and where each term comes from."""
        return _count(self._segments, self._passages)


class _Segments:
    """The texts one analyzer tokenises for a chunk's passages: each passage's text, and its
    title where that counts, each with the passage it belongs to and how many times it
    counts."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.passages: list[int] = []
        self.weights: list[int] = []

    def add(self, text: str, passage: int, weight: int) -> None:
        self.texts.append(text)
        self.passages.append(passage)
        self.weights.append(weight)


def _count(segments: dict[Analyzer, _Segments], passages: int) -> tuple[CountedChunk, TermOrigins]:
    """The term counts of ``passages`` passages from their segments, tokenised by each
    analyzer in one pass, and where each term comes from; a term two analyzers make is one
    term, from the first."""
    terms: list[str] = []
    first: _FirstTerms | None = None
    numbers: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
    owners: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
    weights: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
    generations: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
    lasting: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
    for analyzer, group in segments.items():
        numbered = analyzer.number_terms(group.texts)
        if first is None:  # the first analyzer's numbers stand as they are
            terms = list(numbered.terms)
            numbers.append(numbered.numbers)
            added = np.arange(len(terms))
            if terms:
                first = _FirstTerms(numbered)
        else:
            before = len(terms)
            ours = np.fromiter(
                (first.number(term, terms) for term in numbered.terms),
                dtype=np.int64,
                count=len(numbered.terms),
            )
            numbers.append(ours[numbered.numbers])
            # New terms took the next numbers in their order here: they went on the end.
            added = np.flatnonzero(ours >= before)
        generations.append(np.full(added.size, numbered.generation, dtype=np.int64))
        lasting.append(numbered.lasting[added])
        owners.append(np.asarray(group.passages, dtype=np.int64)[numbered.owners])
        weights.append(np.asarray(group.weights, dtype=np.int64)[numbered.owners])
    counted = count_numbered(
        terms,
        np.concatenate(numbers),
        np.concatenate(owners),
        np.concatenate(weights),
        passages,
    )
    return counted, TermOrigins(np.concatenate(generations), np.concatenate(lasting))


class _FirstTerms:
    """A chunk's terms so far, found by their strings: the first analyzer's (nearly all of
    them) through its numbering's own table of every term it has made, so no table of the
    chunk's tens of thousands of terms is made for the few other analyzers' hundreds; those
    added after them in a table of their own."""

    def __init__(self, numbered: NumberedTerms) -> None:
        self._numbered = numbered.numbered
        self._position = np.full(int(numbered.lasting.max()) + 1, -1, dtype=np.int64)
        self._position[numbered.lasting] = np.arange(numbered.lasting.size)
        self._others: dict[str, int] = {}

    def number(self, term: str, terms: list[str]) -> int:
        """``term``'s number among ``terms``, where it is appended if it is not there yet."""
        lasting = self._numbered.get(term)
        if lasting is not None and lasting < self._position.size:
            found = int(self._position[lasting])
            if found >= 0:
                return found
        number = self._others.get(term)
        if number is None:
            number = self._others[term] = len(terms)
            terms.append(term)
        return number


def document_languages(documents: Sequence[DocumentText], corpus_language: str) -> list[str]:
    """The language each document is indexed in: the one its file declares, else the corpus's
    (``CORPUS_LANGUAGE``), else the one its opening is written in, when that is ``auto``; the
    openings detected in one call."""
    if corpus_language != AUTO:
        return [document.language or corpus_language for document in documents]
    undeclared = [document.text[:DETECT_CHARS] for document in documents if not document.language]
    detected = iter(languages.detect_document_languages(undeclared) if undeclared else [])
    return [document.language or next(detected) for document in documents]


def _by_chars(documents: Iterable[Document]) -> Iterator[list[Document]]:
    """``documents`` in chunks of :data:`CHUNK_CHARS` characters, the first few smaller."""
    chunk: list[Document] = []
    size = 0
    limit = min(FIRST_CHUNK_CHARS, CHUNK_CHARS)
    for document in documents:
        chunk.append(document)
        size += len(document.text)
        if size >= limit:
            yield chunk
            chunk, size = [], 0
            limit = min(2 * limit, CHUNK_CHARS)
    if chunk:
        yield chunk
