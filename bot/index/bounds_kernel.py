"""The score bounds of :mod:`bot.index.bounds`, compiled (numba, the ``fast`` extra): one pass
over each posting list, the same float64 arithmetic as :func:`bot.index.bm25.impacts` in the
same order, so the same bits as numpy's.

numpy makes a temporary array for each step of the arithmetic, tens of megabytes apiece for a
large index; the first touch of fresh memory is what cost most of a build's last step (on the
bench machine the system time of it was 40 times the arithmetic's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _impact(weight: float, tf: Any, norm: float, k1_plus_1: float) -> float:  # pragma: no cover
    """:func:`bot.index.bm25.impacts` of one posting."""
    q_freq = float(tf)
    return weight * (q_freq * k1_plus_1 / (q_freq + norm))


@njit(cache=True, nogil=True)
def _larger(best: float, impact: float) -> float:  # pragma: no cover
    """``np.maximum`` of two impacts: a NaN stays."""
    return impact if impact > best or impact != impact else best


@njit(cache=True, nogil=True)
def term_maxima(
    indptr: Any, docs: Any, tfs: Any, idf: Any, norm: Any, k1_plus_1: float, out: Any
) -> None:  # pragma: no cover - compiled
    """Each term's largest impact over its postings, into ``out`` (a term has one or more)."""
    for term in range(indptr.size - 1):
        start, end = indptr[term], indptr[term + 1]
        if start == end:
            continue
        weight = idf[term]
        best = _impact(weight, tfs[start], norm[docs[start]], k1_plus_1)
        for at in range(start + 1, end):
            best = _larger(best, _impact(weight, tfs[at], norm[docs[at]], k1_plus_1))
        out[term] = best


@njit(cache=True, nogil=True)
def range_maxima(
    terms: Any,
    indptr: Any,
    docs: Any,
    tfs: Any,
    idf: Any,
    norm: Any,
    k1_plus_1: float,
    shift: int,
    range_ptr: Any,
    range_max: Any,
) -> None:  # pragma: no cover - compiled
    """For row ``i``, term ``terms[i]``: where each range of ``2**shift`` passages starts in
    its postings (``range_ptr[i]``, as ``np.searchsorted`` of the range starts), and its
    largest impact in each range that holds a posting, as float32 rounded up
    (``range_max[i]``, left as it is for an empty range)."""
    n_ranges = range_max.shape[1]
    for row in range(terms.size):
        term = terms[row]
        start, end = indptr[term], indptr[term + 1]
        weight = idf[term]
        at = start
        for number in range(n_ranges):
            range_ptr[row, number] = at - start
            limit = (number + 1) << shift
            if at == end or docs[at] >= limit:
                continue
            best = _impact(weight, tfs[at], norm[docs[at]], k1_plus_1)
            at += 1
            while at < end and docs[at] < limit:
                best = _larger(best, _impact(weight, tfs[at], norm[docs[at]], k1_plus_1))
                at += 1
            bound = np.float32(best)
            if bound < best:
                bound = np.nextafter(bound, np.float32(np.inf))
            range_max[row, number] = bound
        range_ptr[row, n_ranges] = at - start
