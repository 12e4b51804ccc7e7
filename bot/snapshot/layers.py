"""A saved snapshot brought up to date by reading only the files that changed since it was built:
their old documents taken out, their new ones indexed on their own (the delta) and laid over it.

The result answers exactly as a full build of the corpus as it now is would (same passages, same
``rank-bm25`` scores); only ties between equal scores may fall in another order, as the changed
files' passages come last. When that cannot be promised (an id that a kept file's document also
has, where the walk's order decides which one a full build keeps), :func:`layer_changes`
returns ``None`` and the caller builds in full.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.analysis import languages
from bot.corpus import CorpusLoad, Document
from bot.corpus.load import file_documents
from bot.corpus.passages import passage_spans
from bot.corpus.walk import CorpusFile, CorpusListing
from bot.index.backends import Backend
from bot.index.backends.base import IntArray
from bot.index.build import IndexBuilder
from bot.index.layered import LayeredIndex
from bot.index.passage_index import PassageIndex
from bot.snapshot.build import ChunkTexts, SplitChunk, add_split, split_and_count
from bot.snapshot.manifest import Changes, FileEntry, Manifest, entries_in_order, notes
from bot.snapshot.snapshot import PassageSettings, Snapshot
from bot.storage.layered_store import LayeredStore
from bot.storage.passage_store import PassageStore, PassageStoreBuilder

log = logging.getLogger(__name__)

# What the memo keeps, at most (about three entries a changed file): a layered corpus is at most
# a tenth of the corpus away from its saved snapshot, and the files it re-read are what the next
# change lays over it again.
MEMO_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class _Saved:
    """The saved snapshot layers go over: its store, its index, and its folder as a name."""

    store: PassageStore
    index: PassageIndex
    name: str


@dataclass(frozen=True, slots=True)
class _FilePiece:
    """A re-read file: its entry, its documents and their passages' term counts."""

    key: tuple[str, ...]  # settings, path and version: what the memo keeps it under
    entry: FileEntry
    documents: list[Document]
    split: SplitChunk


class _Memo:
    """The work of earlier layered loads, so a second edit does not redo the first one's: each
    re-read file by path and version, where its documents and terms stand in a saved snapshot,
    and each saved file's removed counts. Bounded, least recently used first out."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, ...], object] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, ...], value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_MEMO = _Memo(MEMO_ENTRIES)


def layer_changes(
    base: Snapshot,
    manifest: Manifest,
    listing: CorpusListing,
    changes: Changes,
    settings: PassageSettings,
    backend: Backend = "auto",
) -> Snapshot | None:
    """``base`` with the changed files read again, its queries answered by ``backend``;
    ``None`` when only a full build is sure to give the right corpus."""
    if not isinstance(base.store, PassageStore) or not isinstance(base.index, PassageIndex):
        raise TypeError("only a saved snapshot takes layers")
    saved = _Saved(base.store, base.index, str(base.directory))
    if any(entry.has_duplicates for entry in manifest.files):
        return None  # a file's removal may bring back a document it shadowed
    if sum(entry.documents for entry in manifest.files) != base.store.document_count:
        log.warning("the manifest of %s does not match its documents", base.directory)
        return None
    ranges = manifest.ranges()
    kept_documents = np.ones(base.store.document_count, dtype=np.bool_)
    removed = np.zeros(base.index.arrays.indptr.size - 1, dtype=np.int64)
    for relative in sorted(changes.touched & ranges.keys()):
        found = ranges[relative]
        kept_documents[found.start : found.stop] = False
        counted = _removed_terms(saved, relative, found, settings)
        if counted is None:
            return None
        np.add.at(removed, *counted)
    pieces = [_piece(file, settings) for file in changes.reread]
    languages.release_build_memory()  # as after a build: the bot keeps running
    documents = [document for piece in pieces for document in piece.documents]
    if len({document.id for document in documents}) < len(documents):
        return None  # two re-read files share an id: the walk's order decides
    placed = [_placed(saved, piece) for piece in pieces]
    for piece, (numbers, _) in zip(pieces, placed, strict=True):
        clashes = numbers[numbers >= 0]
        if kept_documents[clashes].any():
            log.info("%s: an id another file has too; building in full", piece.entry.relative)
            return None
    delta_store, delta_index = _delta(pieces, settings)
    columns: dict[str, int] = {}
    for piece, (_, piece_columns) in zip(pieces, placed, strict=True):
        for term, column in zip(piece.split.counted.terms, piece_columns.tolist(), strict=True):
            columns.setdefault(term, column)  # the delta numbers its terms in this order
    kept_passages = np.repeat(kept_documents, base.store.passage_counts())
    try:
        index = LayeredIndex(
            base.index,
            kept_passages,
            delta_index,
            removed,
            delta_columns=np.fromiter(columns.values(), np.int64, len(columns)),
            backend=backend,
        )
    except ValueError as error:  # the saved index does not hold what its documents make
        log.warning("cannot lay changes over %s (%s); building in full", base.directory, error)
        return None
    store = LayeredStore(base.store, kept_documents, delta_store)
    kept = {e.relative: e for e in manifest.files if e.relative not in changes.touched}
    fresh = {piece.entry.relative: piece.entry for piece in pieces}
    order = (file.relative for file in listing.files)
    entries = list(entries_in_order(order, kept, fresh))
    return Snapshot(
        store=store,
        index=index,
        skipped=(*notes(listing.skipped), *(n for e in entries for n in e.skipped)),
        repaired=tuple(n for e in entries for n in e.repaired),
        cached=True,
        directory=base.directory,
        files=_file_documents(manifest, kept_documents, kept, fresh, documents),
    )


def _placed(saved: _Saved, piece: _FilePiece) -> tuple[IntArray, IntArray]:
    """Where a re-read file's documents and terms are in the saved snapshot: the number of the
    saved document with each document's id (-1: none), and each term's column (-1: none)."""
    key = ("placed", saved.name, *piece.key)
    found = _MEMO.get(key)
    if isinstance(found, tuple):
        return found
    numbers = np.array([saved.store.find_document(d.id) for d in piece.documents], dtype=np.int64)
    placed = numbers, saved.index.term_ids(piece.split.counted.terms)
    _MEMO.put(key, placed)
    return placed


def _piece(file: CorpusFile, settings: PassageSettings) -> _FilePiece:
    """A re-read file, split and counted (or as an earlier load found it, unchanged since)."""
    key = (repr(settings), file.location, file.version)
    found = _MEMO.get(key) if file.version else None
    if isinstance(found, _FilePiece):
        return found
    load = CorpusLoad()
    documents = list(file_documents(file, load, settings.files, set()))
    entry = FileEntry(
        file.relative, file.version, len(documents), notes(load.skipped), notes(load.repaired)
    )
    piece = _FilePiece(key, entry, documents, split_and_count(documents, settings))
    _MEMO.put(key, piece)
    return piece


def _delta(
    pieces: Sequence[_FilePiece], settings: PassageSettings
) -> tuple[PassageStore, PassageIndex]:
    """The re-read files' documents as a snapshot of their own, in memory."""
    store = PassageStoreBuilder()
    builder = IndexBuilder(settings.params)
    for piece in pieces:
        add_split(store, builder, piece.documents, piece.split)
    index = PassageIndex(builder.finish(), settings.params, backend="numpy")
    return store.finish(), index


def _removed_terms(
    saved: _Saved, relative: str, numbers: range, settings: PassageSettings
) -> tuple[IntArray, IntArray] | None:
    """The base columns of the terms of a saved file's passages, and in how many passages each
    occurs, as the build counted them (their text, language and passages are the saved ones);
    ``None`` if a document no longer cuts into the passages it had, or has a term the index
    lacks (the saved snapshot is not this code's)."""
    key = ("removed", repr(settings), saved.name, relative)
    found = _MEMO.get(key)
    if isinstance(found, tuple):
        return found
    store = saved.store
    texts = ChunkTexts()
    for number in numbers:
        document = store.document(number)
        cut = passage_spans(document, settings.min_words, settings.max_words)
        span = store.document_span(number)
        if len(cut) != span.end - span.first:
            return None
        texts.add(document, cut, document.language or "")
    removed, _ = texts.count()
    columns = saved.index.term_ids(removed.terms)
    if columns.size and int(columns.min()) < 0:
        return None
    # A posting is a passage a term occurs in: a term's postings are its passages.
    counted = columns, np.bincount(removed.term, minlength=len(removed.terms)).astype(np.int64)
    _MEMO.put(key, counted)
    return counted


def _file_documents(
    manifest: Manifest,
    kept_documents: npt.NDArray[np.bool_],
    kept: dict[str, FileEntry],
    fresh: dict[str, FileEntry],
    documents: Sequence[Document],
) -> dict[str, tuple[str, range]]:
    """Each file's identity and its documents' numbers in the layered store."""
    ranges = manifest.ranges()
    rank = np.cumsum(kept_documents) - 1
    found: dict[str, tuple[str, range]] = {}
    for relative, entry in kept.items():
        numbers = ranges[relative]
        first = int(rank[numbers.start]) if numbers else 0
        found[relative] = (entry.identity, range(first, first + len(numbers)))
    first = int(np.count_nonzero(kept_documents))
    for relative, entry in fresh.items():
        found[relative] = (entry.identity, range(first, first + entry.documents))
        first += entry.documents
    if first != int(np.count_nonzero(kept_documents)) + len(documents):
        raise AssertionError("the delta's documents do not add up")
    return found
