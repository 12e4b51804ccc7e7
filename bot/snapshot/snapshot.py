"""A corpus snapshot: the passage store and the BM25 index, built together from one corpus state
and never mutated, so swapping corpora is one assignment."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus import FileRules
from bot.corpus.languages import AUTO
from bot.corpus.passages import MAX_WORDS, MIN_WORDS
from bot.index.backends import Backend
from bot.index.bm25 import BM25Parameters
from bot.index.layered import LayeredIndex
from bot.index.passage_index import PassageIndex
from bot.snapshot.manifest import Manifest
from bot.storage.layered_store import LayeredStore
from bot.storage.passage_store import PassageStore

META_FILE = "snapshot.json"


@dataclass(frozen=True, slots=True)
class PassageSettings:
    """Everything besides the files that decides a snapshot's content."""

    params: BM25Parameters = field(default_factory=BM25Parameters)
    min_words: int = MIN_WORDS
    max_words: int = MAX_WORDS
    files: FileRules = field(default_factory=FileRules)
    language: str = AUTO  # of documents that declare none: an ISO 639-1 code, or AUTO


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Passages and their index, built together from one corpus state; never mutated.

    A saved snapshot with the files changed since laid over it (``layers.py``) has a layered
    store and index; ``files`` then says where each file's documents are.
    """

    store: PassageStore | LayeredStore
    index: PassageIndex | LayeredIndex
    skipped: tuple[tuple[str, str], ...] = ()
    repaired: tuple[tuple[str, str], ...] = ()
    cached: bool = False
    directory: Path | None = None
    # Each corpus file's identity when read and its documents' numbers in the store, when
    # known (a snapshot of a folder in the cache).
    files: Mapping[str, tuple[str, range]] | None = None


def open_snapshot(directory: Path, backend: Backend = "auto") -> Snapshot:
    """Memory-map a saved snapshot; ``backend`` answers its queries."""
    store = PassageStore.open(directory)
    index = PassageIndex.load(directory, backend=backend)
    return as_saved(Snapshot(store=store, index=index, cached=True), directory)


def as_saved(snapshot: Snapshot, directory: Path) -> Snapshot:
    """``snapshot``, whose store and index are the ones saved in ``directory``, with what the
    folder's metadata and manifest say of it: what its load skipped and repaired, and where
    each file's documents are."""
    meta = json.loads((directory / META_FILE).read_text())
    manifest = Manifest.load(directory)
    ranges = manifest.ranges()
    return dataclasses.replace(
        snapshot,
        skipped=tuple((p, r) for p, r in meta["skipped"]),
        repaired=tuple((p, r) for p, r in meta["repaired"]),
        directory=directory,
        files={e.relative: (e.identity, ranges[e.relative]) for e in manifest.files},
    )
