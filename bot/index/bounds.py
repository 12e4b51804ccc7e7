"""Score bounds that let a top-k query skip most of a long posting list (block-max).

Each range of ``2**range_shift`` passages gets, for every long posting list, the largest
contribution the term makes in it; a query's bound for a range is the sum over its terms. Once
k passages are scored, every range whose bound is below the k-th score is skipped unread.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from bot.index.arrays import RANGE_SHIFT, RangeBounds
from bot.index.backends import numba_available
from bot.index.bm25 import BM25Parameters, FloatArray, impacts

IntArray = npt.NDArray[np.int64]

# The relative margin by which a bound must miss the k-th score before its passages are
# skipped, so rounding can never prune a passage that belongs in the top.
BOUND_SLACK = 1e-9
_MAXIMA_POSTINGS = 4_000_000  # postings per block when finding each term's maximum
_ROWS_PER_TASK = 32  # long posting lists bounded per task handed to a thread
# Threads bounding an index at once: numpy lets go of the interpreter lock for the arithmetic
# over postings, so a build's last step, which no worker process shares, uses every core.
THREADS = min(os.cpu_count() or 1, 4)
# Postings from which the compiled steps of finishing an index are worth numba's import and the
# kernels' loading (about a third of a second): a 10k-passage corpus has about half a million.
COMPILED_FROM_POSTINGS = 1_000_000


@dataclass(frozen=True, slots=True)
class BoundsLayout:
    """Which posting lists get bounds, and how coarse they are. The defaults are what a saved
    index holds; tests pass small ones so a tiny corpus has "long" lists."""

    range_shift: int = RANGE_SHIFT  # passages per range: 2**range_shift
    long_postings: int = 2048  # lists at least this long get per-range bounds
    bitmap_postings: int = 4096  # lists this long, in 1/32 of the passages, also get a bitmap


@dataclass(frozen=True, slots=True)
class Postings:
    """The posting arrays bounds are computed from, with each passage's length norm."""

    indptr: IntArray
    docs: npt.NDArray[np.int32]
    tfs: npt.NDArray[np.integer[Any]]
    idf: FloatArray
    norm: FloatArray  # bm25.length_norm of each passage

    def arrays(self) -> tuple[IntArray, Any, Any, FloatArray, FloatArray]:
        """indptr, docs, tfs, idf and norm, as the compiled kernels take them."""
        return self.indptr, self.docs, self.tfs, self.idf, self.norm

    def of(self, term_id: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[Any]]:
        """A term's passages and counts."""
        start, end = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        return self.docs[start:end], self.tfs[start:end]


def range_bounds(postings: Postings, params: BM25Parameters, layout: BoundsLayout) -> RangeBounds:
    """Per-range maximum impact of each long posting list, and bitmaps of the commonest terms."""
    n = int(postings.norm.size)
    df = np.diff(postings.indptr)
    shift = layout.range_shift
    n_ranges = max(1, (n + (1 << shift) - 1) >> shift)
    long_terms = np.flatnonzero(df >= max(2 * n_ranges, layout.long_postings))
    bitmap_terms = np.flatnonzero((df * 32 >= n) & (df >= layout.bitmap_postings))
    long_row = np.full(df.size, -1, dtype=np.int32)
    long_row[long_terms] = np.arange(long_terms.size, dtype=np.int32)
    bitmap_row = np.full(df.size, -1, dtype=np.int32)
    bitmap_row[bitmap_terms] = np.arange(bitmap_terms.size, dtype=np.int32)
    range_max = np.zeros((long_terms.size, n_ranges), dtype=np.float32)
    range_ptr = np.zeros((long_terms.size, n_ranges + 1), dtype=np.int32)
    bitmaps = np.zeros((bitmap_terms.size, (n + 7) // 8), dtype=np.uint8)
    boundaries = np.arange(n_ranges + 1, dtype=np.int64) << shift
    kernels = compiled_kernels(int(postings.docs.size))

    def bound_rows(rows: range) -> None:
        for row in rows:
            term_id = int(long_terms[row])
            docs, tfs = postings.of(term_id)
            term_impacts = impacts(float(postings.idf[term_id]), tfs, postings.norm[docs], params)
            ptr = np.searchsorted(docs, boundaries)
            range_ptr[row] = ptr
            nonempty = np.flatnonzero(ptr[1:] > ptr[:-1])
            exact = np.maximum.reduceat(term_impacts, ptr[nonempty])
            bound = exact.astype(np.float32)
            bound = np.where(bound < exact, np.nextafter(bound, np.float32(np.inf)), bound)
            range_max[row, nonempty] = bound

    if kernels is not None:

        def bound_part(part: slice) -> None:
            kernels.range_maxima(
                long_terms[part],
                *postings.arrays(),
                params.k1 + 1,
                shift,
                range_ptr[part],
                range_max[part],
            )

        # A row's work is a step per posting and one per range, postings or not.
        _in_threads(bound_part, thread_parts(df[long_terms] + n_ranges))
        kernels.set_bits(bitmap_terms, postings.indptr, postings.docs, bitmaps)
    else:
        _in_threads(bound_rows, _batches(range(long_terms.size), _ROWS_PER_TASK))
        for row, term_id in enumerate(bitmap_terms.tolist()):
            docs, _ = postings.of(term_id)
            bits = np.zeros(bitmaps.shape[1] * 8, dtype=bool)
            bits[docs] = True
            bitmaps[row] = np.packbits(bits, bitorder="little")
    return RangeBounds(
        long_row=long_row,
        range_max=range_max,
        range_ptr=range_ptr,
        bitmap_row=bitmap_row,
        bitmaps=bitmaps,
        term_max=term_maxima(postings, params, kernels),
        range_shift=shift,
    )


def term_maxima(
    postings: Postings, params: BM25Parameters, kernels: ModuleType | None = None
) -> FloatArray:
    """Each term's largest contribution to any passage: by ``kernels``
    (:mod:`bot.index.build_kernels`) when given, else a block of terms at a time."""
    indptr = postings.indptr
    terms = indptr.size - 1
    maxima = np.zeros(terms)
    if kernels is not None:
        _, docs, tfs, idf, norm = postings.arrays()

        def part_maxima(part: slice) -> None:
            part_indptr = indptr[part.start : part.stop + 1]  # offsets into all the postings
            kernels.term_maxima(
                part_indptr, docs, tfs, idf[part], norm, params.k1 + 1, maxima[part]
            )

        _in_threads(part_maxima, thread_parts(np.diff(indptr)))
        return maxima
    blocks: list[tuple[int, int]] = []
    first = 0
    while first < terms:
        last = int(np.searchsorted(indptr, indptr[first] + _MAXIMA_POSTINGS, side="right")) - 1
        last = min(max(last, first + 1), terms)
        blocks.append((first, last))
        first = last

    def block_maxima(block: tuple[int, int]) -> None:
        first, last = block
        start, end = int(indptr[first]), int(indptr[last])
        docs = np.asarray(postings.docs[start:end])
        owner = np.repeat(postings.idf[first:last], np.diff(indptr[first : last + 1]))
        found = impacts(owner, np.asarray(postings.tfs[start:end]), postings.norm[docs], params)
        maxima[first:last] = np.maximum.reduceat(found, indptr[first:last] - start)

    _in_threads(block_maxima, blocks)
    return maxima


def compiled_kernels(postings: int, *, worth_from: int | None = None) -> ModuleType | None:
    """:mod:`bot.index.build_kernels` for work on ``postings`` postings, from ``worth_from``
    (:data:`COMPILED_FROM_POSTINGS` unless given, read when called), when numba is there to run
    it (the same answers as numpy's, see :func:`bot.index.backends.numba_available`); ``None``
    otherwise."""
    if worth_from is None:
        worth_from = COMPILED_FROM_POSTINGS
    if postings < worth_from or os.environ.get("CORPUSBOT_NO_NUMBA"):
        return None
    if not numba_available():
        return None
    from bot.index import build_kernels

    return build_kernels


def thread_parts(sizes: IntArray) -> list[slice]:
    """Consecutive slices of ``sizes``' positions, :data:`THREADS` of them or fewer, of about
    equal sums: the rows or terms of a kernel's pass over postings, shared among threads."""
    if not sizes.size:
        return []
    ends = np.cumsum(sizes)
    shares = ends[-1] * np.arange(1, THREADS) / THREADS
    cuts = np.searchsorted(ends, shares, side="right").tolist()
    bounds = sorted({0, *cuts, sizes.size})
    return [slice(first, last) for first, last in itertools.pairwise(bounds)]


_Task = TypeVar("_Task")


def _in_threads(work: Callable[[_Task], None], tasks: Iterable[_Task]) -> None:
    """``work`` on each of ``tasks``, :data:`THREADS` at a time; tasks write apart."""
    tasks = list(tasks)
    if THREADS < 2 or len(tasks) < 2:
        for task in tasks:
            work(task)
        return
    with ThreadPoolExecutor(THREADS, thread_name_prefix="bounds") as pool:
        for _ in pool.map(work, tasks):  # re-raises a task's error here
            pass


def _batches(rows: range, size: int) -> Iterator[range]:
    for first in range(0, len(rows), size):
        yield rows[first : first + size]
