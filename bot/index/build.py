"""Counting passages' terms and laying the counts out as an inverted index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.arrays import (
    IndexArrays,
    encoded_term_hashes,
    load_arrays,
    posting_file,
    save_arrays,
)
from bot.index.bm25 import BM25Parameters, average_length, idf_array, length_norm
from bot.index.bounds import BoundsLayout, Postings, compiled_kernels, range_bounds, thread_parts
from bot.storage.string_table import StringTable

CHUNK_PASSAGES = 20_000  # passages counted per chunk while building
# Term occurrences from which counting them compiled pays for loading the kernel: a build's
# chunk has a few hundred thousand, where numpy's sort took 7 % of a worker's time; a file a
# reload re-reads has fewer, and numpy counts them without numba.
COMPILED_COUNT_FROM = 100_000


@dataclass(slots=True)
class CountedChunk:
    """Term counts of consecutive passages: what tokenising workers send back, compactly.

    Postings come sorted by term, then passage: each term's postings are one run, in the
    order the index lays them out, so laying a chunk out moves runs and sorts nothing.
    """

    terms: list[str]  # the chunk's own vocabulary, each of which occurs
    lengths: npt.NDArray[np.int32]  # terms per passage (repeats included)
    passage: npt.NDArray[np.int32]  # per posting: passage number within the chunk
    term: npt.NDArray[np.int32]  # per posting: index into ``terms``
    tf: npt.NDArray[np.int32]  # per posting: how often the term occurs in the passage


def count_terms(token_lists: Sequence[Sequence[str]]) -> CountedChunk:
    """Count each passage's terms (see :class:`CountedChunk` for the postings' order)."""
    local = _Numbering()
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    # Numbered in C (map over a dict's lookup), a Python step only for each new term.
    numbers = np.fromiter(
        map(local.__getitem__, chain.from_iterable(token_lists)),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    owners = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
    return count_numbered(list(local), numbers, owners, None, len(token_lists))


def count_numbered(
    terms: list[str],
    numbers: npt.NDArray[np.int64],
    owners: npt.NDArray[np.int64],
    weights: npt.NDArray[np.int64] | None,
    passages: int,
) -> CountedChunk:
    """Count ``passages`` passages' terms, given as term ``numbers[i]`` (into ``terms``, each
    of which occurs) of passage ``owners[i]``, counting ``weights[i]`` times (once without
    ``weights``), in any order; postings come out sorted by term, then passage."""
    kernels = compiled_kernels(numbers.size, worth_from=COMPILED_COUNT_FROM)
    if kernels is not None:
        counted = kernels.count_postings(
            numbers,
            owners,
            np.ones(numbers.size, np.int64) if weights is None else weights,
            len(terms),
            passages,
        )
        return CountedChunk(terms, *counted)
    if weights is not None:
        numbers, owners = np.repeat(numbers, weights), np.repeat(owners, weights)
    width = max(passages, 1)
    keys = numbers * width + owners
    keys.sort()
    starts = np.flatnonzero(np.diff(keys, prepend=-1))
    postings = keys[starts]
    return CountedChunk(
        terms=terms,
        lengths=np.bincount(owners, minlength=passages).astype(np.int32),
        passage=(postings % width).astype(np.int32),
        term=(postings // width).astype(np.int32),
        tf=np.diff(starts, append=keys.size).astype(np.int32),
    )


class _Numbering(dict[str, int]):
    """Numbers each new term as it is first looked up: 0, 1, 2, … in order of first use."""

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        return number


def build_arrays(
    tokenized: Iterable[Sequence[str]],
    params: BM25Parameters,
    layout: BoundsLayout | None = None,
) -> IndexArrays:
    """Index the passages' term lists, given in passage order, a chunk at a time, in memory."""
    builder = IndexBuilder(params, layout=layout)
    for chunk in _chunks(tokenized, CHUNK_PASSAGES):
        builder.add_token_lists(chunk)
    return builder.finish()


@dataclass(frozen=True, slots=True)
class _Spilled:
    """A chunk's postings in a file of their own: ``size`` term numbers and passage numbers
    (``int32``), then their term frequencies (``tfs``)."""

    path: Path
    size: int
    tfs: np.dtype[Any]

    def load(self) -> tuple[Any, Any, Any]:
        """The three arrays, and the file gone."""
        raw = np.fromfile(self.path, dtype=np.uint8)
        self.path.unlink()
        postings = 4 * self.size
        if raw.size != 2 * postings + self.tfs.itemsize * self.size:
            raise ValueError(f"a spilled chunk of the build is not whole: {self.path}")
        return (
            raw[:postings].view(np.int32),
            raw[postings : 2 * postings].view(np.int32),
            raw[2 * postings :].view(self.tfs),
        )


class IndexBuilder:
    """Builds an index's arrays chunk by chunk, holding only compact arrays.

    With ``spill``, each chunk's postings go to a file there until :meth:`finish` lays them out,
    so building a million passages needs little more memory than the finished index.
    """

    def __init__(
        self,
        params: BM25Parameters,
        spill: Path | None = None,
        *,
        layout: BoundsLayout | None = None,
    ) -> None:
        self.params = params
        self._layout_settings = layout or BoundsLayout()
        self._spill = spill
        self._vocabulary = _Numbering()
        # Each term's UTF-8 bytes and hash, made as the term is first numbered (in order), each
        # chunk's new terms end to end: made at the end, they kept one core idle (a million
        # terms' hashes took a second).
        self._term_bytes: list[bytes] = []
        self._term_lengths: list[npt.NDArray[np.int64]] = []
        self._hashes: list[npt.NDArray[np.uint64]] = []
        self._chunks: list[tuple[Any, Any, Any] | _Spilled] = []
        self._lengths: list[npt.NDArray[np.int32]] = []
        self._df = np.zeros(0, dtype=np.int64)
        self._max_tf = 0
        self._postings = 0
        self.passages = 0

    def add_token_lists(self, token_lists: Sequence[Sequence[str]]) -> None:
        """Count and add the next passages' term lists."""
        if token_lists:
            self.add_counts(count_terms(token_lists))

    def term_ids(self, terms: Sequence[str]) -> npt.NDArray[np.int64]:
        """The index's numbers of ``terms``, each new one numbered after the last."""
        vocabulary = self._vocabulary
        known = len(vocabulary)
        ids = np.fromiter(map(vocabulary.__getitem__, terms), dtype=np.int64, count=len(terms))
        if len(vocabulary) > known:
            # The new terms are the vocabulary's last, in the order they were numbered.
            new = list(islice(reversed(vocabulary), len(vocabulary) - known))[::-1]
            encoded = [term.encode("utf-8", "surrogatepass") for term in new]
            self._term_bytes.append(b"".join(encoded))
            self._term_lengths.append(np.fromiter(map(len, encoded), np.int64, len(encoded)))
            self._hashes.append(encoded_term_hashes(encoded))
        return ids

    def add_counts(
        self, chunk: CountedChunk, term_ids: npt.NDArray[np.int64] | None = None
    ) -> None:
        """Add the next passages, counted (by a worker process, say). ``term_ids``, when the
        caller has them from :meth:`term_ids`, are the numbers of the chunk's terms, and
        ``chunk.terms`` is not read."""
        starts = np.flatnonzero(np.diff(chunk.term, prepend=-1))
        runs = chunk.term[starts]
        if np.bincount(runs).max(initial=0) > 1:
            raise ValueError("a counted chunk's postings are not sorted by term")
        global_ids = (self.term_ids(chunk.terms) if term_ids is None else term_ids).astype(np.int32)
        terms = global_ids[chunk.term]
        docs = chunk.passage + np.int32(self.passages)
        vocabulary = self._vocabulary
        if len(vocabulary) > self._df.size:
            # Grown by half at least: a corpus's vocabulary grows with every chunk, and copying
            # it every chunk costs seconds at a million passages.
            grown = np.zeros(max(len(vocabulary), self._df.size * 3 // 2), np.int64)
            grown[: self._df.size] = self._df
            self._df = grown
        # Each run is one term's postings, so its length is the chunk's share of the term's df.
        self._df[global_ids[runs]] += np.diff(starts, append=chunk.term.size)
        self._postings += int(chunk.term.size)
        chunk_max = int(chunk.tf.max(initial=0))
        self._max_tf = max(self._max_tf, chunk_max)
        tfs = chunk.tf.astype(np.uint16 if chunk_max < 65536 else np.uint32)
        if self._spill is None:
            self._chunks.append((terms, docs, tfs))
        else:
            path = self._spill / f"chunk-{len(self._chunks):05d}.bin"
            # The arrays' bytes one after another: a zip (np.savez) checksummed them on the
            # way out and back, three times the time.
            with path.open("wb") as spilled:
                for array in (terms, docs, tfs):
                    array.tofile(spilled)
            self._chunks.append(_Spilled(path, terms.size, tfs.dtype))
        self._lengths.append(chunk.lengths)
        self.passages += int(chunk.lengths.size)

    def _chunk(self, number: int) -> tuple[Any, Any, Any]:
        stored = self._chunks[number]
        self._chunks[number] = (None, None, None)
        if isinstance(stored, _Spilled):
            return stored.load()
        return stored

    def finish(self, directory: Path | None = None) -> IndexArrays:
        """Lay the postings out by term; with ``directory``, written there and memory-mapped."""
        arrays = self._layout(directory)
        if directory is None:
            return arrays
        save_arrays(directory, arrays, self.params, written=("docs", "tfs"))
        del arrays
        return load_arrays(directory)[0]

    def _layout(self, directory: Path | None) -> IndexArrays:
        n = self.passages
        self._vocabulary = _Numbering()
        vocabulary = StringTable.from_encoded(
            b"".join(self._term_bytes), np.concatenate([np.zeros(0, np.int64), *self._term_lengths])
        )
        hashes = np.concatenate(self._hashes) if self._hashes else np.zeros(0, np.uint64)
        self._term_bytes, self._term_lengths, self._hashes = [], [], []
        df = self._df[: len(vocabulary)]
        indptr = np.zeros(df.size + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        nnz = int(indptr[-1])
        if nnz != self._postings:
            # Two of a chunk's terms numbered alike: their df counted once, their postings would
            # overrun the space laid out for them.
            raise ValueError("the chunks' postings do not add up: a chunk holds a term twice")
        max_tf = self._max_tf
        tf_dtype = np.uint8 if max_tf < 256 else np.uint16 if max_tf < 65536 else np.uint32

        def output(name: str, dtype: Any) -> Any:
            if directory is None:
                return np.zeros(nnz, dtype=dtype)
            return posting_file(directory, name, dtype, nnz)

        docs = output("docs", np.int32)
        tfs = output("tfs", tf_dtype)
        self._scatter(compiled_kernels(nnz), indptr, docs, tfs)
        self._chunks = []
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int32)
        self._lengths = []
        hash_order = np.argsort(hashes, kind="stable")
        idf = idf_array(n, df.tolist())
        norm = length_norm(lengths.astype(np.int64), average_length(lengths), self.params)
        postings = Postings(indptr, docs, tfs, idf, norm)
        return IndexArrays(
            terms=vocabulary,
            term_hash=hashes[hash_order],
            term_hash_ids=hash_order.astype(np.int32),
            indptr=indptr,
            docs=docs,
            tfs=tfs,
            idf=idf,
            doc_len=lengths.astype(np.int32),
            bounds=range_bounds(postings, self.params, self._layout_settings),
        )

    def _scatter(self, kernels: ModuleType | None, indptr: Any, docs: Any, tfs: Any) -> None:
        """Each chunk's postings (loaded one at a time) to where its terms' postings have got
        to, so each term's are in passage order: by ``kernels`` in threads, each moving the
        postings of terms of its own (about as many postings each), else by numpy."""
        cursor = indptr[:-1].copy()
        if kernels is None:
            for number in range(len(self._chunks)):
                terms, chunk_docs, chunk_tfs = self._chunk(number)
                # Each term's postings are one run (CountedChunk's order): a run moves to
                # where the term's postings have got to so far.
                first = np.flatnonzero(np.diff(terms, prepend=-1))
                groups = terms[first]
                counts = np.diff(first, append=terms.size)
                dest = np.arange(terms.size, dtype=np.int64)
                dest += np.repeat(cursor[groups] - first, counts)
                docs[dest] = chunk_docs
                tfs[dest] = chunk_tfs
                cursor[groups] += counts
            return
        parts = thread_parts(np.diff(indptr))
        out_docs, out_tfs = np.asarray(docs), np.asarray(tfs)
        with ThreadPoolExecutor(max(len(parts), 1), thread_name_prefix="scatter") as pool:
            for number in range(len(self._chunks)):
                terms, chunk_docs, chunk_tfs = self._chunk(number)
                moving = [
                    pool.submit(
                        kernels.scatter_postings,
                        terms,
                        chunk_docs,
                        chunk_tfs,
                        cursor,
                        out_docs,
                        out_tfs,
                        part.start,
                        part.stop,
                    )
                    for part in parts
                ]
                for part_moved in moving:
                    part_moved.result()  # re-raises a part's error here


def _chunks(items: Iterable[Sequence[str]], size: int) -> Iterator[list[Sequence[str]]]:
    chunk: list[Sequence[str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
