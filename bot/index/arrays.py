"""The index's arrays, typed, and their one on-disk layout (``<name>.npy`` each, memory-mapped).

Postings are CSR by term: ``indptr[t]:indptr[t + 1]`` slices ``docs`` (passage positions,
ascending) and ``tfs`` (the term's count in each). Terms are found by a sorted array of their
hashes. :class:`RangeBounds` holds what lets a query skip passages that cannot reach the top.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.bm25 import BM25Parameters
from bot.storage.string_table import StringTable

INDEX_FORMAT = 1
RANGE_SHIFT = 8  # passages per bound range in a saved index: 256
_META = "index_meta.npy"  # [INDEX_FORMAT, k1, b]
_TERMS = "terms"  # a StringTable folder


def term_hash(term: str) -> int:
    """A stable 64-bit hash of a term (Python's own ``hash`` changes between runs)."""
    digest = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def encoded_term_hashes(encoded: list[bytes]) -> npt.NDArray[np.uint64]:
    """:func:`term_hash` of each term given as its UTF-8 bytes (``surrogatepass``), together:
    the digests end to end, read as one array."""
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(term, digest_size=8).digest() for term in encoded])
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


@dataclass(frozen=True, slots=True)
class RangeBounds:
    """Score bounds over ranges of ``2**range_shift`` passages, and bitmaps of common terms.

    A long posting list (``long_row[t] >= 0``) has its largest contribution in each range
    (``range_max``, rounded up to float32) and where each range starts in the list
    (``range_ptr``); a very common term (``bitmap_row[t] >= 0``) has one bit per passage in
    ``bitmaps``. ``term_max`` is every term's largest contribution anywhere.
    """

    long_row: npt.NDArray[np.int32]
    range_max: npt.NDArray[np.float32]
    range_ptr: npt.NDArray[np.int32]
    bitmap_row: npt.NDArray[np.int32]
    bitmaps: npt.NDArray[np.uint8]
    term_max: npt.NDArray[np.float64]
    range_shift: int = RANGE_SHIFT

    @property
    def range_count(self) -> int:
        """How many ranges the passages fall in."""
        return int(self.range_max.shape[1])


@dataclass(frozen=True, slots=True)
class IndexArrays:
    """Everything an index holds; its field names (and ``bounds``' arrays) are its file names."""

    terms: StringTable
    term_hash: npt.NDArray[np.uint64]  # sorted
    term_hash_ids: npt.NDArray[np.int32]  # the term id of each sorted hash
    indptr: npt.NDArray[np.int64]
    docs: npt.NDArray[np.int32]
    tfs: npt.NDArray[np.integer[Any]]  # uint8, uint16 or uint32: the smallest that fits
    idf: npt.NDArray[np.float64]
    doc_len: npt.NDArray[np.int32]
    bounds: RangeBounds


_POSTING_FILES = tuple(
    f.name for f in dataclasses.fields(IndexArrays) if f.name not in ("terms", "bounds")
)
_BOUND_FILES = tuple(f.name for f in dataclasses.fields(RangeBounds) if f.name != "range_shift")


def posting_file(directory: Path, name: str, dtype: Any, size: int) -> npt.NDArray[Any]:
    """A new ``.npy`` array in ``directory`` to fill in place (``docs`` and ``tfs`` of a large
    index, written as they are laid out instead of held in memory)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.npy"
    array: npt.NDArray[Any] = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(size,))
    _reserve(path)
    return array


def _reserve(path: Path) -> None:
    """Give the file its disk blocks now. ``open_memmap`` leaves it sparse, and a page written
    through the map on a disk that has no block left for it kills the process (SIGBUS); here a
    full disk is an ``OSError`` the caller can handle instead."""
    reserve = getattr(os, "posix_fallocate", None)  # not on macOS
    if reserve is None:
        return
    with path.open("r+b") as handle:
        try:
            reserve(handle.fileno(), 0, path.stat().st_size)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without it
                raise


def save_arrays(
    directory: Path,
    arrays: IndexArrays,
    params: BM25Parameters,
    *,
    written: tuple[str, ...] = (),
) -> None:
    """Write the index for :func:`load_arrays`; arrays named in ``written`` are already there
    (made by :func:`posting_file`)."""
    if arrays.bounds.range_shift != RANGE_SHIFT:
        raise ValueError(f"a saved index has ranges of 2**{RANGE_SHIFT} passages")
    directory.mkdir(parents=True, exist_ok=True)
    for name in _POSTING_FILES:
        if name not in written:
            np.save(directory / f"{name}.npy", np.asarray(getattr(arrays, name)))
    for name in _BOUND_FILES:
        np.save(directory / f"{name}.npy", np.asarray(getattr(arrays.bounds, name)))
    arrays.terms.save(directory / _TERMS)
    np.save(directory / _META, np.array([INDEX_FORMAT, params.k1, params.b]))


def load_arrays(directory: Path) -> tuple[IndexArrays, BM25Parameters]:
    """Memory-map an index saved by :func:`save_arrays`, with the parameters it was built with."""
    meta = np.load(directory / _META)
    params = BM25Parameters(k1=float(meta[1]), b=float(meta[2]))
    if int(meta[0]) != INDEX_FORMAT:
        raise ValueError(f"index format {int(meta[0])} is not {INDEX_FORMAT}")

    def mapped(name: str) -> Any:
        # A plain ndarray view of the memory map: the same pages, and numba accepts it.
        return np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r"))

    bounds = RangeBounds(**{name: mapped(name) for name in _BOUND_FILES})
    arrays = IndexArrays(
        terms=StringTable.open(directory / _TERMS),
        bounds=bounds,
        **{name: mapped(name) for name in _POSTING_FILES},
    )
    return arrays, params
