"""Passages and their documents as arrays and string blobs, memory-mapped when saved.

A million :class:`~bot.corpus.passages.Passage` objects with their texts take gigabytes; the store
keeps documents as one UTF-8 blob plus offsets, and a passage as its document number and
character span. A ``Passage`` (with its ``Document``) is made only when asked for, so search
results and ``/source`` look exactly as they did when everything lived in lists.
"""

from __future__ import annotations

import bisect
import json
import mmap
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.corpus import Document
from bot.corpus.documents import Section
from bot.corpus.passages import Passage
from bot.storage.integrity import ascending, require, within
from bot.storage.sequences import LazySequence
from bot.storage.string_table import StringTable, StringWriter, write_strings

# A passage number as ids write it: ASCII digits, no leading zero ("²".isdigit() is true too).
_ORDINAL = re.compile(r"[1-9][0-9]*")

_TABLES = (
    *("doc_ids", "doc_titles", "doc_sources", "doc_urls", "doc_texts", "doc_search"),
    "doc_sections",
)
_ARRAYS = (
    *("doc_first", "doc_has_url", "doc_id_order", "doc_language", "passage_doc"),
    *("passage_span", "passage_section", "passage_language"),
)
# The language codes, in order of first use: a document's or passage's language is a number
# into them (one byte each).
_LANGUAGES = "languages"
# A document that reaches the store without a language (built outside a snapshot build).
UNKNOWN_LANGUAGE = "und"
# Documents' strings are written a batch at a time, each table's in one write: a batch ends at
# this many documents or this much text, whichever comes first.
_BATCH_DOCUMENTS = 1024
_BATCH_CHARS = 4_000_000


class _ListWriter:
    """The in-memory twin of :class:`StringWriter`."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def extend(self, values: Iterable[str]) -> None:
        self.values.extend(values)

    def close(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class PassageSpans:
    """Where several documents' passages are, in order: row ``i`` of ``spans`` is passage
    ``i``'s ``(start, end, section number)`` (the character span, and which of its document's
    sections holds it, -1 for none), and ``counts`` says how many passages each document has.

    Arrays rather than a list of tuples a passage: a build's workers send these to its parent,
    where unpickling a hundred thousand tuples took a tenth of a second of a 100k build.
    """

    spans: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]

    @classmethod
    def of(cls, documents: Sequence[Sequence[tuple[int, int, int]]]) -> PassageSpans:
        """Each document's passages' ``(start, end, section number)``, as arrays."""
        counts = np.fromiter(map(len, documents), dtype=np.int32, count=len(documents))
        flat = chain.from_iterable(chain.from_iterable(documents))
        spans = np.fromiter(flat, dtype=np.int32, count=3 * int(counts.sum()))
        return cls(spans.reshape(-1, 3), counts)


class PassageStoreBuilder:
    """Collects documents and their passages in order; texts stream to disk when saving."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._writers: dict[str, StringWriter | _ListWriter] = {}
        for name in _TABLES:
            if directory is None:
                self._writers[name] = _ListWriter()
            else:
                directory.mkdir(parents=True, exist_ok=True)
                self._writers[name] = StringWriter(directory / name)
        # Flat typed arrays, not an object or a small array a document: at a million documents
        # that overhead was 500 MB of the build's peak (627 MB of growth against 128 now).
        self._doc_first = array("q", [0])
        self._has_url = bytearray()
        self._doc_id_list: list[str] = []
        self._passage_doc = array("i")
        self._passage_span = array("i")
        self._passage_section = array("i")
        self._languages: dict[str, int] = {}
        self._doc_language = bytearray()
        self._passage_language = bytearray()
        # Each table's strings of the documents added since the last write, in _TABLES order.
        self._batch: list[tuple[str, ...]] = []
        self._batch_chars = 0

    def add(
        self,
        documents: Sequence[Document],
        spans: PassageSpans,
        languages: Sequence[str | None],
    ) -> None:
        """Add ``documents`` and their passages (``spans``), in order. A document's language is
        the one ``languages`` gives, else its own."""
        counts = spans.counts
        if counts.size != len(documents):
            raise ValueError("a passage count for each document is wanted")
        first = len(self._has_url)
        codes = bytearray()
        for document, language in zip(documents, languages, strict=True):
            self._batch.append(
                (
                    document.id,
                    document.title,
                    document.source,
                    document.url or "",
                    document.text,
                    search_entry(document.id, document.title),
                    _sections_json(document.sections),
                )
            )
            self._batch_chars += len(document.text)
            if len(self._batch) >= _BATCH_DOCUMENTS or self._batch_chars >= _BATCH_CHARS:
                self._write_batch()
            self._has_url.append(document.url is not None)
            self._doc_id_list.append(document.id)
            code = document.language if language is None else language
            codes.append(self._language_number(code or UNKNOWN_LANGUAGE))
        self._doc_language += codes
        ends = np.cumsum(counts, dtype=np.int64) + self._doc_first[-1]
        self._doc_first.frombytes(ends.tobytes())
        numbers = np.arange(first, first + counts.size, dtype=np.int32)
        self._passage_doc.frombytes(np.repeat(numbers, counts).tobytes())
        self._passage_language += np.repeat(np.frombuffer(codes, dtype=np.uint8), counts).tobytes()
        self._passage_span.frombytes(np.ascontiguousarray(spans.spans[:, :2]).tobytes())
        self._passage_section.frombytes(np.ascontiguousarray(spans.spans[:, 2]).tobytes())

    def _write_batch(self) -> None:
        """Hand each table its strings of the batch's documents, and start a new batch."""
        if not self._batch:
            return
        for name, values in zip(_TABLES, zip(*self._batch, strict=True), strict=True):
            self._writers[name].extend(values)
        self._batch.clear()
        self._batch_chars = 0

    def _language_number(self, language: str) -> int:
        number = self._languages.setdefault(language, len(self._languages))
        if number > 255:
            raise ValueError("a corpus holds at most 256 languages")
        return number

    def finish(self) -> PassageStore:
        """The store, opened from disk when it was written there."""
        self._write_batch()
        for writer in self._writers.values():
            writer.close()
        languages = list(self._languages)
        doc_ids = self._doc_id_list
        arrays: dict[str, Any] = {
            "doc_first": np.frombuffer(self._doc_first, dtype=np.int64).copy(),
            "doc_has_url": np.frombuffer(self._has_url, dtype=np.bool_).copy(),
            "doc_id_order": np.asarray(
                sorted(range(len(doc_ids)), key=doc_ids.__getitem__), dtype=np.int32
            ),
            "passage_doc": np.frombuffer(self._passage_doc, dtype=np.int32).copy(),
            "passage_span": np.frombuffer(self._passage_span, dtype=np.int32).reshape(-1, 2).copy(),
            "passage_section": np.frombuffer(self._passage_section, dtype=np.int32).copy(),
            "doc_language": np.frombuffer(self._doc_language, dtype=np.uint8).copy(),
            "passage_language": np.frombuffer(self._passage_language, dtype=np.uint8).copy(),
        }
        if self._directory is None:
            tables = {
                name: StringTable.from_strings(writer.values)  # type: ignore[union-attr]
                for name, writer in self._writers.items()
            }
            tables[_LANGUAGES] = StringTable.from_strings(languages)
            return PassageStore(tables, arrays)
        for name, values in arrays.items():
            np.save(self._directory / f"{name}.npy", values)
        write_strings(self._directory / _LANGUAGES, languages)
        return PassageStore.open(self._directory)


@dataclass(frozen=True, slots=True)
class DocumentSpan:
    """A document's number and the positions of its passages ``[first, end)``."""

    number: int
    first: int
    end: int


class PassageStore(LazySequence[Passage]):
    """Every passage, in corpus order, made on demand from compact storage."""

    def __init__(self, tables: dict[str, StringTable], arrays: dict[str, Any]) -> None:
        self._tables = tables
        self._doc_ids = tables["doc_ids"]
        self._doc_first: npt.NDArray[np.int64] = arrays["doc_first"]
        self._has_url: npt.NDArray[np.bool_] = arrays["doc_has_url"]
        self._doc_id_order: npt.NDArray[np.int32] = arrays["doc_id_order"]
        self._passage_doc: npt.NDArray[np.int32] = arrays["passage_doc"]
        self._passage_span: npt.NDArray[np.int32] = arrays["passage_span"]
        self._passage_section: npt.NDArray[np.int32] = arrays["passage_section"]
        self._doc_language: npt.NDArray[np.uint8] = arrays["doc_language"]
        self.passage_languages: npt.NDArray[np.uint8] = arrays["passage_language"]
        """Each passage's language, as its number in :attr:`languages`."""
        self.languages: tuple[str, ...] = tuple(tables[_LANGUAGES])
        """The corpus's language codes, numbered as the passages' languages are."""
        self.documents = StoreDocuments(self)
        # Search hits often come from the same few documents; decode each once.
        self.document = lru_cache(maxsize=512)(self._make_document)

    @classmethod
    def open(cls, directory: Path) -> PassageStore:
        """Memory-map a store written by :class:`PassageStoreBuilder`."""
        tables = {name: StringTable.open(directory / name) for name in (*_TABLES, _LANGUAGES)}
        # Plain views of the maps: indexing a np.memmap wraps every row it returns in a new
        # memmap (3x slower to fetch a passage); the view keeps the map open all the same.
        arrays = {
            name: np.load(directory / f"{name}.npy", mmap_mode="r").view(np.ndarray)
            for name in _ARRAYS
        }
        # Checked as read into memory and let go, not through the maps, which would keep
        # every page resident.
        _check_store(tables, {name: np.load(directory / f"{name}.npy") for name in _ARRAYS})
        return cls(tables, arrays)

    def _make_document(self, number: int) -> Document:
        url = self._tables["doc_urls"][number] if self._has_url[number] else None
        return Document(
            id=self._doc_ids[number],
            title=self._tables["doc_titles"][number],
            text=self._tables["doc_texts"][number],
            source=self._tables["doc_sources"][number],
            url=url,
            sections=_sections_from_json(self._tables["doc_sections"][number]),
            language=self.languages[int(self._doc_language[number])],
        )

    def __len__(self) -> int:
        return int(self._passage_doc.size)

    def _item(self, position: int) -> Passage:
        number = int(self._passage_doc[position])
        document = self.document(number)
        start, end = (int(v) for v in self._passage_span[position])
        ordinal = position - int(self._doc_first[number]) + 1
        return Passage(
            id=f"{document.id}#{ordinal}",
            document=document,
            ordinal=ordinal,
            start=start,
            end=end,
            text=document.text[start:end],
            section_number=int(self._passage_section[position]),
        )

    @property
    def document_count(self) -> int:
        """How many documents the passages come from."""
        return len(self._doc_ids)

    def document_span(self, number: int) -> DocumentSpan:
        """Where a document's passages are."""
        return DocumentSpan(number, int(self._doc_first[number]), int(self._doc_first[number + 1]))

    def find_document(self, document_id: str) -> int:
        """A document's number by id, -1 if there is none (binary search, nothing loaded)."""
        view = _SortedIds(self._doc_ids, self._doc_id_order)
        found = bisect.bisect_left(view, document_id)
        if found < len(view) and view[found] == document_id:
            return int(self._doc_id_order[found])
        return -1

    def nearby_documents(self, document_id: str, radius: int) -> list[int]:
        """Documents whose ids sort close to ``document_id``: candidates for "did you mean"."""
        view = _SortedIds(self._doc_ids, self._doc_id_order)
        found = bisect.bisect_left(view, document_id)
        low, high = max(0, found - radius), min(len(view), found + radius)
        return [int(n) for n in self._doc_id_order[low:high]]

    def find_passage(self, passage_id: str) -> int:
        """A passage's position by id (``<document id>#<n>``), -1 if there is none."""
        return passage_position(self, passage_id)

    def search_text(self) -> tuple[bytes | mmap.mmap, memoryview[int]]:
        """Every document's :func:`search_entry`, one after another, and where each starts."""
        return self._tables["doc_search"].raw()

    def passage_counts(self) -> npt.NDArray[np.int64]:
        """How many passages each document has (0 for one that yielded none)."""
        return np.diff(self._doc_first).astype(np.int64)

    def passage_document(self, position: int) -> int:
        """The number of the document a passage comes from."""
        return int(self._passage_doc[position])

    def document_id(self, number: int) -> str:
        """A document's id without decoding its text."""
        return self._doc_ids[number]

    def document_title(self, number: int) -> str:
        """A document's title without decoding its text."""
        return self._tables["doc_titles"][number]


def _check_store(tables: dict[str, StringTable], arrays: dict[str, Any]) -> None:
    """Raise :class:`~bot.storage.integrity.DamagedFile` unless a saved store's arrays fit
    together: one row per document or passage, and every value used as an index in range."""
    documents = len(tables["doc_ids"])
    for name in _TABLES:
        require(len(tables[name]) == documents, f"{name}.offsets.npy", "not one per document")
    first = arrays["doc_first"]
    require(first.shape == (documents + 1,), "doc_first.npy", "not one per document")
    passages = int(arrays["passage_doc"].size)
    require(int(first[0]) == 0 and ascending(first), "doc_first.npy", "not ascending from 0")
    require(int(first[-1]) == passages, "doc_first.npy", "not ending at the number of passages")
    owners = np.repeat(np.arange(documents, dtype=np.int32), np.diff(first))
    require(np.array_equal(arrays["passage_doc"], owners), "passage_doc.npy", "not doc_first's")
    spans = arrays["passage_span"]
    require(spans.shape == (passages, 2), "passage_span.npy", "not one per passage")
    require(
        within(spans, 0, None) and bool((spans[:, 0] <= spans[:, 1]).all()),
        "passage_span.npy",
        "a span that does not run forwards",
    )
    sections = arrays["passage_section"]
    require(sections.shape == (passages,), "passage_section.npy", "not one per passage")
    require(within(sections, -1, None), "passage_section.npy", "a section out of range")
    languages = len(tables[_LANGUAGES])
    for name, rows in (("passage_language", passages), ("doc_language", documents)):
        require(arrays[name].shape == (rows,), f"{name}.npy", "not one row each")
        require(within(arrays[name], 0, languages), f"{name}.npy", "a language out of range")
    require(arrays["doc_has_url"].shape == (documents,), "doc_has_url.npy", "not one each")
    order = arrays["doc_id_order"]
    require(order.shape == (documents,), "doc_id_order.npy", "not one per document")
    require(within(order, 0, documents), "doc_id_order.npy", "a document out of range")


class _DocumentLookup(Protocol):
    def find_document(self, document_id: str) -> int: ...

    def document_span(self, number: int) -> DocumentSpan: ...


def passage_position(store: _DocumentLookup, passage_id: str) -> int:
    """A passage's position in ``store`` by id (``<document id>#<n>``), -1 if there is none."""
    document_id, hash_sign, ordinal = passage_id.rpartition("#")
    if not hash_sign or not _ORDINAL.fullmatch(ordinal):
        return -1
    number = store.find_document(document_id)
    if number < 0:
        return -1
    span = store.document_span(number)
    position = span.first + int(ordinal) - 1
    return position if span.first <= position < span.end else -1


def _sections_json(sections: Sequence[Section]) -> str:
    """A document's sections as compact JSON (``""`` for none, the common case)."""
    if not sections:
        return ""
    return json.dumps([[s.start, s.label, s.anchor] for s in sections], ensure_ascii=False)


def _sections_from_json(stored: str) -> tuple[Section, ...]:
    if not stored:
        return ()
    return tuple(Section(start, label, anchor) for start, label, anchor in json.loads(stored))


def search_entry(document_id: str, title: str) -> str:
    """What ``/source`` completion searches a document by: its id and its title, casefolded,
    each ended by a NUL (so no match spans the two, or two documents)."""
    return f"{_searchable(document_id)}\0{_searchable(title)}\0"


def _searchable(text: str) -> str:
    return text.casefold().replace("\0", " ")


class _SortedIds(LazySequence[str]):
    """Document ids in sorted order, for bisecting."""

    def __init__(self, ids: StringTable, order: npt.NDArray[np.int32]) -> None:
        self._ids = ids
        self._order = order
        self._size = len(ids)

    def __len__(self) -> int:
        return self._size

    def _item(self, index: int) -> str:
        return self._ids._item(int(self._order[index]))  # a stored order is always in range


class _NumberedDocuments(Protocol):
    @property
    def document_count(self) -> int: ...

    def document(self, number: int) -> Document: ...


class StoreDocuments(LazySequence[Document]):
    """A store's documents, in order, made on demand."""

    def __init__(self, store: _NumberedDocuments) -> None:
        self._store = store

    def __len__(self) -> int:
        return self._store.document_count

    def _item(self, index: int) -> Document:
        return self._store.document(index)
