"""A corpus snapshot: the passage store and the BM25 index, built together from one corpus state
and never mutated, so swapping corpora is one assignment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus import FileRules
from bot.corpus.languages import AUTO
from bot.corpus.passages import MAX_WORDS, MIN_WORDS
from bot.index.backends import Backend
from bot.index.bm25 import BM25Parameters
from bot.index.passage_index import PassageIndex
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
    """Passages and their index, built together from one corpus state; never mutated."""

    store: PassageStore
    index: PassageIndex
    skipped: tuple[tuple[str, str], ...] = ()
    repaired: tuple[tuple[str, str], ...] = ()
    cached: bool = False
    directory: Path | None = None


def open_snapshot(directory: Path, backend: Backend = "auto") -> Snapshot:
    """Memory-map a saved snapshot; ``backend`` answers its queries."""
    meta = json.loads((directory / META_FILE).read_text())
    return Snapshot(
        store=PassageStore.open(directory),
        index=PassageIndex.load(directory, backend=backend),
        skipped=tuple((p, r) for p, r in meta["skipped"]),
        repaired=tuple((p, r) for p, r in meta["repaired"]),
        cached=True,
        directory=directory,
    )
