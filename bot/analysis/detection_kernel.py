"""py3langid's decision, compiled (numba, the ``fast`` extra): the same byte automaton and the
same naive Bayes table, walked and summed in one pass instead of one Python step per byte.

The kernel answers only when its answer is certain to be py3langid's own: it sums in float64
and also bounds how far py3langid's float32 sums (in any order) can stray, and it gives up
(``-1``) whenever the best language's lead is within that bound, or within a factor of two of
a language whose probability py3langid adds to another's (Serbian in two scripts). The caller
then asks py3langid itself.

A batch of texts comes as their UTF-8 bytes end to end with the offsets between them. The
automaton's walk is one memory read after another, each waiting for the last; walking
:data:`LANES` texts side by side keeps that many reads in flight at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bot.analysis.jit import njit

# py3langid's float32 arithmetic: the unit roundoff, doubled for the log1p of each count and
# the prior added at the end.
_ROUNDOFF = 2.0**-23
# Probabilities py3langid folds together: two columns of one language each under half the
# best's probability cannot add up to it.
_LOG_TWO = math.log(2.0)
# Texts walked side by side (more did no better on the 100k bench corpus).
LANES = 8
# Counts whose log1p is looked up rather than computed: a text's hundreds of features nearly
# all occur fewer times than this, and the lookup took a tenth off the kernel's time.
_LOGGED_COUNTS = 256


@njit(cache=True, nogil=True)
def best_columns(
    data: Any,
    offsets: Any,
    moves: Any,
    features: Any,
    start: int,
    table: Any,
    prior: Any,
    labels: Any,
    shared: Any,
    counts: Any,
) -> Any:  # pragma: no cover - compiled
    """The column py3langid ranks first for each text, or -1 where that is not certain: text
    ``i`` is ``data[offsets[i]:offsets[i + 1]]`` (UTF-8).

    The automaton is py3langid's with each state's row and output looked up in advance: from
    row ``start``, byte ``b`` leads to row ``moves[(row << 8) + b]`` and counts the feature
    ``features[(row << 8) + b]`` (none when negative). ``labels`` numbers each column's
    language and ``shared`` marks the columns of a language with several; ``counts`` is
    scratch of one zero per feature and one more (see :func:`_count`), left zeroed again.
    """
    found = np.empty(data.size, dtype=np.int32)
    _walk(data, offsets, moves, features, start, found)
    texts = offsets.size - 1
    columns = np.empty(texts, dtype=np.int64)
    touched = np.empty(max(data.size, 1), dtype=np.int64)
    weights = np.empty(touched.size, dtype=np.float64)
    scores = np.empty(prior.size, dtype=np.float64)
    # Computed by the same function as the counts past them: the same bits either way.
    logs = np.empty(_LOGGED_COUNTS, dtype=np.float64)
    for count in range(_LOGGED_COUNTS):
        logs[count] = math.log1p(float(count))
    for text in range(texts):
        first, end = offsets[text], offsets[text + 1]
        distinct = _count(found[first:end], counts, touched)
        columns[text] = _decide(
            touched[:distinct],
            end - first,
            table,
            prior,
            labels,
            shared,
            counts,
            logs,
            scores,
            weights,
        )
    return columns


@njit(cache=True, nogil=True)
def _walk(
    data: Any, offsets: Any, moves: Any, features: Any, start: int, found: Any
) -> None:  # pragma: no cover - compiled
    """Each byte's feature (or -1) into ``found``, :data:`LANES` texts walked side by side."""
    texts = offsets.size - 1
    rows = np.empty(LANES, dtype=np.int64)
    for first in range(0, texts, LANES):
        last = min(first + LANES, texts)
        longest = 0
        for text in range(first, last):
            rows[text - first] = start
            longest = max(longest, offsets[text + 1] - offsets[text])
        for step in range(longest):
            for text in range(first, last):
                at = offsets[text] + step
                if at < offsets[text + 1]:
                    move = (rows[text - first] << 8) + data[at]
                    rows[text - first] = moves[move]
                    found[at] = features[move]


@njit(cache=True, nogil=True)
def _count(found: Any, counts: Any, touched: Any) -> int:  # pragma: no cover - compiled
    """How often each feature in ``found`` occurs, into ``counts``; the distinct ones, in
    order of first occurrence, into ``touched``, and how many there are.

    ``counts``' last entry counts the bytes that end no feature (negative in ``found``) and
    is left zeroed again: every byte is counted the same way, without a branch, where which
    bytes end a feature is unpredictable and each missed guess cost more than the counting
    (on the bench corpus 1.9 µs a text against 0.8).
    """
    none = counts.size - 1
    distinct = 0
    for found_feature in found:
        feature = found_feature if found_feature >= 0 else none
        count = counts[feature]
        touched[distinct] = feature
        distinct += count == 0
        counts[feature] = count + 1
    if counts[none] > 0:  # taken out of ``touched``, the others kept in their order
        counts[none] = 0
        at = 0
        while touched[at] != none:
            at += 1
        for later in range(at + 1, distinct):
            touched[later - 1] = touched[later]
        distinct -= 1
    return distinct


@njit(cache=True, nogil=True)
def _decide(
    touched: Any,
    size: int,
    table: Any,
    prior: Any,
    labels: Any,
    shared: Any,
    counts: Any,
    logs: Any,
    scores: Any,
    weights: Any,
) -> int:  # pragma: no cover - compiled
    """The best column for the features ``touched`` (their ``counts``, zeroed again here) of a
    text of ``size`` bytes, or -1 when that is not certain to be py3langid's; ``logs[k]`` is
    ``log1p(k)`` for the counts it holds, ``weights`` scratch of at least ``touched.size``."""
    if touched.size == 0:
        return -1
    classes = prior.size
    for at in range(touched.size):
        feature = touched[at]
        count = counts[feature]
        weights[at] = logs[count] if count < logs.size else math.log1p(float(count))
        counts[feature] = 0
    scores[:] = 0.0
    # Four rows a pass: the scores are read and written once for the four, where row by row
    # they took more time than the rows (on the bench corpus 2.7 µs a text against 4.4; eight
    # rows a pass did worse than four).
    grouped = touched.size - touched.size % 4
    for at in range(0, grouped, 4):
        first, second = table[touched[at]], table[touched[at + 1]]
        third, fourth = table[touched[at + 2]], table[touched[at + 3]]
        w1, w2, w3, w4 = weights[at], weights[at + 1], weights[at + 2], weights[at + 3]
        for column in range(classes):
            scores[column] += (w1 * float(first[column]) + w2 * float(second[column])) + (
                w3 * float(third[column]) + w4 * float(fourth[column])
            )
    for at in range(grouped, touched.size):
        row = table[touched[at]]
        for column in range(classes):
            scores[column] += weights[at] * float(row[column])
    # Every entry of the table is negative (checked on loading): the sum of the terms'
    # magnitudes is the negated sum, exactly.
    magnitudes = -scores + np.abs(prior.astype(np.float64))
    for column in range(classes):
        scores[column] += float(prior[column])
    best = int(np.argmax(scores))
    error = (touched.size + 4) * _ROUNDOFF
    temperature = math.sqrt(float(size))
    for column in range(classes):
        if labels[column] == labels[best]:
            continue
        margin = error * (magnitudes[best] + magnitudes[column]) + 1e-6 * abs(scores[best])
        if shared[column]:
            margin += 1.001 * _LOG_TWO * temperature
        if scores[best] - scores[column] <= margin:
            return -1
    return best
