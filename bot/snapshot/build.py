"""Build a snapshot: documents cut into passages, tokenised and indexed in chunks, written out as
they come so memory stays near the size of the finished index rather than of the corpus.

A large corpus is tokenised by worker processes, a bounded number of chunks in flight.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.analysis.analyzer import passage_terms, title_weight
from bot.corpus import Document
from bot.corpus.passages import split_passages
from bot.index.backends import Backend
from bot.index.build import CountedChunk, IndexBuilder, count_terms
from bot.index.passage_index import PassageIndex
from bot.snapshot.progress import Progress
from bot.snapshot.snapshot import PassageSettings, Snapshot
from bot.storage.passage_store import PassageStoreBuilder

CHUNK_CHARS = 2_000_000  # document text per tokenising task
PARALLEL_CHARS = 20_000_000  # corpora larger than this are tokenised by worker processes
_IGNORE_SIGINT = (signal.SIGINT, signal.SIG_IGN)


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
    spans: list[list[tuple[int, int, int]]],
    counted: CountedChunk,
    bar: Progress,
) -> None:
    for document, document_spans in zip(chunk, spans, strict=True):
        store.add(document, document_spans)
    builder.add_counts(counted)
    bar.update(len(chunk), int(counted.lengths.size), sum(len(d.text) for d in chunk))


def _split_and_count(
    task: tuple[Sequence[Document], int, int],
) -> tuple[list[list[tuple[int, int, int]]], CountedChunk]:
    """Passage spans (start, end, section number) of each document and the term counts of all
    their passages."""
    documents, min_words, max_words = task
    spans: list[list[tuple[int, int, int]]] = []
    terms: list[list[str]] = []
    for document in documents:
        cut = split_passages(document, min_words, max_words)
        spans.append([(p.start, p.end, p.section_number) for p in cut])
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
