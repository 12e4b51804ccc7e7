"""Many texts' terms as numbers, from pieces (words, say) cut from all of them at once in C.

Each distinct piece is turned into terms once and remembered (up to a bound), so tokenising a
corpus costs Python work per new word rather than per word.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from re import Match
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.analysis.kept_arrays import code_stamp, kept_arrays
from bot.analysis.kernels import compiled_module

# Joins texts cut together: no word character, so no step of tokenising joins or changes
# anything across it, and a piece of its own that tells where one text ends.
SEPARATOR = "\x00"
# Pieces remembered before the numbering starts afresh: about 100 MB (390 bytes a piece on the
# bench corpus), so a build's two workers stay well within its memory target; the words that
# make most of any chunk are back after one chunk.
REMEMBERED_PIECES = 250_000

# What a piece is numbered as, beside a term's number: no term, the end of a text, and (this
# and below) one of the rare pieces with several terms.
_NO_TERM = -1
_TEXT_END = -2
_FIRST_SEVERAL = -3

Numbers = npt.NDArray[np.int64]
Points = npt.NDArray[np.uint32]  # a text's code points
Hashes = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class NumberedTerms:
    """The terms of many texts as numbers: term ``numbers[i]`` (an index into ``terms``,
    numbered in order of first use) is one of text ``owners[i]``'s. A text's terms come in
    its order; texts' may not.

    ``lasting[k]`` is ``terms[k]``'s number in the numbering that made them, the same for the
    same term in every call of one ``generation`` (a number no other numbering of the process,
    and none of this one's after it forgets, has): a process that sends another its terms
    call after call sends each string once a generation (see :mod:`bot.snapshot.transfer`).
    ``numbered`` holds the lasting number of every term the numbering has made in the
    generation, these and others.
    """

    terms: list[str]
    numbers: Numbers
    owners: Numbers
    lasting: Numbers
    generation: int
    numbered: Mapping[str, int]


def ascii_cutting_table(kept: str) -> dict[int, str]:
    """A :meth:`str.translate` table that leaves ASCII text's pieces split by spaces: letters
    (lower-cased), digits, the characters of ``kept`` and :data:`SEPARATOR` as they are,
    any other ASCII character a space."""
    return str.maketrans(
        {
            chr(code): chr(code).lower()
            if chr(code).isalnum() or chr(code) in kept + SEPARATOR
            else " "
            for code in range(128)
        }
    )


def joined(texts: Sequence[str]) -> str:
    """``texts`` joined by :data:`SEPARATOR` with a space either side (so a split keeps it a
    piece of its own); a separator of their own becomes a space, which no step of tokenising
    tells from one."""
    together = f" {SEPARATOR} ".join(texts)
    if together.count(SEPARATOR) != len(texts) - 1:
        together = f" {SEPARATOR} ".join(text.replace(SEPARATOR, " ") for text in texts)
    return together


class PieceNumbering:
    """Numbers pieces' terms, remembering each piece's: ``terms_of_pieces`` gives the terms of
    each of a list of new pieces."""

    def __init__(
        self,
        terms_of_pieces: Callable[[list[str]], list[tuple[str, ...]]],
        remembered: int = REMEMBERED_PIECES,
    ) -> None:
        self._terms_of_pieces = terms_of_pieces
        self._remembered = remembered
        self.generation = 0
        # Held from a call's first :meth:`number` to its :meth:`numbered`, and to forget: two
        # builds in one process (a reload's, a merge's) must not renumber each other's pieces.
        self.lock = threading.Lock()
        self._forget()
        _NUMBERINGS.add(self)

    def _forget(self) -> None:
        self.generation = next(_GENERATIONS)
        self._codes_of: dict[str, int] = {SEPARATOR: _TEXT_END}
        self._known = _KnownPieces()
        self._numbers: dict[str, int] = {}
        self._terms: list[str] = []
        self._several: list[tuple[int, ...]] = []

    def number(self, pieces: list[str]) -> tuple[Numbers, Numbers]:
        """The term numbers of ``pieces``, and which text, counted by the :data:`SEPARATOR`
        pieces before it, each comes from. The numbers hold until :meth:`numbered` is asked."""
        found = self._codes(pieces)
        return self._terms_found(found, np.cumsum(found == _TEXT_END))

    def number_text(self, text: str, classes: npt.NDArray[np.uint8]) -> tuple[Numbers, Numbers]:
        """:meth:`number` of the pieces of ``text``: maximal runs of code points of one nonzero
        class in ``classes`` (indexed by code point), cut by the compiled kernel."""
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        kernels = _cutter()
        starts, ends, hashes, owners = kernels.cut_pieces(points, classes, ord(SEPARATOR))
        groups, firsts = kernels.group_pieces(hashes)
        if kernels.same_pieces(points, starts, ends, firsts[groups]):
            # Each distinct piece's code, from the pieces remembered as code points: only the
            # new ones are made into strings, most of a chunk's words known from the last.
            piece_starts, piece_ends, piece_hashes = starts[firsts], ends[firsts], hashes[firsts]
            codes = self._known.codes(points, piece_starts, piece_ends, piece_hashes)
            new = np.flatnonzero(codes == kernels.UNKNOWN)
            if new.size:
                bounds = zip(piece_starts[new].tolist(), piece_ends[new].tolist(), strict=True)
                codes[new] = self._codes([text[start:end] for start, end in bounds])
                self._known.add(
                    points, piece_starts[new], piece_ends[new], piece_hashes[new], codes[new]
                )
            found = codes[groups]
        else:  # two pieces share a hash: each is looked up by itself
            bounds = zip(starts.tolist(), ends.tolist(), strict=True)
            found = self._codes([text[start:end] for start, end in bounds])
        return self._terms_found(found, owners)

    def _codes(self, pieces: list[str]) -> Numbers:
        """Each piece's code: its term's number, or what stands for none or several."""
        codes = self._codes_of
        new = list(set(pieces).difference(codes))
        for piece, terms in zip(new, self._terms_of_pieces(new), strict=True):
            codes[piece] = self._code(terms)
        return np.fromiter(map(codes.__getitem__, pieces), np.int64, count=len(pieces))

    def _terms_found(self, found: Numbers, owners: Numbers) -> tuple[Numbers, Numbers]:
        """The term numbers in pieces' ``found`` codes, with the text each comes from."""
        if self._several:
            found, owners = self._expanded(found, owners)
        kept = found >= 0
        return found[kept], owners[kept]

    def numbered(self, numbers: Numbers, owners: Numbers, *, kernel: bool) -> NumberedTerms:
        """:class:`NumberedTerms` of what :meth:`number` found, terms numbered afresh in order
        of first use (the same for the same texts, whatever was numbered before); by the
        compiled kernel with ``kernel``."""
        if kernel:
            local, used = _cutter().first_uses(numbers, len(self._terms))
        else:
            distinct, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
            order = np.argsort(first, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            local, used = rank[inverse.reshape(-1)], distinct[order]
        terms = [self._terms[number] for number in used.tolist()]
        generation, table = self.generation, self._numbers  # this call's, before forgetting
        if len(self._codes_of) > self._remembered:
            self._forget()  # only now: numbers from before this would mean other terms
        return NumberedTerms(
            terms, local.astype(np.int64), owners, used.astype(np.int64), generation, table
        )

    def _code(self, terms: tuple[str, ...]) -> int:
        if len(terms) == 1:
            return self._number(terms[0])
        if not terms:
            return _NO_TERM
        self._several.append(tuple(map(self._number, terms)))
        return _FIRST_SEVERAL - (len(self._several) - 1)

    def _number(self, term: str) -> int:
        number = self._numbers.get(term)
        if number is None:
            number = self._numbers[term] = len(self._terms)
            self._terms.append(term)
        return number

    def _expanded(self, found: Numbers, owners: Numbers) -> tuple[Numbers, Numbers]:
        """``found`` with each code of a piece of several terms replaced by their numbers, and
        ``owners`` to match."""
        codes = np.flatnonzero(found <= _FIRST_SEVERAL)
        if not codes.size:
            return found, owners
        several = self._several
        which = (_FIRST_SEVERAL - found[codes]).tolist()
        sizes = np.ones(found.size, dtype=np.int64)
        sizes[codes] = [len(several[number]) for number in which]
        expanded = np.repeat(found, sizes)
        starts = (np.cumsum(sizes) - sizes)[codes].tolist()
        for at, number in zip(starts, which, strict=True):
            expanded[at : at + len(several[number])] = several[number]
        return expanded, np.repeat(owners, sizes)


class _KnownPieces:
    """The pieces :meth:`PieceNumbering.number_text` has coded, as code points with their
    hashes and codes in an open-addressing table that :func:`cutting_kernel.known_codes`
    reads: a piece is known by its code points, never by its hash alone."""

    def __init__(self) -> None:
        self.count = 0
        self._hashes = np.empty(1024, dtype=np.uint64)
        self._codes = np.empty(1024, dtype=np.int64)
        self._bounds = np.zeros(1025, dtype=np.int64)  # entry k: points[bounds[k]:bounds[k+1]]
        self._points = np.empty(8192, dtype=np.uint32)
        self._slots = np.full(2048, -1, dtype=np.int64)  # at most half full

    def codes(self, text: Points, starts: Numbers, ends: Numbers, hashes: Hashes) -> Numbers:
        """Each piece ``text[starts[i]:ends[i]]``'s code, or ``cutting_kernel.UNKNOWN``."""
        codes: Numbers = _cutter().known_codes(
            text,
            starts,
            ends,
            hashes,
            self._slots,
            self._hashes,
            self._bounds,
            self._points,
            self._codes,
        )
        return codes

    def add(
        self, text: Points, starts: Numbers, ends: Numbers, hashes: Hashes, codes: Numbers
    ) -> None:
        """Remember new pieces (none known yet, none twice) with their codes."""
        first, last = self.count, self.count + starts.size
        lengths = ends - starts
        used = int(self._bounds[first])
        added = int(lengths.sum())
        self._hashes = _room(self._hashes, last)
        self._codes = _room(self._codes, last)
        self._bounds = _room(self._bounds, last + 1)
        self._points = _room(self._points, used + added)
        # Each new piece's code points, one after another, gathered in one step.
        offsets = np.cumsum(lengths) - lengths
        self._points[used : used + added] = text[
            np.repeat(starts - offsets, lengths) + np.arange(added)
        ]
        self._bounds[first + 1 : last + 1] = used + np.cumsum(lengths)
        self._hashes[first:last] = hashes
        self._codes[first:last] = codes
        self.count = last
        if 2 * last > self._slots.size:  # a fresh table, at most half full, every entry placed
            size = self._slots.size
            while 2 * last > size:
                size *= 2
            self._slots = np.full(size, -1, dtype=np.int64)
            first = 0
        _cutter().place(self._slots, self._hashes, first, last)


def _room(values: Any, size: int) -> Any:
    """``values``, or a copy of it at least twice as long when it is shorter than ``size``."""
    if values.size >= size:
        return values
    grown = np.empty(max(size, 2 * values.size), dtype=values.dtype)
    grown[: values.size] = values
    return grown


# The generations of every numbering of the process: each a number of its own.
_GENERATIONS = itertools.count()
# Every numbering, so a process that keeps running after a build can let their memory go.
_NUMBERINGS: weakref.WeakSet[PieceNumbering] = weakref.WeakSet()


def forget_pieces() -> None:
    """Let every numbering forget the pieces it remembers, once any call in progress is done."""
    for numbering in list(_NUMBERINGS):
        with numbering.lock:
            numbering._forget()


def compiled() -> bool:
    """Whether :meth:`PieceNumbering.number_text` can run: numba is installed (and not switched
    off with ``CORPUSBOT_NO_NUMBA``) and its kernels compile, or load from numba's cache."""
    return _cutter() is not None


@cache
def _cutter() -> Any:
    """The compiled kernels' module, or ``None``."""
    return compiled_module("cutting_kernel")


class _Pattern(Protocol):
    @property
    def pattern(self) -> str: ...

    @property
    def flags(self) -> int: ...

    def finditer(self, string: str) -> Iterator[Match[str]]: ...


@cache
def piece_classes(*patterns: _Pattern) -> npt.NDArray[np.uint8]:
    """A table of every code point's class for :meth:`PieceNumbering.number_text`: ``n`` for
    the characters ``patterns[n - 1]`` matches one at a time (the first that does), 0 for
    the rest. Made once per install (a tenth of a second per pattern) and kept: see
    :mod:`kept_arrays`."""
    # The patterns' Unicode tables are Python's (``re``) and the regex package's own.
    made_by = repr([(type(p).__module__, p.pattern, p.flags) for p in patterns])
    patterns_key = hashlib.sha256(made_by.encode()).hexdigest()[:12]
    key = f"{sys.version_info[:3]}-{metadata.version('regex')}-{code_stamp(__file__)}"
    kept = kept_arrays(
        f"piece-classes-{patterns_key}",
        hashlib.sha256(key.encode()).hexdigest()[:12],
        ("classes",),
        lambda: {"classes": _classes_of(patterns)},
    )
    classes: npt.NDArray[np.uint8] = kept["classes"]
    return classes


def _classes_of(patterns: Sequence[_Pattern]) -> npt.NDArray[np.uint8]:
    """:func:`piece_classes`'s table, made in C."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    table = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
    for number, pattern in reversed(list(enumerate(patterns, start=1))):
        for run in pattern.finditer(every):
            table[run.start() : run.end()] = number
    return table
