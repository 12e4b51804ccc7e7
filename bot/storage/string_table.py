"""Many strings in one UTF-8 blob plus offsets: memory-mappable, decoded only when read.

A million passage ids or a vocabulary of half a million terms as Python objects costs tens of
megabytes and seconds to load; as a blob they cost nothing until a string is asked for.

Offsets are read through a ``memoryview`` of the array (a plain Python int per read, about
0.1 µs) rather than by indexing the numpy array or its memory map (a numpy scalar each time, up
to several µs), so a lookup that reads twenty strings costs microseconds, not a tenth of a
millisecond.
"""

from __future__ import annotations

import mmap
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bot.storage.integrity import ascending, require
from bot.storage.sequences import LazySequence


class StringTable(LazySequence[str]):
    """An immutable list of strings backed by a blob (bytes or a memory map) and offsets."""

    def __init__(self, blob: bytes | mmap.mmap, offsets: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        self._offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        self._ends = array_view(self._offsets, "q")
        self._size = len(self._ends) - 1

    @classmethod
    def from_strings(cls, strings: Iterable[str]) -> StringTable:
        """An in-memory table."""
        encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
        return cls.from_encoded(b"".join(encoded), list(map(len, encoded)))

    @classmethod
    def from_encoded(cls, blob: bytes, lengths: npt.ArrayLike) -> StringTable:
        """An in-memory table of strings already encoded (UTF-8, ``surrogatepass``) end to end
        in ``blob``, each ``lengths[i]`` bytes long."""
        return cls(blob, _offsets(lengths))

    @classmethod
    def open(cls, prefix: Path) -> StringTable:
        """Map a table written by :func:`write_strings`."""
        offsets_path = prefix.with_suffix(".offsets.npy")
        blob_path = prefix.with_suffix(".blob")
        size = blob_path.stat().st_size
        checked = np.load(offsets_path)  # read and let go: the map keeps only what is read
        require(
            checked.ndim == 1
            and checked.size >= 1
            and int(checked[0]) == 0
            and int(checked[-1]) == size
            and ascending(checked),
            offsets_path.name,
            "its offsets do not run from 0 to the blob's size",
        )
        offsets = np.load(offsets_path, mmap_mode="r").view(np.ndarray)
        if size == 0:
            return cls(b"", offsets)
        with blob_path.open("rb") as handle:
            blob = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return cls(blob, offsets)

    def save(self, prefix: Path) -> None:
        """Write the table as :func:`write_strings` does, blob and offsets as they are."""
        with prefix.with_suffix(".blob").open("wb") as handle:
            handle.write(self._blob)
        np.save(prefix.with_suffix(".offsets.npy"), self._offsets)

    def __len__(self) -> int:
        return self._size

    def _item(self, index: int) -> str:
        return self._blob[self._ends[index] : self._ends[index + 1]].decode(
            "utf-8", "surrogatepass"
        )

    def encoded(self, index: int) -> bytes:
        """The string's UTF-8 bytes, undecoded (``0 <= index < len(self)``)."""
        return self._blob[self._ends[index] : self._ends[index + 1]]

    def raw(self) -> tuple[bytes | mmap.mmap, memoryview[int]]:
        """The blob and the offsets (``len(self) + 1`` of them): for a scan in C, such as
        ``blob.find``, rather than a string at a time."""
        return self._blob, self._ends

    def find(self, value: str) -> int:
        """The index of ``value`` in a sorted table, -1 if absent (binary search on the bytes).

        UTF-8 bytes sort in code point order, so comparing them is comparing the strings.
        """
        key = value.encode("utf-8", "surrogatepass")
        found = bisect_left(_EncodedView(self), key)
        return found if found < self._size and self.encoded(found) == key else -1


class _EncodedView(LazySequence[bytes]):
    """A table's entries as bytes, for bisecting without decoding."""

    def __init__(self, table: StringTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def _item(self, index: int) -> bytes:
        return self._table.encoded(index)


def array_view(array: npt.NDArray[Any], code: Literal["i", "q", "Q"]) -> memoryview[int]:
    """A flat array as a memoryview of ``struct`` type ``code`` (no copy when contiguous)."""
    return np.ascontiguousarray(array).data.cast("B").cast(code)


class StringWriter:
    """Appends strings to ``<prefix>.blob`` as they come, so a big table never sits in memory."""

    def __init__(self, prefix: Path) -> None:
        self._prefix = prefix
        self._handle = prefix.with_suffix(".blob").open("wb")
        self._lengths: list[int] = []

    def append(self, value: str) -> None:
        """Add the next string."""
        encoded = value.encode("utf-8", "surrogatepass")
        self._handle.write(encoded)
        self._lengths.append(len(encoded))

    def extend(self, values: Iterable[str]) -> None:
        """Add the next strings, in one write."""
        encoded = [value.encode("utf-8", "surrogatepass") for value in values]
        self._handle.write(b"".join(encoded))
        self._lengths.extend(map(len, encoded))

    def close(self) -> None:
        """Write the offsets next to the blob."""
        self._handle.close()
        np.save(self._prefix.with_suffix(".offsets.npy"), _offsets(self._lengths))


def _offsets(lengths: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Where each of strings of ``lengths`` bytes, end to end, starts, and where the last ends."""
    sizes = np.asarray(lengths, dtype=np.int64)
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def write_strings(prefix: Path, strings: Iterable[str]) -> None:
    """Write a table for :meth:`StringTable.open`."""
    writer = StringWriter(prefix)
    for value in strings:
        writer.append(value)
    writer.close()
