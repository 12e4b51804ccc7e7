"""A chunk's terms on their way from a build's worker to its parent: each term's string once,
then only its number.

A worker's analyzers number every term they make, and a number holds for the same term from
chunk to chunk until the numbering forgets (:class:`~bot.analysis.numbering.NumberedTerms`).
The parent keeps, for each worker and numbering generation, the index's number of every term
that worker has sent, so a chunk's terms cost it an array lookup rather than a string to
unpickle and look up in the vocabulary: most of a chunk's tens of thousands of terms are ones
the worker has sent before. At a million passages that lookup was a tenth of the parent's
time.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.build import IndexBuilder

Numbers = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TermOrigins:
    """Where each of a chunk's terms comes from: the generation of the numbering that made it
    and its number there (``lasting``), term by term in the chunk's order."""

    generations: Numbers
    lasting: Numbers


@dataclass(frozen=True, slots=True)
class SentTerms:
    """A chunk's terms as a worker sends them: their origins, and the strings of those it has
    not sent before, in the chunk's order."""

    sender: str
    origins: TermOrigins
    new: list[str]


class TermSender:
    """A worker's side: which terms it has sent, by numbering generation."""

    def __init__(self) -> None:
        # Not the process id, which a later process may have.
        self.name = uuid.uuid4().hex
        self.pid = os.getpid()
        self._sent: dict[int, npt.NDArray[np.bool_]] = {}

    def send(self, terms: list[str], origins: TermOrigins) -> SentTerms:
        """``terms`` (a chunk's, with their ``origins``) as the parent takes them."""
        new = np.zeros(len(terms), dtype=np.bool_)
        for generation, at in _by_generation(origins):
            numbers = origins.lasting[at]
            sent = _grown(self._sent.get(generation), int(numbers.max()) + 1, False)
            new[at] = ~sent[numbers]
            sent[numbers] = True
            self._sent[generation] = sent
        fresh = [terms[number] for number in np.flatnonzero(new).tolist()]
        return SentTerms(self.name, origins, fresh)


class TermReceiver:
    """The parent's side: the index's number of each term each worker has sent, by numbering
    generation."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, int], Numbers] = {}

    def term_ids(self, sent: SentTerms, builder: IndexBuilder) -> Numbers:
        """The builder's numbers of a chunk's terms, new strings numbered by the builder."""
        origins = sent.origins
        ids = np.full(origins.lasting.size, -1, dtype=np.int64)
        tables = []
        for generation, at in _by_generation(origins):
            numbers = origins.lasting[at]
            key = (sent.sender, generation)
            table: Numbers = _grown(self._ids.get(key), int(numbers.max()) + 1, -1)
            self._ids[key] = table
            ids[at] = table[numbers]
            tables.append((table, numbers, at))
        unknown = np.flatnonzero(ids < 0)
        if unknown.size != len(sent.new):
            raise ValueError("a worker's terms do not match the strings it has sent")
        ids[unknown] = builder.term_ids(sent.new)
        for table, numbers, at in tables:
            table[numbers] = ids[at]
        return ids


def _by_generation(origins: TermOrigins) -> list[tuple[int, Numbers]]:
    """Each generation among ``origins`` with the positions of its terms (a chunk has one per
    language it holds)."""
    generations = origins.generations
    return [
        (generation, np.flatnonzero(generations == generation))
        for generation in np.unique(generations).tolist()
    ]


def _grown(values: Any, size: int, fill: Any) -> Any:
    """``values`` (``None`` for none yet) at least ``size`` long, new entries ``fill``; grown by
    half at least, as a chunk's terms reach further."""
    if values is not None and values.size >= size:
        return values
    old = 0 if values is None else values.size
    dtype = np.bool_ if isinstance(fill, bool) else np.int64
    grown = np.full(max(size, old * 3 // 2), fill, dtype=dtype)
    if values is not None:
        grown[:old] = values
    return grown
