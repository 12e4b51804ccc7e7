"""The index of a corpus edited since its index was saved: the saved index (the base) without the
passages of the files that changed or went, plus a small index of what those files hold now (the
delta), answering exactly as one index built from scratch on the corpus as it now is.

Only the changed files are read and indexed, so an edit is searchable in well under a second at
a million passages. Scores stay ``rank-bm25``'s for the current corpus: the document count, the
average length and each term's document frequency are the whole current corpus's (the base's
less the removed passages', plus the delta's), and each contribution is the expression
``get_scores`` evaluates, summed in query order. The base's stored idf and range bounds describe
the corpus it was built from, so a query here scores every posting of its terms (no pruning);
a merge, a full build in the background, brings the pruned paths back.

Positions are dense: the base's kept passages in their order, then the delta's (as
:class:`~bot.storage.layered_store.LayeredStore` numbers them).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.backends import Backend, resolve
from bot.index.backends.base import (
    IntArray,
    ScoredPassage,
    Scratch,
    best,
)
from bot.index.bm25 import FloatArray, average_length, idf, impacts, length_norm
from bot.index.passage_index import PassageIndex
from bot.index.subset import Subset

_NO_LABELS = np.zeros(1, dtype=np.uint8)  # what the kernel is given when no subset applies


@dataclass(frozen=True, slots=True)
class _Term:
    """A query term: its column in the base (-1: no kept passage has it) and in the delta
    (-1: none), and its idf over the current corpus."""

    base: int
    delta: int
    idf: float


def removed_frequencies(base: PassageIndex, terms: Mapping[str, int]) -> npt.NDArray[np.int64]:
    """``terms`` (how many removed passages hold each) by base column, for :class:`LayeredIndex`;
    ``ValueError`` for a term the base lacks (it cannot be what its passages held)."""
    names = list(terms)
    columns = base.term_ids(names)
    if names and int(columns.min()) < 0:
        lacking = names[int(np.argmin(columns))]
        raise ValueError(f"a removed passage has a term the index lacks: {lacking!r}")
    removed = np.zeros(base.arrays.indptr.size - 1, dtype=np.int64)
    np.add.at(removed, columns, np.fromiter(terms.values(), np.int64, len(names)))
    return removed


class LayeredIndex:
    """BM25 over the base's kept passages and the delta's, as one corpus."""

    def __init__(
        self,
        base: PassageIndex,
        kept: npt.NDArray[np.bool_],
        delta: PassageIndex,
        removed_df: npt.NDArray[np.int64],
        *,
        delta_columns: npt.NDArray[np.int64] | None = None,
        backend: Backend = "auto",
    ) -> None:
        """``kept``: which base passages are still in the corpus; ``removed_df``: in how many of
        the others each base term (by column) occurs, to take off the base's document
        frequencies (:func:`removed_frequencies`); ``delta_columns``: each delta term's column
        in the base, -1 for none (looked up when not given).
        ``backend``: numba's compiled loop (``auto``: when it can run and the corpus is large),
        else numpy, for the same scores."""
        self.params = base.params
        self.base = base
        self.delta = delta
        self._kept = np.asarray(kept, dtype=np.bool_)
        kept_positions = np.flatnonzero(self._kept)
        self._offset = int(kept_positions.size)
        self._dense = np.cumsum(self._kept, dtype=np.int64) - 1  # a kept passage's position
        lengths = np.concatenate(
            [base.arrays.doc_len[kept_positions], delta.arrays.doc_len]
        ).astype(np.int64)
        self.size = int(lengths.size)
        self._norm = length_norm(lengths, average_length(lengths), self.params)
        if removed_df.shape != (base.arrays.indptr.size - 1,):
            raise ValueError("removed document frequencies are not one per base term")
        self._base_df = np.diff(base.arrays.indptr) - removed_df
        if self._base_df.size and int(self._base_df.min()) < 0:
            raise ValueError("more removed passages hold a term than the index has")
        self._delta_df = np.diff(delta.arrays.indptr)
        if delta_columns is None:
            delta_columns = base.term_ids(list(delta.arrays.terms))
        if delta_columns.shape != self._delta_df.shape:
            raise ValueError("delta term columns are not one per delta term")
        self._delta_columns = delta_columns
        self._scratch = Scratch()
        self._term = functools.lru_cache(maxsize=65_536)(self._find)
        self._kernels: ModuleType | None = None
        if resolve(backend, self.size) == "numba":
            from bot.index.backends import numba_kernels  # numba itself loads here, on demand

            self._kernels = numba_kernels
            self.top([], 1)  # loads the kernel for these arrays' types now, not on a question

    @property
    def backend(self) -> str:
        """What answers queries: every posting scored, until the next merge."""
        return "layered-numba" if self._kernels is not None else "layered-numpy"

    def warm_up(self) -> None:
        """Nothing to load: numpy is ready."""

    @functools.cached_property
    def vocabulary_size(self) -> int:
        """How many distinct terms the current corpus has."""
        columns = self._delta_columns
        in_base = columns >= 0
        live_in_base = np.zeros(columns.size, dtype=np.bool_)
        live_in_base[in_base] = self._base_df[columns[in_base]] > 0
        return int(np.count_nonzero(self._base_df)) + int(np.count_nonzero(~live_in_base))

    def _find(self, term: str) -> _Term | None:
        base, delta = self.base.term_id(term), self.delta.term_id(term)
        base_df = int(self._base_df[base]) if base >= 0 else 0
        df = base_df + (int(self._delta_df[delta]) if delta >= 0 else 0)
        if df == 0:
            return None
        return _Term(base if base_df else -1, delta, idf(self.size, df))

    def idf(self, term: str) -> float:
        """The term's idf, 0 for a term the corpus does not contain."""
        found = self._term(term)
        return 0.0 if found is None else found.idf

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        """The query terms that occur somewhere in the corpus."""
        return [term for term in terms if self._term(term) is not None]

    def _postings(self, term: _Term) -> tuple[IntArray, npt.NDArray[Any]]:
        """The term's passages (dense positions, ascending) and counts."""
        positions: list[IntArray] = []
        counts: list[npt.NDArray[Any]] = []
        if term.base >= 0:
            docs, tfs = self.base.postings(term.base)
            keep = self._kept[docs]
            positions.append(self._dense[docs[keep]])
            counts.append(tfs[keep])
        if term.delta >= 0:
            docs, tfs = self.delta.postings(term.delta)
            positions.append(docs.astype(np.int64) + self._offset)
            counts.append(tfs)
        return np.concatenate(positions), np.concatenate(counts)

    def _contributions(
        self, terms: Sequence[str], subset: Subset | None
    ) -> tuple[list[_Term], dict[_Term, tuple[IntArray, FloatArray]]]:
        """The known query terms in query order, and each distinct one's passages and
        contributions (only passages of ``subset`` when given)."""
        resolved = [found for found in map(self._term, terms) if found is not None]
        parts: dict[_Term, tuple[IntArray, FloatArray]] = {}
        for term in dict.fromkeys(resolved):
            positions, tfs = self._postings(term)
            if subset is not None:
                keep = subset.holds(positions)
                positions, tfs = positions[keep], tfs[keep]
            parts[term] = positions, impacts(term.idf, tfs, self._norm[positions], self.params)
        return resolved, parts

    def scores(self, terms: Sequence[str]) -> FloatArray:
        """BM25 score of every passage for the query terms (zeros where no term matches)."""
        scores = np.zeros(self.size)
        resolved, parts = self._contributions(terms, None)
        for term in resolved:  # in query order, repeats again: rank-bm25's sum
            positions, values = parts[term]
            scores[positions] += values
        return scores

    def top(
        self, terms: Sequence[str], limit: int, subset: Subset | None = None
    ) -> tuple[list[ScoredPassage], int]:
        """The best ``limit`` passages that match at least one term, and how many match; only
        passages of ``subset`` when one is given (scored against the whole corpus all the
        same)."""
        if self._kernels is not None:
            return self._top_compiled(terms, limit, subset)
        resolved, parts = self._contributions(terms, subset)
        if not resolved:
            return [], 0
        acc, mark = self._scratch.get(self.size)
        found = []
        for positions, _ in parts.values():
            fresh = positions[~mark[positions]]
            mark[fresh] = True
            found.append(fresh)
        union = np.concatenate(found)
        mark[union] = False
        if limit <= 0:
            return [], int(union.size)
        for term in resolved:  # in query order, repeats again: rank-bm25's sum
            positions, values = parts[term]
            acc[positions] += values
        scores = acc[union]
        acc[union] = 0.0
        return best(union, scores, limit), int(union.size)

    def _top_compiled(
        self, terms: Sequence[str], limit: int, subset: Subset | None
    ) -> tuple[list[ScoredPassage], int]:
        """:meth:`top` by the compiled kernel: the same sums, in the same order."""
        assert self._kernels is not None
        resolved = [found for found in map(self._term, terms) if found is not None]
        distinct = list(dict.fromkeys(resolved))
        spans = np.zeros((max(len(distinct), 1), 4), dtype=np.int64)
        for row, term in enumerate(distinct):
            if term.base >= 0:
                spans[row, :2] = self.base.arrays.indptr[term.base : term.base + 2]
            if term.delta >= 0:
                spans[row, 2:] = self.delta.arrays.indptr[term.delta : term.delta + 2]
        slot = {term: row for row, term in enumerate(distinct)}
        acc, touched = self._scratch.compiled(self.size)
        positions, scores, total = self._kernels.layered_top_k(
            self.base.arrays.docs,
            self.base.arrays.tfs,
            self._kept,
            self._dense,
            self.delta.arrays.docs,
            self.delta.arrays.tfs,
            self._offset,
            self._norm,
            _NO_LABELS if subset is None else subset.labels,
            -1 if subset is None else subset.label,
            spans,
            np.array([term.idf for term in distinct] or [0.0]),
            np.array([slot[term] for term in resolved], dtype=np.int64),
            self.params.k1 + 1,
            max(limit, 0),
            acc,
            touched,
        )
        return (best(positions, scores, limit) if limit > 0 else []), int(total)

    def count(self, terms: Sequence[str]) -> int:
        """How many passages contain at least one of the terms."""
        return self.top(terms, 0)[1]
