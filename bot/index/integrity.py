"""Whether a saved index's arrays fit together, checked when it is opened.

The query kernels index one array by another's values without bounds checks (numba's would
cost every query), so a passage number past the end of a damaged file would read outside the
array, or crash the process. Every value used as an index is checked here instead, once; see
:mod:`bot.storage.integrity`. The postings' passage numbers (184 MB at a million passages) are
read from their file a block at a time rather than through the memory map, which would keep
every page resident, and the other arrays are read into memory and let go: the bot's memory
after loading stays what its queries touch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.arrays import IndexArrays
from bot.storage.integrity import ascending, require, within

_BLOCK_VALUES = 4 * 1024 * 1024  # values read at a time: 16 MB of passage numbers


def check_index(arrays: IndexArrays, directory: Path) -> None:
    """Raise :class:`~bot.storage.integrity.DamagedFile` unless every array of the index saved
    in ``directory`` (``arrays``, mapped) has its size and every value used as an index is in
    range. The values are read from the files, not through ``arrays``' maps."""
    terms = len(arrays.terms)
    passages = int(arrays.doc_len.size)
    postings = int(arrays.docs.size)
    indptr = _saved(directory, "indptr")
    _require(indptr.shape == (terms + 1,), "indptr", "not one entry per term")
    _require(int(indptr[0]) == 0 and ascending(indptr), "indptr", "not ascending from 0")
    _require(int(indptr[-1]) == postings, "indptr", "not ending at the number of postings")
    _require(arrays.tfs.shape == (postings,), "tfs", "not one entry per posting")
    _require(_file_within(directory / "docs.npy", passages), "docs", "a passage out of range")
    _require(within(_saved(directory, "doc_len"), 0, None), "doc_len", "a negative length")
    for name in ("idf", "term_hash", "term_hash_ids"):
        _require(getattr(arrays, name).shape == (terms,), name, "not one entry per term")
    _require(ascending(_saved(directory, "term_hash")), "term_hash", "not sorted")
    term_ids = _saved(directory, "term_hash_ids")
    _require(within(term_ids, 0, terms), "term_hash_ids", "a term out of range")
    _check_bounds(arrays, directory, np.diff(indptr), passages)


def _check_bounds(
    arrays: IndexArrays, directory: Path, lengths: npt.NDArray[np.int64], passages: int
) -> None:
    """The block-max bounds: rows of long lists and bitmaps, and where each range starts."""
    bounds = arrays.bounds
    terms = lengths.size
    long_rows, ranges = bounds.range_max.shape if bounds.range_max.ndim == 2 else (-1, -1)
    _require(long_rows >= 0, "range_max", "not a table")
    _require(bounds.range_ptr.shape == (long_rows, ranges + 1), "range_ptr", "not one per range")
    long_row = _saved(directory, "long_row")
    _require(long_row.shape == (terms,), "long_row", "not one entry per term")
    _require(within(long_row, -1, long_rows), "long_row", "a row out of range")
    long_terms = np.flatnonzero(long_row >= 0)
    rows = long_row[long_terms]
    _require(
        long_terms.size == long_rows and bool((np.bincount(rows, minlength=1) <= 1).all()),
        "long_row",
        "not one row per long list",
    )
    if long_rows:
        row_lengths = np.empty(long_rows, dtype=np.int64)
        row_lengths[rows] = lengths[long_terms]
        starts = _saved(directory, "range_ptr")
        _require(within(starts, 0, None), "range_ptr", "a negative position")
        _require(
            bool((starts.max(axis=1) <= row_lengths).all()),
            "range_ptr",
            "a position past its list's end",
        )
    bitmap_row = _saved(directory, "bitmap_row")
    _require(bitmap_row.shape == (terms,), "bitmap_row", "not one entry per term")
    bitmap_rows = bounds.bitmaps.shape[0] if bounds.bitmaps.ndim == 2 else -1
    _require(within(bitmap_row, -1, bitmap_rows), "bitmap_row", "a row out of range")
    width = (passages + 7) // 8
    _require(bitmap_rows == 0 or bounds.bitmaps.shape[1] == width, "bitmaps", "wrong width")
    _require(bounds.term_max.shape == (terms,), "term_max", "not one entry per term")


def _saved(directory: Path, name: str) -> npt.NDArray[Any]:
    """A saved array read into memory, let go once checked (a few bytes a term)."""
    array: npt.NDArray[Any] = np.load(directory / f"{name}.npy", allow_pickle=False)
    return array


def _file_within(path: Path, end: int) -> bool:
    """Whether every value of the saved 1-D array at ``path`` is in ``range(end)``, read a
    block at a time."""
    header = np.load(path, mmap_mode="r")  # its dtype, size and offset; no value is read
    dtype, count, offset = header.dtype, header.size, header.offset
    del header
    with path.open("rb") as handle:
        handle.seek(offset)
        for first in range(0, count, _BLOCK_VALUES):
            values = np.fromfile(handle, dtype=dtype, count=min(_BLOCK_VALUES, count - first))
            if not within(values, 0, end):
                return False
    return True


def _require(holds: bool, name: str, what: str) -> None:
    require(holds, f"index file {name}.npy", what)
