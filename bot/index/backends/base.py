"""What every query backend takes and gives: a resolved query, its tuning, scored passages."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.index.arrays import IndexArrays
from bot.index.bm25 import BM25Parameters, FloatArray, average_length, impacts, length_norm

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ScoredPassage:
    """A passage position in the index and its BM25 score for a query."""

    position: int
    score: float


@dataclass(frozen=True, slots=True)
class TermQuery:
    """A query as term ids: every known query term in query order (repeats count again, as
    ``rank-bm25`` sums them), and the distinct ids in first-seen order. Never empty."""

    terms: list[int]
    distinct: list[int]


@dataclass(frozen=True, slots=True)
class QueryTuning:
    """Where each query path takes over; the defaults are production's (measured on 2 cores,
    docs/performance.md). Tests pass extreme values to force one path on a tiny corpus."""

    exhaustive_postings: int = 20_000  # numpy: below this many postings a query is scored in full
    # numba: up to this many postings every matching passage is scored, above it the range
    # kernel (at 1M passages the range sweep beats scoring everything from about 20k postings)
    compiled_exhaustive: int = 20_000
    first_ranges: int = 24  # ranges scored first to find a k-th score to prune with
    dense_share: int = 8  # numba scans a range whole from 1/8 of its size in postings
    small_tf: int = 8  # numba looks term counts below this up in a per-length table


# An index of fewer passages answers from numpy under ``auto``, its layers too: a question
# there costs about the same either way (10,000 passages: 0.91 ms against 0.78 at p50, with
# snippets), and a process that never loads numba starts a second sooner in 120 MB less.
COMPILED_FROM_PASSAGES = 50_000


class QueryBackend(Protocol):
    """Top-k and match counts over one index's arrays, exactly as ``rank-bm25`` ranks."""

    name: str

    def top(self, query: TermQuery, limit: int) -> tuple[list[ScoredPassage], int]:
        """The best ``limit`` passages that match at least one term, and how many match."""
        ...

    def count(self, query: TermQuery) -> int:
        """How many passages contain at least one of the query's terms."""
        ...

    def warm_up(self) -> None:
        """Make the first real query as fast as the rest (load compiled code, say)."""
        ...


class ExactScorer:
    """Each posting's exact contribution, as numpy arrays: what the numpy backend and
    ``PassageIndex.scores`` sum."""

    def __init__(self, arrays: IndexArrays, params: BM25Parameters) -> None:
        self.arrays = arrays
        self.params = params
        self.size = int(arrays.doc_len.size)
        self._indptr = arrays.indptr
        self._docs = arrays.docs
        self._tfs = arrays.tfs
        self._idf = arrays.idf

    @functools.cached_property
    def norm(self) -> FloatArray:
        """Each passage's length norm, made on first use: a bot with numba never needs these
        8 bytes a passage."""
        lengths = np.asarray(self.arrays.doc_len, dtype=np.int64)
        return length_norm(lengths, average_length(lengths), self.params)

    def postings(self, term_id: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[Any]]:
        """The passages a term occurs in, and how often."""
        start, end = int(self._indptr[term_id]), int(self._indptr[term_id + 1])
        return self._docs[start:end], self._tfs[start:end]

    def impacts(self, term_id: int, docs: npt.NDArray[Any], tfs: npt.NDArray[Any]) -> FloatArray:
        """The term's contribution to each of these passages."""
        return impacts(float(self._idf[term_id]), tfs, self.norm[docs], self.params)

    def scores(self, terms: list[int]) -> FloatArray:
        """Every passage's score for these term ids, summed in query order."""
        scores = np.zeros(self.size)
        for term_id in terms:
            docs, tfs = self.postings(term_id)
            scores[docs] += self.impacts(term_id, docs, tfs)
        return scores


class Scratch(threading.local):
    """Per-thread dense buffers, so concurrent searches never share accumulators."""

    def __init__(self) -> None:
        self.size = -1
        self.acc: FloatArray = np.zeros(0)
        self.mark: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.touched: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.words: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)

    def get(self, size: int) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """An all-zero accumulator and all-false marks, one per passage; left so by users."""
        if self.size != size:
            self.size = size
            self.acc = np.zeros(size)
            self.mark = np.zeros(size, dtype=bool)
        return self.acc, self.mark

    def bits(self, size: int) -> npt.NDArray[np.uint64]:
        """One zero bit per passage, as uint64 words (the compiled count leaves it zero)."""
        words = (size + 63) // 64
        if self.words.size != words:
            self.words = np.zeros(words, dtype=np.uint64)
        return self.words

    def compiled(self, size: int) -> tuple[FloatArray, npt.NDArray[np.int32]]:
        """The accumulator and a list of touched passages, for the compiled kernel."""
        acc, _ = self.get(size)
        if self.touched.size != size:
            self.touched = np.zeros(size, dtype=np.int32)
        return acc, self.touched


def best(positions: IntArray, scores: FloatArray, limit: int) -> list[ScoredPassage]:
    """Highest score first; ties keep corpus order so results are deterministic."""
    if positions.size > limit:
        kth = np.partition(scores, positions.size - limit)[positions.size - limit]
        above = scores > kth
        tied = np.sort(positions[scores == kth])[: limit - int(above.sum())]
        positions = np.concatenate([positions[above], tied])
        scores = np.concatenate([scores[above], np.full(tied.size, kth)])
    # A few results (the kernels' top k) sort faster as Python floats than through numpy.
    position_list: list[int] = positions.tolist()
    score_list: list[float] = scores.tolist()
    order = sorted(range(len(position_list)), key=lambda i: (-score_list[i], position_list[i]))
    return [ScoredPassage(position_list[i], score_list[i]) for i in order]
