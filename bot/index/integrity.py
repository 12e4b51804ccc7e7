"""Whether a saved index's arrays fit together, checked when it is opened.

The query kernels index one array by another's values without bounds checks (numba's would
cost every query), so a passage number past the end of a damaged file would read outside the
array, or crash the process. Every value used as an index is checked here instead, once
(about 20 ms at a million passages, 46 million postings); see :mod:`bot.storage.integrity`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.index.arrays import IndexArrays
from bot.storage.integrity import ascending, require, within


def check_index(arrays: IndexArrays) -> None:
    """Raise :class:`~bot.storage.integrity.DamagedFile` unless every array has its size and
    every value used as an index is in range."""
    terms = len(arrays.terms)
    passages = int(arrays.doc_len.size)
    indptr = arrays.indptr
    _require(indptr.shape == (terms + 1,), "indptr", "not one entry per term")
    _require(int(indptr[0]) == 0 and ascending(indptr), "indptr", "not ascending from 0")
    postings = int(arrays.docs.size)
    _require(int(indptr[-1]) == postings, "indptr", "not ending at the number of postings")
    _require(arrays.tfs.shape == (postings,), "tfs", "not one entry per posting")
    _require(within(arrays.docs, 0, passages), "docs", "a passage number out of range")
    _require(within(arrays.doc_len, 0, None), "doc_len", "a negative length")
    for name in ("idf", "term_hash", "term_hash_ids"):
        _require(getattr(arrays, name).shape == (terms,), name, "not one entry per term")
    _require(ascending(arrays.term_hash), "term_hash", "not sorted")
    _require(within(arrays.term_hash_ids, 0, terms), "term_hash_ids", "a term out of range")
    _check_bounds(arrays, np.diff(indptr), passages)


def _check_bounds(arrays: IndexArrays, lengths: npt.NDArray[np.int64], passages: int) -> None:
    """The block-max bounds: rows of long lists and bitmaps, and where each range starts."""
    bounds = arrays.bounds
    terms = lengths.size
    long_rows, ranges = bounds.range_max.shape if bounds.range_max.ndim == 2 else (-1, -1)
    _require(long_rows >= 0, "range_max", "not a table")
    _require(bounds.range_ptr.shape == (long_rows, ranges + 1), "range_ptr", "not one per range")
    _require(bounds.long_row.shape == (terms,), "long_row", "not one entry per term")
    _require(within(bounds.long_row, -1, long_rows), "long_row", "a row out of range")
    long_terms = np.flatnonzero(bounds.long_row >= 0)
    rows = bounds.long_row[long_terms]
    _require(
        long_terms.size == long_rows and bool((np.bincount(rows, minlength=1) <= 1).all()),
        "long_row",
        "not one row per long list",
    )
    if long_rows:
        row_lengths = np.empty(long_rows, dtype=np.int64)
        row_lengths[rows] = lengths[long_terms]
        starts = bounds.range_ptr
        _require(within(starts, 0, None), "range_ptr", "a negative position")
        _require(
            bool((starts.max(axis=1) <= row_lengths).all()),
            "range_ptr",
            "a position past its list's end",
        )
    _require(bounds.bitmap_row.shape == (terms,), "bitmap_row", "not one entry per term")
    bitmap_rows = bounds.bitmaps.shape[0] if bounds.bitmaps.ndim == 2 else -1
    _require(within(bounds.bitmap_row, -1, bitmap_rows), "bitmap_row", "a row out of range")
    width = (passages + 7) // 8
    _require(bitmap_rows == 0 or bounds.bitmaps.shape[1] == width, "bitmaps", "wrong width")
    _require(bounds.term_max.shape == (terms,), "term_max", "not one entry per term")


def _require(holds: bool, name: str, what: str) -> None:
    require(holds, f"index file {name}.npy", what)
