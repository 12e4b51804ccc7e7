"""The BM25 index over passages.

Scores come from ``rank-bm25``. Its ``BM25Okapi`` idf, ``log((N - n + 0.5) / (n + 0.5))``, turns
negative for a term in more than half of the passages and is then floored to a small epsilon, so
on a small corpus the query's most topical words ("North Korea", "satellite" in a one-article
corpus) count for almost nothing; ``BM25Plus`` instead adds ``delta`` for every query term, so a
passage with no query term still scores. We keep Okapi's term-frequency saturation and use the
Lucene idf ``log(1 + (N - n + 0.5) / (n + 0.5))``: always positive, monotone in rarity, and equal
to Okapi's for rare terms on a large corpus. A passage with no query term scores exactly zero and
is never a result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi


class LuceneBM25(BM25Okapi):  # type: ignore[misc]
    """``rank_bm25.BM25Okapi`` with the always-positive Lucene idf."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        n = self.corpus_size
        self.idf = {term: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for term, df in nd.items()}
        self.average_idf = sum(self.idf.values()) / len(self.idf) if self.idf else 0.0


@dataclass(frozen=True, slots=True)
class BM25Parameters:
    """BM25's term-frequency saturation ``k1`` and length normalisation ``b``."""

    k1: float = 1.2
    b: float = 0.75


@dataclass(frozen=True, slots=True)
class ScoredPassage:
    """A passage position in the index and its BM25 score for a query."""

    position: int
    score: float


class PassageIndex:
    """BM25 over tokenised passages; positions are indexes into the passage list."""

    def __init__(self, tokenized: Sequence[list[str]], params: BM25Parameters) -> None:
        self.params = params
        self.size = len(tokenized)
        # rank-bm25 divides by the average length, so an empty corpus gets no model at all.
        self._bm25 = LuceneBM25(list(tokenized), k1=params.k1, b=params.b) if tokenized else None

    @classmethod
    def build(cls, tokenized: Iterable[list[str]], params: BM25Parameters) -> PassageIndex:
        """Index the passages' term lists, given in passage order."""
        return cls(list(tokenized), params)

    @property
    def vocabulary_size(self) -> int:
        """How many distinct terms the corpus has."""
        return len(self._bm25.idf) if self._bm25 else 0

    def idf(self, term: str) -> float:
        """The term's idf, 0 for a term the corpus does not contain."""
        return float(self._bm25.idf.get(term, 0.0)) if self._bm25 else 0.0

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        """The query terms that occur somewhere in the corpus."""
        return [term for term in terms if self.idf(term) > 0]

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query terms (zeros where no term matches)."""
        if self._bm25 is None or not terms:
            return np.zeros(self.size)
        return np.asarray(self._bm25.get_scores(list(terms)), dtype=np.float64)

    def top(self, terms: Sequence[str], limit: int) -> tuple[list[ScoredPassage], int]:
        """The best ``limit`` passages that match at least one term, and how many match."""
        scores = self.scores(terms)
        matching = np.flatnonzero(scores > 0)
        if limit <= 0 or matching.size == 0:
            return [], int(matching.size)
        if matching.size > limit:
            best = matching[np.argpartition(-scores[matching], limit - 1)[:limit]]
        else:
            best = matching
        # Highest score first; ties keep corpus order so results are deterministic.
        ordered = sorted(best.tolist(), key=lambda position: (-scores[position], position))
        return [ScoredPassage(p, float(scores[p])) for p in ordered], int(matching.size)
