"""py3langid's decision, compiled (numba, the ``fast`` extra): the same byte automaton and the
same naive Bayes table, walked and summed in one pass instead of one Python step per byte.

The kernel answers only when its answer is certain to be py3langid's own: it sums in float64
and also bounds how far py3langid's float32 sums (in any order) can stray, and it gives up
(``-1``) whenever the best language's lead is within that bound, or within a factor of two of
a language whose probability py3langid adds to another's (Serbian in two scripts). The caller
then asks py3langid itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

# py3langid's float32 arithmetic: the unit roundoff, doubled for the log1p of each count and
# the prior added at the end.
_ROUNDOFF = 2.0**-23
# Probabilities py3langid folds together: two columns of one language each under half the
# best's probability cannot add up to it.
_LOG_TWO = math.log(2.0)


@njit(cache=True, nogil=True)
def best_column(
    data: Any,
    moves: Any,
    features: Any,
    start: int,
    table: Any,
    prior: Any,
    labels: Any,
    shared: Any,
    counts: Any,
) -> int:  # pragma: no cover - compiled
    """The column py3langid ranks first for the UTF-8 ``data``, or -1 when that is not certain.

    The automaton is py3langid's with each state's row and output looked up in advance: from
    the row at ``start``, byte ``b`` leads to the row at ``moves[row + b]`` and counts the
    feature ``features[row + b]`` (none when negative), one memory read on the path per byte.
    ``labels`` numbers each column's language and ``shared`` marks the columns of a language
    with several; ``counts`` is scratch of one zero per feature, left zeroed again.
    """
    touched = np.empty(data.size, dtype=np.int64)
    distinct = 0
    row = start
    for byte in data:
        at = row + byte
        row = moves[at]
        feature = features[at]
        if feature >= 0:
            if counts[feature] == 0:
                touched[distinct] = feature
                distinct += 1
            counts[feature] += 1
    if distinct == 0:
        return -1
    classes = prior.size
    scores = np.zeros(classes, dtype=np.float64)
    magnitudes = np.zeros(classes, dtype=np.float64)
    for i in range(distinct):
        feature = touched[i]
        weight = math.log1p(float(counts[feature]))
        counts[feature] = 0
        for column in range(classes):
            term = weight * float(table[feature, column])
            scores[column] += term
            magnitudes[column] += abs(term)
    for column in range(classes):
        scores[column] += float(prior[column])
        magnitudes[column] += abs(float(prior[column]))
    best = int(np.argmax(scores))
    error = (distinct + 4) * _ROUNDOFF
    temperature = math.sqrt(float(data.size))
    for column in range(classes):
        if labels[column] == labels[best]:
            continue
        margin = error * (magnitudes[best] + magnitudes[column]) + 1e-6 * abs(scores[best])
        if shared[column]:
            margin += 1.001 * _LOG_TWO * temperature
        if scores[best] - scores[column] <= margin:
            return -1
    return best
