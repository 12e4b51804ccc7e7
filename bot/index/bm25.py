"""The BM25 formula, written once: Lucene's idf, rank-bm25's length norm and term weight.

Scores come from ``rank-bm25``. Its ``BM25Okapi`` idf, ``log((N - n + 0.5) / (n + 0.5))``, turns
negative for a term in more than half of the passages and is then floored to a small epsilon, so
on a small corpus the query's most topical words ("North Korea", "satellite" in a one-article
corpus) count for almost nothing; ``BM25Plus`` instead adds ``delta`` for every query term, so a
passage with no query term still scores. We keep Okapi's term-frequency saturation and use the
Lucene idf ``log(1 + (N - n + 0.5) / (n + 0.5))``: always positive, monotone in rarity, and equal
to Okapi's for rare terms on a large corpus. A passage with no query term scores exactly zero and
is never a result.

Every function here is the very expression ``BM25Okapi.get_scores`` evaluates, operation for
operation, so an index that sums them in query order matches :class:`LuceneBM25` bit for bit.
(The compiled kernels in ``backends/numba_kernels.py`` repeat the term weight inside numba.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BM25Parameters:
    """BM25's term-frequency saturation ``k1`` and length normalisation ``b``."""

    k1: float = 1.2
    b: float = 0.75


def idf(corpus_size: int, df: int) -> float:
    """Lucene's idf of a term in ``df`` of ``corpus_size`` passages: always positive."""
    return math.log(1.0 + (corpus_size - df + 0.5) / (df + 0.5))


def idf_array(corpus_size: int, df: Sequence[int]) -> FloatArray:
    """:func:`idf` of each document frequency, as Python computes it (so as the reference),
    once for each distinct frequency."""
    distinct, where = np.unique(np.asarray(df, dtype=np.int64), return_inverse=True)
    values = (idf(corpus_size, d) for d in distinct.tolist())
    table = np.fromiter(values, dtype=np.float64, count=distinct.size)
    return table[where.reshape(-1)]


def average_length(lengths: npt.NDArray[np.integer[Any]]) -> float:
    """rank-bm25's ``avgdl``, with 1.0 for an empty corpus (which has no length to divide)."""
    return int(lengths.sum()) / lengths.size if lengths.size else 1.0


def length_norm(
    lengths: npt.NDArray[np.integer[Any]], avgdl: float, params: BM25Parameters
) -> FloatArray:
    """rank-bm25's ``k1 * (1 - b + b * doc_len / avgdl)`` for each length."""
    k1, b = params.k1, params.b
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(k1 * (1 - b + b * lengths / avgdl), np.float64)


def term_weight(q_freq: FloatArray, norm: FloatArray, k1_plus_1: float) -> FloatArray:
    """rank-bm25's ``q_freq * (k1 + 1) / (q_freq + norm)``: a term's saturated frequency."""
    weight: FloatArray = q_freq * k1_plus_1 / (q_freq + norm)
    return weight


def impacts(
    term_idf: float | FloatArray,
    tfs: npt.NDArray[np.integer[Any]],
    norm: FloatArray,
    params: BM25Parameters,
) -> FloatArray:
    """Each posting's contribution to its passage's score: ``idf * term weight``."""
    q_freq = tfs.astype(np.float64)
    result: FloatArray = term_idf * term_weight(q_freq, norm, params.k1 + 1)
    return result


class LuceneBM25(BM25Okapi):  # type: ignore[misc]
    """``rank_bm25.BM25Okapi`` with the always-positive Lucene idf: the reference."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        self.idf = {term: idf(self.corpus_size, df) for term, df in nd.items()}
        self.average_idf = sum(self.idf.values()) / len(self.idf) if self.idf else 0.0
