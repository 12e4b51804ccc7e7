"""`/source` id completion: the passages whose id or document title contains what was typed.

Discord drops an answer later than three seconds, and walking every passage id costs seconds a
keystroke at a million passages (``python -m bench.completion``). So the snapshot keeps each
document's id and title casefolded in one memory-mapped text
(:func:`~bot.storage.passage_store.search_entry`), searched with ``find``, and "which documents
have an n-th passage" is one numpy comparison. The choices, and their order, are the walk's:
documents in corpus order, each one's passages in order, the first ``limit`` that match.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterator

import numpy as np

from bot.storage.layered_store import LayeredStore
from bot.storage.passage_store import PassageStore
from bot.storage.string_table import array_view

_BLOCK = 4096  # documents whose passage counts are compared at once
_WHOLE, _SOME = 0, 1  # a document matches as a whole, or only some of its passages do


class IdCompleter:
    """Matches typed text against ``<document id>#<n>`` and document titles, casefolded."""

    def __init__(self, store: PassageStore | LayeredStore) -> None:
        self._store = store
        self._counts = store.passage_counts()
        self._passages = array_view(self._counts, "q")  # plain ints, fast to read one by one
        self._text, self._starts = store.search_text()

    def complete(self, typed: str, limit: int = 25) -> list[tuple[str, str]]:
        """``(label, passage id)`` choices, at most ``limit``."""
        needle = typed.strip().casefold()
        if "\0" in needle or limit <= 0:
            return []
        choices: list[tuple[str, str]] = []
        last = -1
        for number, kind in heapq.merge(*self._sources(needle)):
            if number == last:
                continue  # already listed (a whole-document match sorts first)
            last = number
            count = self._passages[number]
            ordinals: Iterator[int] | range = range(1, count + 1)
            if kind == _SOME:
                ordinals = _matching_ordinals(needle, count)
            document_id = self._store.document_id(number)
            title = self._store.document_title(number)
            for ordinal in ordinals:
                passage_id = f"{document_id}#{ordinal}"
                choices.append((f"{passage_id} — {title}", passage_id))
                if len(choices) >= limit:
                    return choices
        return choices

    def _sources(self, needle: str) -> list[Iterator[tuple[int, int]]]:
        """Sorted streams of ``(document, kind)``: every way a document's passages can match."""
        if not needle:
            return [_tagged(self._having(1), _WHOLE)]
        head, hash_sign, tail = needle.partition("#")
        sources = [_tagged(self._containing(_utf8(needle)), _WHOLE)]  # in the id or title
        if not hash_sign:
            if needle.isdecimal() and needle.isascii():  # the digits of a passage number
                sources.append(_tagged(self._having(_least_containing(needle)), _SOME))
            return sources
        if "#" in tail or not (tail == "" or (tail.isdecimal() and tail.isascii())):
            return sources  # ids hold no "#" and passage numbers only ASCII digits
        least = _least_starting(tail)
        if least is None:
            return sources
        if head:  # "<the end of an id>#<the start of a passage number>"
            ends = self._id_ending(_utf8(head))
            passages = self._passages
            sources.append(_tagged((n for n in ends if passages[n] >= least), _SOME))
        else:
            sources.append(_tagged(self._having(least), _SOME))
        return sources

    def _containing(self, key: bytes) -> Iterator[int]:
        """Documents whose id or title contains ``key``, in order (UTF-8 substrings are string
        substrings, and no match spans a NUL)."""
        text, starts = self._text, self._starts
        position = text.find(key)
        while position >= 0:
            number = bisect_right(starts, position) - 1
            yield number
            position = text.find(key, starts[number + 1])

    def _id_ending(self, head: bytes) -> Iterator[int]:
        """Documents whose id ends with ``head``: ``head`` then the NUL that ends the id."""
        text, starts = self._text, self._starts
        for number in self._containing(head + b"\0"):
            # The match may be the title's end instead; the id ends at the entry's first NUL.
            position = starts[number]
            id_end = text.find(b"\0", position)
            if text.find(head + b"\0", position, id_end + 1) >= 0:
                yield number

    def _having(self, least: int) -> Iterator[int]:
        """Documents with at least ``least`` passages, a block at a time: the first choices
        come without comparing a million counts."""
        counts = self._counts
        for start in range(0, counts.size, _BLOCK):
            found = np.flatnonzero(counts[start : start + _BLOCK] >= least) + start
            yield from found.tolist()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # as the snapshot's strings are written


def _tagged(numbers: Iterator[int], kind: int) -> Iterator[tuple[int, int]]:
    return ((number, kind) for number in numbers)


def _matching_ordinals(needle: str, count: int) -> Iterator[int]:
    """The passage numbers whose ``#<n>`` (after the end of the id) holds ``needle``."""
    if "#" in needle:
        tail = needle.partition("#")[2]
        return (o for o in range(1, count + 1) if str(o).startswith(tail))
    return (o for o in range(1, count + 1) if needle in str(o))


def _least_containing(digits: str) -> int:
    """The smallest passage number written with ``digits`` in it (none starts with 0)."""
    return int(digits) if digits[0] != "0" else int("1" + digits)


def _least_starting(digits: str) -> int | None:
    """The smallest passage number written starting with ``digits``, if any can."""
    if not digits:
        return 1
    return None if digits[0] == "0" else int(digits)
