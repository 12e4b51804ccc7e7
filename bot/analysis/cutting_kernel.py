"""Cutting text into pieces, compiled (numba, the ``fast`` extra): one pass over a text's code
points that finds each maximal run of one class of characters, hashes it and notes which text
it is in, where ``re.findall`` and ``str.split`` make a string object of every word.

Classes come from a table indexed by code point: 0 for a character that ends a piece, the same
nonzero number for characters that run on together.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.analysis.jit import njit

# FNV-1a, 64 bits: the pieces' hashes only group them; :func:`same_pieces` proves each group
# holds one piece, so a collision costs a slower path, never a wrong term.
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True)
def cut_pieces(
    text: Any, classes: Any, separator: int
) -> tuple[Any, Any, Any, Any]:  # pragma: no cover - compiled
    """``(starts, ends, hashes, texts)`` of each piece of ``text`` (an array of code points):
    its bounds, its hash, and the number of ``separator`` code points before it."""
    size = text.size
    bound = size // 2 + 1  # pieces are at least one code point apart
    starts = np.empty(bound, dtype=np.int64)
    ends = np.empty(bound, dtype=np.int64)
    hashes = np.empty(bound, dtype=np.uint64)
    owners = np.empty(bound, dtype=np.int64)
    table = classes.size
    count = 0
    owner = 0
    at = 0
    while at < size:
        code = text[at]
        if code == separator:
            owner += 1
            at += 1
            continue
        kind = classes[code] if code < table else 0
        if kind == 0:
            at += 1
            continue
        start = at
        value = _FNV_OFFSET
        while at < size:
            code = text[at]
            if code >= table or classes[code] != kind:
                break
            value = (value ^ np.uint64(code)) * _FNV_PRIME
            at += 1
        starts[count] = start
        ends[count] = at
        hashes[count] = value
        owners[count] = owner
        count += 1
    return starts[:count], ends[:count], hashes[:count], owners[:count]


@njit(cache=True, nogil=True)
def same_pieces(text: Any, starts: Any, ends: Any, first: Any) -> bool:  # pragma: no cover
    """Whether piece ``i`` of ``text`` is the same as piece ``first[i]``, for every ``i``."""
    for piece in range(starts.size):
        other = first[piece]
        if other == piece:
            continue
        length = ends[piece] - starts[piece]
        if ends[other] - starts[other] != length:
            return False
        for offset in range(length):
            if text[starts[piece] + offset] != text[starts[other] + offset]:
                return False
    return True


@njit(cache=True, nogil=True)
def group_pieces(hashes: Any) -> tuple[Any, Any]:  # pragma: no cover - compiled
    """``(groups, firsts)``: each hash's group, numbered in order of first occurrence, and each
    group's first index into ``hashes``, by an open-addressing table."""
    count = hashes.size
    size = 1
    while size < 2 * count:
        size *= 2
    slots = np.full(size, -1, dtype=np.int64)
    group_hashes = np.empty(count, dtype=np.uint64)
    firsts = np.empty(count, dtype=np.int64)
    groups = np.empty(count, dtype=np.int64)
    found = 0
    for index in range(count):
        value = hashes[index]
        slot = _first_slot(value, size - 1)
        while True:
            group = slots[slot]
            if group < 0:
                slots[slot] = found
                group_hashes[found] = value
                firsts[found] = index
                groups[index] = found
                found += 1
                break
            if group_hashes[group] == value:
                groups[index] = group
                break
            slot = (slot + 1) & (size - 1)
    return groups, firsts[:found]


@njit(cache=True, nogil=True)
def first_uses(numbers: Any, size: int) -> tuple[Any, Any]:  # pragma: no cover - compiled
    """``(local, used)``: ``numbers`` (each below ``size``) numbered afresh in order of first
    use, and the numbers in that order."""
    local_of = np.full(size, -1, dtype=np.int64)
    used = np.empty(numbers.size, dtype=np.int64)
    local = np.empty(numbers.size, dtype=np.int64)
    found = 0
    for index in range(numbers.size):
        number = numbers[index]
        mine = local_of[number]
        if mine < 0:
            mine = found
            local_of[number] = found
            used[found] = number
            found += 1
        local[index] = mine
    return local, used[:found]


# What :func:`known_codes` gives a piece the table does not hold: below every code a piece has.
UNKNOWN = -(2**62)


@njit(cache=True, nogil=True)
def known_codes(
    text: Any,
    starts: Any,
    ends: Any,
    hashes: Any,
    slots: Any,
    known_hashes: Any,
    known_bounds: Any,
    known_points: Any,
    known: Any,
) -> Any:  # pragma: no cover - compiled
    """The code remembered for each piece ``text[starts[i]:ends[i]]`` (hash ``hashes[i]``),
    or :data:`UNKNOWN`: entry ``k`` of the open-addressing table ``slots`` is the piece
    ``known_points[known_bounds[k]:known_bounds[k + 1]]``, hashed ``known_hashes[k]``, of code
    ``known[k]``. A piece is known only when its code points are the same, not its hash."""
    mask = slots.size - 1
    codes = np.empty(starts.size, dtype=np.int64)
    for piece in range(starts.size):
        value = hashes[piece]
        slot = _first_slot(value, mask)
        codes[piece] = UNKNOWN
        while True:
            entry = slots[slot]
            if entry < 0:
                break
            if known_hashes[entry] == value and _same(
                text,
                starts[piece],
                ends[piece],
                known_points,
                known_bounds[entry],
                known_bounds[entry + 1],
            ):
                codes[piece] = known[entry]
                break
            slot = (slot + 1) & mask
    return codes


@njit(cache=True, nogil=True)
def _same(
    text: Any, start: int, end: int, points: Any, first: int, last: int
) -> bool:  # pragma: no cover - compiled
    length = end - start
    if last - first != length:
        return False
    offset = 0
    while offset < length and text[start + offset] == points[first + offset]:
        offset += 1
    return offset == length


@njit(cache=True, nogil=True)
def place(slots: Any, known_hashes: Any, first: int, last: int) -> None:  # pragma: no cover
    """Enter entries ``first`` to ``last - 1`` (by their hashes) into the table ``slots``,
    which has room for them."""
    mask = slots.size - 1
    for entry in range(first, last):
        value = known_hashes[entry]
        slot = _first_slot(value, mask)
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = entry


@njit(cache=True, nogil=True)
def _first_slot(value: Any, mask: int) -> Any:  # pragma: no cover - compiled
    """Where a hash is first looked for in an open-addressing table of ``mask + 1`` slots: its
    high bits folded into the low ones, which in FNV-1a's products depend only on the low bits
    of what was hashed."""
    return np.int64((value ^ (value >> np.uint64(29))) & np.uint64(mask))
