"""Steps of building an index, compiled (numba, the ``fast`` extra): counting a chunk's terms
(:func:`bot.index.build.count_numbered`), laying the postings out by term
(:class:`bot.index.build.IndexBuilder`) and the score bounds (:mod:`bot.index.bounds`). Each is
a pass or two over the occurrences or postings with the same results as numpy's, bit for bit
(the bounds with the same float64 arithmetic as :func:`bot.index.bm25.impacts`, in the same
order); :func:`bot.index.bounds.compiled_kernels` says when they are used.

numpy makes a temporary array for each step, tens of megabytes apiece for a large index; the
first touch of fresh memory is what cost most of a build's last step (on the bench machine the
bounds' system time was 40 times their arithmetic's), and its sort what cost most of counting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.analysis.jit import njit


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


@njit(cache=True, nogil=True)
def set_bits(terms: Any, indptr: Any, docs: Any, bitmaps: Any) -> None:  # pragma: no cover
    """Row ``i`` of ``bitmaps``: a bit for each passage of term ``terms[i]``, passage ``d`` at
    bit ``d % 8`` of byte ``d // 8`` (``np.packbits``' little bit order)."""
    for row in range(terms.size):
        term = terms[row]
        for at in range(indptr[term], indptr[term + 1]):
            doc = docs[at]
            bitmaps[row, doc >> 3] |= np.uint8(1 << (doc & 7))


@njit(cache=True, nogil=True)
def scatter_postings(
    terms: Any,
    chunk_docs: Any,
    chunk_tfs: Any,
    cursor: Any,
    docs: Any,
    tfs: Any,
    low: int,
    high: int,
) -> None:  # pragma: no cover - compiled
    """A chunk's postings of the terms from ``low`` to before ``high`` (term ``terms[i]`` in
    passage ``chunk_docs[i]``, ``chunk_tfs[i]`` times) each to where its term's postings have
    got to, ``cursor[term]``, which moves on: threads given terms apart move one chunk's
    postings at once, none writing where another does. A term's postings are one run of the
    chunk, so which ones are skipped is a guess the processor gets right."""
    for at in range(terms.size):
        term = terms[at]
        if term < low or term >= high:
            continue
        slot = cursor[term]
        docs[slot] = chunk_docs[at]
        tfs[slot] = chunk_tfs[at]
        cursor[term] = slot + 1


@njit(cache=True, nogil=True)
def count_postings(
    numbers: Any, owners: Any, weights: Any, terms: int, passages: int
) -> Any:  # pragma: no cover - compiled
    """:func:`bot.index.build.count_numbered`'s counts: term ``numbers[i]`` of passage
    ``owners[i]`` counting ``weights[i]`` times, into each passage's length and the postings
    sorted by term, then passage, with their counts.

    Two counting sorts, by passage and then (keeping that order) by term, put each term's
    occurrences together in passage order, whatever order they come in: a chunk of several
    analyzers' texts has each analyzer's after the last's.
    """
    size = numbers.size
    lengths = np.zeros(passages, dtype=np.int32)
    by_passage = np.zeros(passages + 1, dtype=np.int64)
    by_term = np.zeros(terms + 1, dtype=np.int64)
    for at in range(size):
        lengths[owners[at]] += weights[at]
        by_passage[owners[at] + 1] += 1
        by_term[numbers[at] + 1] += 1
    by_passage = np.cumsum(by_passage)
    by_term = np.cumsum(by_term)
    order = np.empty(size, dtype=np.int64)  # the occurrences in passage order
    for at in range(size):
        slot = by_passage[owners[at]]
        order[slot] = at
        by_passage[owners[at]] = slot + 1
    first = by_term[:-1].copy()
    owner_of = np.empty(size, dtype=np.int64)  # then in term order, each term's by passage
    weight_of = np.empty(size, dtype=np.int64)
    for at in order:
        slot = first[numbers[at]]
        owner_of[slot] = owners[at]
        weight_of[slot] = weights[at]
        first[numbers[at]] = slot + 1
    passage = np.empty(size, dtype=np.int32)
    term_of = np.empty(size, dtype=np.int32)
    tf = np.empty(size, dtype=np.int32)
    postings = 0
    for term in range(terms):
        previous = -1
        for at in range(by_term[term], by_term[term + 1]):
            if owner_of[at] != previous:
                previous = owner_of[at]
                passage[postings] = previous
                term_of[postings] = term
                tf[postings] = weight_of[at]
                postings += 1
            else:
                tf[postings - 1] += weight_of[at]
    return lengths, passage[:postings].copy(), term_of[:postings].copy(), tf[:postings].copy()
