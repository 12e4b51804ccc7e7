"""PassageIndex: BM25 over passages, from an inverted index, with a chosen query backend.

``LuceneBM25`` (``bm25.py``) is the reference. A query costs work in proportion to its terms'
postings, not to the corpus: each contribution is the very expression ``get_scores`` evaluates,
summed in query order, so scores (and ties) match it bit for bit. For top-k on long posting
lists, range bounds (``bounds.py``) prove most of the corpus cannot reach the k-th score, and
only the rest is scored exactly, by the numpy or the numba backend (``backends/``).
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.arrays import IndexArrays, load_arrays, save_arrays, term_hash
from bot.index.backends import Backend, open_backend
from bot.index.backends.base import ExactScorer, QueryTuning, ScoredPassage, TermQuery
from bot.index.bm25 import BM25Parameters, FloatArray
from bot.index.bounds import BoundsLayout
from bot.index.build import build_arrays
from bot.index.integrity import check_index
from bot.index.subset import Subset, top_within
from bot.storage.string_table import array_view


class PassageIndex:
    """BM25 over tokenised passages; positions are indexes into the passage list."""

    def __init__(
        self,
        arrays: IndexArrays,
        params: BM25Parameters,
        *,
        backend: Backend = "auto",
        tuning: QueryTuning | None = None,
    ) -> None:
        self.arrays = arrays
        self.params = params
        self.size = int(arrays.doc_len.size)
        self._terms = arrays.terms
        self._hash_view = array_view(arrays.term_hash, "Q")
        self._hash_ids_view = array_view(arrays.term_hash_ids, "i")
        self._term_id = functools.lru_cache(maxsize=65_536)(self._find_term)
        self._idf = arrays.idf
        self._scorer = ExactScorer(arrays, params)
        self._backend = open_backend(backend, self._scorer, tuning or QueryTuning())

    @classmethod
    def build(
        cls,
        tokenized: Iterable[Sequence[str]],
        params: BM25Parameters,
        *,
        backend: Backend = "auto",
        tuning: QueryTuning | None = None,
        layout: BoundsLayout | None = None,
    ) -> PassageIndex:
        """Index the passages' term lists, given in passage order, in memory."""
        return cls(build_arrays(tokenized, params, layout), params, backend=backend, tuning=tuning)

    @classmethod
    def load(
        cls, directory: Path, *, backend: Backend = "auto", tuning: QueryTuning | None = None
    ) -> PassageIndex:
        """Open an index saved by :meth:`save` or ``IndexBuilder.finish``, memory-mapped."""
        arrays, params = load_arrays(directory)
        check_index(arrays, directory)
        return cls(arrays, params, backend=backend, tuning=tuning)

    def save(self, directory: Path) -> None:
        """Write the arrays for :meth:`load` (a built index is usually written in place)."""
        save_arrays(directory, self.arrays, self.params)

    @property
    def backend(self) -> str:
        """The name of the backend answering queries: ``numpy`` or ``numba``."""
        return self._backend.name

    # --- vocabulary ------------------------------------------------------------------------

    @property
    def vocabulary_size(self) -> int:
        """How many distinct terms the corpus has."""
        return len(self._terms)

    def _find_term(self, term: str) -> int:
        """The term's column in the index, -1 if the corpus does not contain it.

        A binary search of the sorted term hashes through a ``memoryview``: ``bisect`` in C on
        plain ints, about a microsecond. (``np.searchsorted`` with a Python int above 2**63
        converts the whole hash array first, a tenth of a millisecond at 200k terms.)
        """
        key = term_hash(term)
        hashes = self._hash_view
        at = bisect_left(hashes, key)
        encoded = term.encode("utf-8", "surrogatepass")
        while at < len(hashes) and hashes[at] == key:
            term_id = self._hash_ids_view[at]
            if self._terms.encoded(term_id) == encoded:
                return term_id
            at += 1
        return -1

    def term_id(self, term: str) -> int:
        """The term's column in the index, -1 if the corpus does not contain it."""
        return self._term_id(term)

    def term_ids(self, terms: Sequence[str]) -> npt.NDArray[np.int64]:
        """:meth:`term_id` of each term, in one sorted-array search (many terms at once)."""
        hashes = np.fromiter(map(term_hash, terms), dtype=np.uint64, count=len(terms))
        sorted_hashes = self.arrays.term_hash
        at = np.searchsorted(sorted_hashes, hashes)
        found = np.full(len(terms), -1, dtype=np.int64)
        hit = at < sorted_hashes.size
        hit[hit] = sorted_hashes[at[hit]] == hashes[hit]
        columns = self.arrays.term_hash_ids
        for number in np.flatnonzero(hit).tolist():
            column = int(columns[at[number]])
            if self._terms.encoded(column) == terms[number].encode("utf-8", "surrogatepass"):
                found[number] = column
            else:  # a hash shared with another term: the one-at-a-time search settles it
                found[number] = self._term_id(terms[number])
        return found

    def postings(self, term_id: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[Any]]:
        """The passages a term (by column) occurs in, ascending, and how often in each."""
        return self._scorer.postings(term_id)

    def idf(self, term: str) -> float:
        """The term's idf, 0 for a term the corpus does not contain."""
        term_id = self._term_id(term)
        return 0.0 if term_id < 0 else float(self._idf[term_id])

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        """The query terms that occur somewhere in the corpus."""
        return [term for term in terms if self._term_id(term) >= 0]

    # --- scoring ---------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Prepare the backend so the first real query is as fast as the rest."""
        self._backend.warm_up()

    def scores(self, terms: Sequence[str]) -> FloatArray:
        """BM25 score of every passage for the query terms (zeros where no term matches)."""
        return self._scorer.scores([t for t in map(self._term_id, terms) if t >= 0])

    def top(
        self, terms: Sequence[str], limit: int, subset: Subset | None = None
    ) -> tuple[list[ScoredPassage], int]:
        """The best ``limit`` passages that match at least one term, and how many match; only
        passages of ``subset`` when one is given (scored against the whole corpus all the
        same)."""
        query = self._query(terms)
        if query is None:
            return [], 0
        if subset is not None:
            return top_within(self._scorer, query, limit, subset)
        return self._backend.top(query, limit)

    def count(self, terms: Sequence[str]) -> int:
        """How many passages contain at least one of the terms."""
        query = self._query(terms)
        return 0 if query is None else self._backend.count(query)

    def _query(self, terms: Sequence[str]) -> TermQuery | None:
        """The terms as ids, or ``None`` when none is in the corpus (or the corpus is empty)."""
        ids = [t for t in map(self._term_id, terms) if t >= 0]
        distinct = list(dict.fromkeys(ids))
        if not distinct or self.size == 0:
            return None
        return TermQuery(ids, distinct)
