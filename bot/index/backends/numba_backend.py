"""The numba backend: the compiled kernels of ``numba_kernels``, fed this index's arrays.

Up to ``compiled_exhaustive`` postings every matching passage is scored term at a time; above,
passages are swept in ranges, skipping those whose bound cannot reach the k-th score, and the
matching passages are counted apart as a bitmap. The kernels read each passage's length class
(2 bytes, the length itself below 65536) and a table of ``rank-bm25``'s term weight per small
count and class, where a norm per passage would be 8 bytes: the sweep misses the cache far less.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.backends.base import (
    COMPILED_FROM_PASSAGES,
    ExactScorer,
    IntArray,
    QueryTuning,
    ScoredPassage,
    Scratch,
    TermQuery,
    best,
)
from bot.index.bm25 import BM25Parameters, FloatArray, average_length, length_norm, term_weight
from bot.index.bounds import BOUND_SLACK


@dataclass(frozen=True, slots=True)
class KernelQuery:
    """A query as the kernels take it, worked out once: its distinct term ids, each query
    term's slot among them (in query order, repeats kept, so scores sum as ``rank-bm25`` sums
    them), where each term's postings start and end, and how many postings that is."""

    ids: IntArray
    order: IntArray
    starts: IntArray
    ends: IntArray
    postings: int

    @classmethod
    def of(cls, indptr: IntArray, query: list[int], unique: list[int]) -> KernelQuery:
        """The kernel form of ``query`` (term ids) with its distinct ids ``unique``."""
        slot = {term_id: i for i, term_id in enumerate(unique)}
        ids = np.array(unique, dtype=np.int64)
        starts = indptr[ids]
        ends = indptr[ids + 1]
        order = np.array([slot[t] for t in query], dtype=np.int64)
        return cls(ids, order, starts, ends, int((ends - starts).sum()))


class NumbaBackend:
    """Exact top-k and match counts by compiled kernels (the ``fast`` extra)."""

    name = "numba"

    def __init__(self, scorer: ExactScorer, tuning: QueryTuning) -> None:
        from bot.index.backends import numba_kernels  # numba itself loads here, on demand

        self._kernels: ModuleType = numba_kernels
        self._tuning = tuning
        arrays = scorer.arrays
        self._size = scorer.size
        self._vocabulary_size = int(arrays.indptr.size - 1)
        self._indptr = arrays.indptr
        self._docs = arrays.docs
        self._tfs = arrays.tfs
        self._idf = arrays.idf
        self._bounds = arrays.bounds
        lengths = np.asarray(arrays.doc_len, dtype=np.int64)
        params = scorer.params
        self._k1_plus_1 = params.k1 + 1
        self._length_class, self._class_norm = length_classes(
            lengths, params, average_length(lengths)
        )
        self._class_weight = weight_table(self._class_norm, self._k1_plus_1, tuning.small_tf)
        self._scratch = Scratch()
        self._warm_lock = threading.Lock()
        self._warm = False

    def warm_up(self) -> None:
        """Run each compiled kernel the queries use once on this index's arrays, so no real
        query waits while numba loads one from its cache (tens of milliseconds each, about
        half a second in all). Done once; a second caller waits for the first."""
        with self._warm_lock:
            if self._warm or not self._vocabulary_size or not self._size:
                return
            self._top_all(KernelQuery.of(self._indptr, [0], [0]), 1)
            self._top_ranges(KernelQuery.of(self._indptr, [0], [0]), 1)
            self._count(KernelQuery.of(self._indptr, [0], [0, 0]))  # two ids: no shortcut
            if self._size >= COMPILED_FROM_PASSAGES:
                self._warm_layers()
            self._warm = True

    def _warm_layers(self) -> None:
        """Load the kernel of a layered index over this one (``index/layered.py``), for this
        index's array types, so the first reload after a change does not wait for it."""
        acc, touched = self._scratch.compiled(self._size)
        self._kernels.layered_top_k(
            self._docs,
            self._tfs,
            np.ones(1, dtype=np.bool_),
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.uint8),
            0,
            np.ones(1),
            np.zeros(1, dtype=np.uint8),
            -1,
            np.zeros((1, 4), dtype=np.int64),
            np.zeros(1),
            np.zeros(0, dtype=np.int64),
            self._k1_plus_1,
            1,
            acc,
            touched,
        )

    def top(self, query: TermQuery, limit: int) -> tuple[list[ScoredPassage], int]:
        """Every matching passage scored when the query's postings are few, else the range
        sweep plus an exact count of the matching passages."""
        kernel_query = KernelQuery.of(self._indptr, query.terms, query.distinct)
        if kernel_query.postings <= self._tuning.compiled_exhaustive:
            return self._top_all(kernel_query, max(limit, 0))
        total = self._count(kernel_query)
        if limit <= 0:
            return [], total
        return self._top_ranges(kernel_query, limit), total

    def count(self, query: TermQuery) -> int:
        """Passages with at least one of the terms."""
        return self._count(KernelQuery.of(self._indptr, query.terms, query.distinct))

    def _top_all(self, query: KernelQuery, limit: int) -> tuple[list[ScoredPassage], int]:
        """Top-k and the exact match count by the term-at-a-time kernel."""
        acc, touched = self._scratch.compiled(self._size)
        positions, scores, total = self._kernels.score_all_top_k(
            self._docs,
            self._tfs,
            self._length_class,
            self._class_norm,
            self._class_weight,
            query.starts,
            query.ends,
            self._idf[query.ids],
            query.order,
            self._k1_plus_1,
            limit,
            acc,
            touched,
        )
        return best(positions, scores, limit) if limit else [], int(total)

    def _top_ranges(self, query: KernelQuery, limit: int) -> list[ScoredPassage]:
        """Top-k by the block-max kernel: ranges of passages, best bound first."""
        ids = query.ids
        bounds = self._bounds
        repeats = np.bincount(query.order, minlength=ids.size).astype(np.float64)
        positions, scores = self._kernels.top_k_ranges(
            self._docs,
            self._tfs,
            self._length_class,
            self._class_norm,
            self._class_weight,
            query.starts,
            query.ends,
            self._idf[ids],
            bounds.long_row[ids],
            bounds.range_max,
            bounds.range_ptr,
            bounds.term_max[ids],
            repeats,
            query.order,
            self._k1_plus_1,
            limit,
            BOUND_SLACK,
            bounds.range_shift,
            bounds.range_count,
            self._tuning.first_ranges,
            self._tuning.dense_share,
        )
        return best(positions, scores, limit)

    def _count(self, query: KernelQuery) -> int:
        """Passages with at least one of the terms: a bitmap of the union, built in one pass."""
        if query.ids.size == 1:
            return query.postings
        words = self._scratch.bits(self._size)
        return int(
            self._kernels.count_matching(
                self._docs,
                query.starts,
                query.ends,
                self._bounds.bitmap_row[query.ids],
                self._bounds.bitmaps,
                words,
                words.view(np.uint8),
            )
        )


def length_classes(
    lengths: IntArray, params: BM25Parameters, avgdl: float
) -> tuple[npt.NDArray[Any], FloatArray]:
    """Each passage's length class and each class's length norm (``bm25.length_norm``)."""
    if lengths.size == 0 or int(lengths.max()) < 65536:
        classes: npt.NDArray[Any] = lengths.astype(np.uint16)
        values = np.arange(int(lengths.max(initial=0)) + 1, dtype=np.int64)
    else:  # passages of 65536 terms or more: a class per distinct length
        values, inverse = np.unique(lengths, return_inverse=True)
        classes = inverse.astype(np.int32)
    return classes, length_norm(values, avgdl, params)


def weight_table(norms: FloatArray, k1_plus_1: float, small_tf: int) -> FloatArray:
    """``bm25.term_weight`` for the small term counts (most postings) and every length class,
    so the kernel looks up what rank-bm25 computes with two divisions."""
    q_freq = np.arange(small_tf, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        table = term_weight(q_freq, norms[None, :], k1_plus_1)
    return np.ascontiguousarray(table)
