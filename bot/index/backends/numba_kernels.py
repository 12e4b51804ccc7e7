"""Optional compiled kernels for :class:`bot.index.PassageIndex` (numba), same results as numpy.

Up to a few tens of thousands of postings every matching passage is scored term at a time
(``score_all_top_k``); above that, passages are swept in ranges and a range whose score bound
cannot reach the k-th score so far is skipped (``top_k_ranges``). Every scored passage gets its
exact score summed in query order, as ``rank-bm25`` sums it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.analysis.jit import njit


@njit(cache=True, nogil=True)
def _lower_bound(docs: Any, low: int, high: int, target: int) -> int:  # pragma: no cover
    while low < high:
        middle = (low + high) >> 1
        if docs[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low


@njit(cache=True, nogil=True)
def _worse(scores: Any, docs: Any, a: int, b: int) -> bool:  # pragma: no cover
    """Whether entry ``a`` ranks below entry ``b`` (lower score, or same score and later)."""
    return bool(scores[a] < scores[b] or (scores[a] == scores[b] and docs[a] > docs[b]))


@njit(cache=True, nogil=True)
def _swap(scores: Any, docs: Any, a: int, b: int) -> None:  # pragma: no cover
    scores[a], scores[b] = scores[b], scores[a]
    docs[a], docs[b] = docs[b], docs[a]


@njit(cache=True, nogil=True)
def _sift_up(scores: Any, docs: Any, i: int) -> None:  # pragma: no cover
    while i > 0:
        parent = (i - 1) >> 1
        if _worse(scores, docs, i, parent):
            _swap(scores, docs, i, parent)
            i = parent
        else:
            break


@njit(cache=True, nogil=True)
def _sift_down(scores: Any, docs: Any, size: int) -> None:  # pragma: no cover
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _worse(scores, docs, child + 1, child):
            child += 1
        if _worse(scores, docs, child, i):
            _swap(scores, docs, child, i)
            i = child
        else:
            break


@njit(cache=True, nogil=True, inline="always")
def _weight(
    tf: int, length_class: int, weights: Any, norms: Any, k1_plus_1: float
) -> float:  # pragma: no cover
    """rank-bm25's ``q_freq * (k1 + 1) / (q_freq + norm)``: looked up for small counts (the
    table holds the same operations, done once per length), else computed."""
    if tf < weights.shape[0]:
        return float(weights[tf, length_class])
    q_freq = float(tf)
    norm: float = norms[length_class]
    return q_freq * k1_plus_1 / (q_freq + norm)


@njit(cache=True, nogil=True)
def score_all_top_k(
    docs: Any,
    tfs: Any,
    length_class: Any,
    norms: Any,
    weights: Any,
    starts: Any,
    ends: Any,
    idf: Any,
    query: Any,
    k1_plus_1: float,
    limit: int,
    acc: Any,
    touched: Any,
) -> tuple[Any, Any, int]:  # pragma: no cover
    """Every matching passage scored (term at a time, in query order), the best ``limit`` kept.

    Returns positions, scores and how many passages matched. ``acc`` must be all zeros and is
    left so; ``touched`` is scratch space of the corpus's size.
    """
    count = 0
    for t in query:
        idf_t = idf[t]
        for i in range(starts[t], ends[t]):
            doc = np.uint64(docs[i])  # unsigned: no wrap-around test on each index
            w = _weight(tfs[i], length_class[doc], weights, norms, k1_plus_1)
            if acc[doc] == 0.0:
                touched[count] = doc
                count += 1
            acc[doc] += idf_t * w
    positions, scores = _best_touched(acc, touched, count, limit)
    return positions, scores, count


@njit(cache=True, nogil=True)
def _best_touched(
    acc: Any, touched: Any, count: int, limit: int
) -> tuple[Any, Any]:  # pragma: no cover
    """The best ``limit`` of the ``count`` passages in ``touched`` by their ``acc`` scores
    (heap order), leaving ``acc`` all zeros again."""
    size = min(limit, count)
    heap_scores = np.empty(max(size, 1))
    heap_docs = np.empty(max(size, 1), dtype=np.int64)
    filled = 0
    for j in range(count):
        doc = touched[j]
        score = acc[doc]
        acc[doc] = 0.0
        if size > 0 and (filled < size or score >= heap_scores[0]):
            filled = _offer(heap_scores, heap_docs, filled, size, score, doc)
    return heap_docs[:filled].copy(), heap_scores[:filled].copy()


@njit(cache=True, nogil=True)
def _offer(
    heap_scores: Any, heap_docs: Any, size: int, limit: int, score: float, doc: int
) -> int:  # pragma: no cover
    """Put (score, doc) in the min-heap of the best ``limit`` if it belongs; the new size.
    (A call costs more than the test: callers skip scores below the heap's minimum first.)"""
    if size < limit:
        heap_scores[size] = score
        heap_docs[size] = doc
        _sift_up(heap_scores, heap_docs, size)
        return size + 1
    if score > heap_scores[0] or (score == heap_scores[0] and doc < heap_docs[0]):
        heap_scores[0] = score
        heap_docs[0] = doc
        _sift_down(heap_scores, heap_docs, size)
    return size


@njit(cache=True, nogil=True)
def _range_bounds(
    docs: Any,
    starts: Any,
    ends: Any,
    rows: Any,
    range_max: Any,
    term_max: Any,
    repeats: Any,
    shift: int,
    n_ranges: int,
) -> Any:  # pragma: no cover
    """Each range's score bound: the sum over terms of their largest contribution in it."""
    bound = np.zeros(n_ranges)
    for t in range(starts.size):
        weight = repeats[t]
        if rows[t] >= 0:
            row = range_max[rows[t]]
            for r in range(n_ranges):
                bound[r] += weight * row[r]
        else:
            last = -1
            for i in range(starts[t], ends[t]):
                r = docs[i] >> shift
                if r != last:
                    bound[r] += weight * term_max[t]
                    last = r
    return bound


@njit(cache=True, nogil=True)
def _best_ranges(bound: Any, count: int) -> Any:  # pragma: no cover
    """The ``count`` ranges with the highest bounds, highest first: a heap pass, not a sort of
    every range (sorting 4,000 bounds took a third of a millisecond)."""
    heap_bounds = np.empty(max(count, 1))
    heap_ranges = np.empty(max(count, 1), dtype=np.int64)
    size = 0
    for r in range(bound.size):
        if size < count or bound[r] > heap_bounds[0]:
            size = _offer(heap_bounds, heap_ranges, size, count, bound[r], r)
    order = np.argsort(-heap_bounds[:size], kind="mergesort")
    return heap_ranges[:size][order]


@njit(cache=True, nogil=True)
def top_k_ranges(  # pragma: no cover - compiled; tests compare it with rank-bm25
    docs: Any,
    tfs: Any,
    length_class: Any,
    norms: Any,
    weights: Any,
    starts: Any,
    ends: Any,
    idf: Any,
    rows: Any,
    range_max: Any,
    range_ptr: Any,
    term_max: Any,
    repeats: Any,
    query: Any,
    k1_plus_1: float,
    limit: int,
    slack: float,
    shift: int,
    n_ranges: int,
    first: int,
    dense_share: int,
) -> tuple[Any, Any]:
    """The best ``limit`` (positions, scores), a range of passages at a time.

    Each range of ``2**shift`` passages gets an upper bound, the sum over the query's terms of
    their largest contribution in it (``range_max`` for long lists, the term's overall maximum
    where a short list has a passage in the range). The ``first`` ranges with the best bounds
    are scored to find a k-th score; then every range is swept in passage order, skipping
    those whose bound cannot reach the k-th score so far. A range is scored in full, term by
    term in query order, so every score is summed exactly as ``rank-bm25`` sums it.
    The sweep reads postings, length classes and a small accumulator in order, not at random
    over the whole corpus (which is what makes a million passages slow: memory, not arithmetic).
    """
    if limit <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    terms = starts.size
    bound = _range_bounds(docs, starts, ends, rows, range_max, term_max, repeats, shift, n_ranges)
    width = 1 << shift
    local = np.zeros(width)
    slots = np.empty(width + 1, dtype=np.int64)
    heap_scores = np.empty(limit)
    heap_docs = np.empty(limit, dtype=np.int64)
    done = np.zeros(n_ranges, dtype=np.bool_)
    cursor = starts.copy()
    lows = np.empty(terms, dtype=np.int64)
    highs = np.empty(terms, dtype=np.int64)
    size = 0
    best = _best_ranges(bound, min(first, n_ranges))
    for step in range(best.size + n_ranges):
        if step < best.size:
            r = best[step]
        else:
            r = step - best.size
            if done[r]:
                continue
        if bound[r] <= 0.0 or (size == limit and bound[r] * (1 + slack) < heap_scores[0]):
            continue
        done[r] = True
        base = r << shift
        for t in range(terms):
            if rows[t] >= 0:
                low = starts[t] + range_ptr[rows[t], r]
                high = starts[t] + range_ptr[rows[t], r + 1]
            elif step < best.size:
                low = _lower_bound(docs, starts[t], ends[t], base)
                high = _lower_bound(docs, low, ends[t], base + width)
            else:  # the sweep only moves forward: walk the short list
                low = cursor[t]
                while low < ends[t] and docs[low] < base:
                    low += 1
                high = low
                while high < ends[t] and docs[high] < base + width:
                    high += 1
                cursor[t] = high
            lows[t] = low
            highs[t] = high
        postings = 0
        for t in range(terms):
            postings += highs[t] - lows[t]
        # A range with at least 1/dense_share of its size in postings is scanned whole
        # afterwards (cheaper than noting each touched slot as it is scored); a sparser one
        # notes its touched slots.
        dense = postings * dense_share >= width
        count = 0
        for t in query:
            idf_t = idf[t]
            for i in range(lows[t], highs[t]):
                # Unsigned indexes: numba then skips the wrap-around test for negative ones.
                doc = np.uint64(docs[i])
                slot = doc - np.uint64(base)
                w = _weight(tfs[i], length_class[doc], weights, norms, k1_plus_1)
                if dense:
                    local[slot] += idf_t * w
                else:
                    before = local[slot]
                    slots[count] = slot  # branch-free: kept only where the slot was still zero
                    count += before == 0.0
                    local[slot] = before + idf_t * w
        if dense:
            size = _offer_range(local, base, heap_scores, heap_docs, size, limit)
            continue
        for j in range(count):
            slot = slots[j]
            score = local[slot]
            local[slot] = 0.0
            if size < limit or score >= heap_scores[0]:
                size = _offer(heap_scores, heap_docs, size, limit, score, base + slot)
    return heap_docs[:size].copy(), heap_scores[:size].copy()


@njit(cache=True, nogil=True)
def _offer_range(
    local: Any, base: int, heap_scores: Any, heap_docs: Any, size: int, limit: int
) -> int:  # pragma: no cover
    """Offer the heap every passage of a scored range that can enter it, and zero ``local``.
    Once the heap is full few ranges hold one: a count of the slots at or above its minimum
    (no branch, so it vectorises) usually shows there is none."""
    floor = heap_scores[0] if size == limit else np.nextafter(0.0, 1.0)
    hits = 0
    for slot in range(local.size):
        hits += local[slot] >= floor
    if hits:
        for slot in range(local.size):
            score = local[slot]
            if score >= floor and (size < limit or score >= heap_scores[0]):
                size = _offer(heap_scores, heap_docs, size, limit, score, base + slot)
    local[:] = 0.0
    return size


@njit(cache=True, nogil=True)
def count_matching(  # pragma: no cover - compiled; tests compare it with rank-bm25
    docs: Any,
    starts: Any,
    ends: Any,
    bitmap_rows: Any,
    bitmaps: Any,
    scratch: Any,
    scratch_bytes: Any,
) -> int:
    """Passages in any of the posting slices: their union as a bitmap, then its population.

    A term with a stored bitmap (``bitmap_rows[t] >= 0``, bit ``p`` of byte ``p >> 3`` for
    passage ``p``) is OR-ed in whole; any other sets one bit per posting. ``scratch`` is one
    bit per passage as uint64 words, ``scratch_bytes`` the same memory as bytes; it must be
    zero and is left so.
    """
    for t in range(starts.size):
        row = bitmap_rows[t]
        if row >= 0:
            bits = bitmaps[row]
            for b in range(bits.size):
                scratch_bytes[b] |= bits[b]
        else:
            for i in range(starts[t], ends[t]):
                doc = docs[i]
                scratch_bytes[doc >> 3] |= np.uint8(1 << (doc & 7))
    m1 = np.uint64(0x5555555555555555)
    m2 = np.uint64(0x3333333333333333)
    m4 = np.uint64(0x0F0F0F0F0F0F0F0F)
    h01 = np.uint64(0x0101010101010101)
    count = 0
    for w in range(scratch.size):
        x = scratch[w]
        if x:
            x = x - ((x >> np.uint64(1)) & m1)
            x = (x & m2) + ((x >> np.uint64(2)) & m2)
            x = (x + (x >> np.uint64(4))) & m4
            count += int((x * h01) >> np.uint64(56))
            scratch[w] = 0
    return count


@njit(cache=True, nogil=True)
def layered_top_k(
    base_docs: Any,
    base_tfs: Any,
    kept: Any,
    dense: Any,
    delta_docs: Any,
    delta_tfs: Any,
    offset: int,
    norm: Any,
    labels: Any,
    label: int,
    spans: Any,
    idf: Any,
    query: Any,
    k1_plus_1: float,
    limit: int,
    acc: Any,
    touched: Any,
) -> tuple[Any, Any, int]:  # pragma: no cover
    """``score_all_top_k`` over a layered index: each term's postings in the base (skipping
    removed passages, renumbered to dense positions) and in the delta (after ``offset``), only
    passages labelled ``label`` unless it is -1. ``spans[t]`` is the term's base start and end
    and delta start and end. Every contribution is positive, so a zero marks a new passage."""
    count = 0
    for t in query:
        idf_t = idf[t]
        for i in range(spans[t, 0], spans[t, 1]):
            doc = base_docs[i]
            if kept[doc]:
                position = dense[doc]
                if label < 0 or labels[position] == label:
                    count = _add(acc, touched, count, position, idf_t, base_tfs[i], norm, k1_plus_1)
        for i in range(spans[t, 2], spans[t, 3]):
            position = delta_docs[i] + offset
            if label < 0 or labels[position] == label:
                count = _add(acc, touched, count, position, idf_t, delta_tfs[i], norm, k1_plus_1)
    positions, scores = _best_touched(acc, touched, count, limit)
    return positions, scores, count


@njit(cache=True, nogil=True, inline="always")
def _add(
    acc: Any,
    touched: Any,
    count: int,
    position: int,
    idf_t: float,
    tf: int,
    norm: Any,
    k1_plus_1: float,
) -> int:  # pragma: no cover
    """One posting's exact contribution added (``idf * q_freq * (k1 + 1) / (q_freq + norm)``,
    rank-bm25's operations); a passage touched first is listed. How many are listed now."""
    q_freq = float(tf)
    weight = q_freq * k1_plus_1 / (q_freq + norm[position])
    if acc[position] == 0.0:
        touched[count] = position
        count += 1
    acc[position] += idf_t * weight
    return count
