"""The passages of a corpus edited since its store was saved: the saved store (the base) without
the documents of the files that changed or went, then the documents those files hold now (the
delta, a small store of its own), numbered as one store.

Positions and document numbers are dense: the base's kept passages in their order, then the
delta's. A change removes whole files, so a kept document keeps all its passages and their
order, and its passage ids are what they were.
"""

from __future__ import annotations

import mmap
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt

from bot.corpus import Document
from bot.corpus.passages import Passage
from bot.storage.passage_store import (
    DocumentSpan,
    PassageStore,
    StoreDocuments,
    passage_position,
)
from bot.storage.sequences import LazySequence


class LayeredStore(LazySequence[Passage]):
    """The base's kept documents, then the delta's, as one sequence of passages."""

    def __init__(
        self, base: PassageStore, kept_documents: npt.NDArray[np.bool_], delta: PassageStore
    ) -> None:
        self.base = base
        self.delta = delta
        counts = base.passage_counts()
        kept_passages = np.repeat(kept_documents, counts)
        self._is_kept = kept_documents
        self._kept_documents = np.flatnonzero(kept_documents)
        self._kept_passages = np.flatnonzero(kept_passages)
        self._document_rank = np.cumsum(kept_documents, dtype=np.int64) - 1
        # Passages removed before each base position: a kept one moves down by that many.
        self._removed_before = np.concatenate([[0], np.cumsum(~kept_passages, dtype=np.int64)])
        self._base_documents = int(self._kept_documents.size)
        self._base_passages = int(self._kept_passages.size)
        codes = list(base.languages)
        for code in delta.languages:
            if code not in codes:
                codes.append(code)
        if len(codes) > 256:
            raise ValueError("a corpus holds at most 256 languages")
        self.languages: tuple[str, ...] = tuple(codes)
        """The corpus's language codes: the base's, then the delta's new ones."""
        renumber = np.array([codes.index(c) for c in delta.languages] or [0], dtype=np.uint8)
        self.passage_languages: npt.NDArray[np.uint8] = np.concatenate(
            [base.passage_languages[self._kept_passages], renumber[delta.passage_languages]]
        )
        """Each passage's language, as its number in :attr:`languages`."""
        self.documents = StoreDocuments(self)
        self.document = lru_cache(maxsize=512)(self._make_document)

    def __len__(self) -> int:
        return self._base_passages + len(self.delta)

    def _item(self, position: int) -> Passage:
        if position < self._base_passages:
            return self.base[int(self._kept_passages[position])]
        return self.delta[position - self._base_passages]

    def _make_document(self, number: int) -> Document:
        if number < self._base_documents:
            return self.base.document(int(self._kept_documents[number]))
        return self.delta.document(number - self._base_documents)

    @property
    def document_count(self) -> int:
        """How many documents the passages come from."""
        return self._base_documents + self.delta.document_count

    def document_span(self, number: int) -> DocumentSpan:
        """Where a document's passages are."""
        if number >= self._base_documents:
            span = self.delta.document_span(number - self._base_documents)
            return DocumentSpan(
                number, span.first + self._base_passages, span.end + self._base_passages
            )
        span = self.base.document_span(int(self._kept_documents[number]))
        moved = int(self._removed_before[span.first])
        return DocumentSpan(number, span.first - moved, span.end - moved)

    def find_document(self, document_id: str) -> int:
        """A document's number by id, -1 if there is none."""
        number = self.delta.find_document(document_id)
        if number >= 0:
            return number + self._base_documents
        number = self.base.find_document(document_id)
        if number < 0 or not self._is_kept[number]:
            return -1
        return int(self._document_rank[number])

    def nearby_documents(self, document_id: str, radius: int) -> list[int]:
        """Documents whose ids sort close to ``document_id``: candidates for "did you mean"."""
        base = [
            int(self._document_rank[n])
            for n in self.base.nearby_documents(document_id, radius)
            if self._is_kept[n]
        ]
        delta = self.delta.nearby_documents(document_id, radius)
        return base + [n + self._base_documents for n in delta]

    def find_passage(self, passage_id: str) -> int:
        """A passage's position by id (``<document id>#<n>``), -1 if there is none."""
        return passage_position(self, passage_id)

    def search_text(self) -> tuple[bytes | mmap.mmap, memoryview[int]]:
        """Every document's search entry, one after another, and where each starts."""
        return self._search_text

    @cached_property
    def _search_text(self) -> tuple[bytes, memoryview[int]]:
        base_text, base_starts = self.base.search_text()
        delta_text, delta_starts = self.delta.search_text()
        starts = np.frombuffer(base_starts, dtype=np.int64)
        kept = self._kept_documents
        # Runs of consecutive kept documents: few, as a change removes few documents.
        breaks = np.flatnonzero(np.diff(kept) != 1) + 1
        pieces: list[bytes] = []
        offsets: list[npt.NDArray[np.int64]] = []
        length = 0
        for run in np.split(kept, breaks) if kept.size else []:
            begin, end = int(starts[run[0]]), int(starts[run[-1] + 1])
            pieces.append(bytes(base_text[begin:end]))
            offsets.append(starts[run] - begin + length)
            length += end - begin
        delta_offsets = np.frombuffer(delta_starts, dtype=np.int64)
        pieces.append(bytes(delta_text[: int(delta_offsets[-1])]))
        offsets.append(delta_offsets + length)
        joined = np.ascontiguousarray(np.concatenate(offsets), dtype=np.int64)
        return b"".join(pieces), joined.data.cast("B").cast("q")

    def passage_counts(self) -> npt.NDArray[np.int64]:
        """How many passages each document has (0 for one that yielded none)."""
        base = self.base.passage_counts()[self._kept_documents]
        return np.concatenate([base, self.delta.passage_counts()])

    def passage_document(self, position: int) -> int:
        """The number of the document a passage comes from."""
        if position < self._base_passages:
            base = self.base.passage_document(int(self._kept_passages[position]))
            return int(self._document_rank[base])
        return self.delta.passage_document(position - self._base_passages) + self._base_documents

    def document_id(self, number: int) -> str:
        """A document's id without decoding its text."""
        if number < self._base_documents:
            return self.base.document_id(int(self._kept_documents[number]))
        return self.delta.document_id(number - self._base_documents)

    def document_title(self, number: int) -> str:
        """A document's title without decoding its text."""
        if number < self._base_documents:
            return self.base.document_title(int(self._kept_documents[number]))
        return self.delta.document_title(number - self._base_documents)
